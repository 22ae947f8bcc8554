/**
 * The Docker runner's API (containers/runner), shared by the runner and its client in the Worker
 * (worker/session/runner-container.ts). Locally the runner stands where Cloudflare Containers stand in
 * production: one container per session, started on the first request that reaches it, stopped when the
 * run ends, sleeping when idle, destroyed with the session.
 */
import { z } from "zod";

/** Every request to the runner carries its key here (Authorization is the agent link's, passed through). */
export const RUNNER_KEY_HEADER = "x-tandem-runner-key";
/** On the runner's own answers (never on the container's): the request did not reach a container. */
export const RUNNER_ERROR_HEADER = "x-tandem-runner-error";
/** Keys shorter than this are refused: whoever holds the key starts containers. */
export const MIN_RUNNER_KEY_LENGTH = 32;

/** A container's memory limit, as wrangler.toml's `instance_type` (standard-1: 4 GiB) bounds it in production. */
export const CONTAINER_MEMORY = "4g";

/** The port the agent listens on inside its container (the image's PORT, AgentContainer's defaultPort). */
export const AGENT_CONTAINER_PORT = 8788;

/** `PATCH /sessions/:id`: what the session's next container starts with, as AgentContainer keeps it. */
export const RunnerSessionPatchSchema = z.strictObject({
  /** The container's environment (AgentContainer.envVars): names as in a shell, values without NUL. */
  env: z
    .record(
      z.string().regex(/^[A-Z_][A-Z0-9_]*$/),
      z
        .string()
        .max(4096)
        .refine((value) => !value.includes("\0")),
    )
    .optional(),
  /** Idle this long (no request, no open socket), the container is stopped (AgentContainer.sleepAfter). */
  sleepAfterSeconds: z.int().min(1).max(86_400).optional(),
});
export type RunnerSessionPatch = z.infer<typeof RunnerSessionPatchSchema>;

/** What the runner knows of a session's container (`GET /sessions/:id`). */
export const RunnerSessionSchema = z.object({
  running: z.boolean(),
  containerId: z.string().nullable(),
  /** How long the last start took: `docker run` until the agent answered its health check. */
  lastStartMs: z.number().nullable(),
});
export type RunnerSession = z.infer<typeof RunnerSessionSchema>;

export function runnerSessionPath(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}`;
}

/** Where a request for the session's container goes: the runner forwards the rest of the path to port 8788. */
export function runnerContainerPath(sessionId: string, path: string): string {
  return `${runnerSessionPath(sessionId)}/container${path.startsWith("/") ? path : `/${path}`}`;
}
