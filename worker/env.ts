import type { SessionRoom } from "./session/room";
import type { AgentContainer } from "./container/agent-container";
import type { SessionShard } from "./viewers/shard";
import type { ScheduleClock } from "./schedule/clock";
import type { WorkspaceFeed } from "./feed/workspace-feed";

export interface Env {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  SessionRoom: DurableObjectNamespace<SessionRoom>;
  /** Viewer shards: past a threshold a room relays its document to these, each holding a slice of the sockets. */
  SessionShard: DurableObjectNamespace<SessionShard>;
  /** Viewers a room holds before it places new ones on shards ("0": all on shards); default in viewers/fan-out-config.ts. */
  SHARD_AFTER_VIEWERS?: string;
  VIEWERS_PER_SHARD?: string;
  /** Frames a second one room or shard sends at most (an adaptive budget's ceiling); defaults in viewers/fan-out-config.ts. */
  FRAME_BUDGET_PER_SECOND?: string;
  /** "true": the budget adapts to the object's thread, up to FRAME_BUDGET_PER_SECOND; else it stays there (the default). */
  FRAME_BUDGET_ADAPTIVE?: string;
  /** "false": messages never settle, the document as before issue 24; "objects": settled as objects, not strings (the bench's comparisons). */
  TRANSCRIPT_SETTLE?: string;
  /** "false": every new viewer's sync encodes the whole document again, as before issue 24 (the bench's comparison). */
  SYNC_KEEP_ENCODED?: string;
  /** Seconds a viewer socket lives on one check of its access before it reconnects with fresh credentials; default in viewers/revocations.ts. */
  SOCKET_LEASE_SECONDS?: string;
  /** One per schedule: its alarm rings at the schedule's next run (worker/schedule/clock.ts). */
  ScheduleClock: DurableObjectNamespace<ScheduleClock>;
  /** One per workspace: the sockets of its open session lists, told what changed (worker/feed/). */
  WorkspaceFeed: DurableObjectNamespace<WorkspaceFeed>;
  /** Production: one container per session, running containers/agent. */
  AgentContainer: DurableObjectNamespace<AgentContainer>;
  AUTH_MODE: "dev" | "access";
  /** Signs the dev sign-in cookie; `npm start` writes a local one to .dev.vars. */
  AUTH_SECRET?: string;
  /** AES-GCM key (base64 of 32 bytes) sealing workspace secrets; `npm start` writes a local one to .dev.vars. */
  SECRETS_KEY?: string;
  ACCESS_TEAM_DOMAIN: string;
  ACCESS_AUDIENCE: string;
  /** The local agent host; empty in production, where the AgentContainer is used. */
  AGENT_URL: string;
  /** The local agent host's key (AGENT_URL set): the room's link tokens are made with it. `npm start` writes one to .dev.vars. */
  AGENT_KEY?: string;
  /**
   * Locally, instead of Cloudflare Containers: the Docker runner (containers/runner) that starts each
   * session's container from the agent image (`npm start -- --containers`, the container suite). Empty
   * in production.
   */
  CONTAINER_RUNNER_URL: string;
  /** The runner's key (CONTAINER_RUNNER_URL set): whoever holds it starts containers. */
  CONTAINER_RUNNER_KEY?: string;
  PUBLIC_URL: string;
  /** Optional: a JSON object of changes to the model catalog per model id (worker/models/catalog.ts). */
  MODEL_CATALOG?: string;
  /** Rate limits (wrangler.toml `[[ratelimits]]`): per person, per person, per trigger, per share link. */
  SESSION_CREATION_LIMIT: RateLimit;
  MESSAGE_LIMIT: RateLimit;
  DELIVERY_LIMIT: RateLimit;
  GUEST_LIMIT: RateLimit;
  /** A saved workspace's workbench starts its container: per person and per workspace. */
  WORKBENCH_PERSON_LIMIT: RateLimit;
  WORKBENCH_WORKSPACE_LIMIT: RateLimit;
  /** Only in tests: the D1 migrations the test setup applies. */
  TEST_MIGRATIONS?: { name: string; queries: string[] }[];
  /** Only in integration tests: the control server that scripts the fake Anthropic API and the agent host. */
  TEST_CONTROL_URL?: string;
  TEST_REPO_URL?: string;
  /** Only in integration tests: a fake GitHub (git over HTTP behind a token, and its REST API). */
  TEST_GITHUB_URL?: string;
  /** Only in integration tests: a repository with its own .tandem/setup.sh (environment tests). */
  TEST_ENV_REPO_URL?: string;
  /** Only in the container suite: why it is skipped here (no Docker), empty when it runs. */
  TEST_CONTAINERS_SKIP?: string;
  /** Only in the attack suite: where its files report their figures. */
  TEST_TALLY_URL?: string;
}
