import { Container } from "@cloudflare/containers";
import type { Env } from "../env";

/** The per-session container running containers/agent (production; AGENT_URL replaces it locally). */
export class AgentContainer extends Container<Env> {
  defaultPort = 8788;
  /** The longest session timeout (SPEC §2: 1800 s) plus room for a graceful stop. */
  sleepAfter = "32m";
}
