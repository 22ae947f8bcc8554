/**
 * Warm starts: the workspace as a successful setup left it, kept in R2 under the workspace (never a
 * session: deleting a session keeps it) by the key the agent computed after the clone (the scripts, the
 * variables, each repository's commit). A new run whose key matches gets it instead of running the setup.
 * Only the key this run's agent announced in Creating is kept, once: an agent cannot place an environment
 * under another key, nor replace one after its setup (once Claude Code may have changed the workspace).
 */
import { INCARNATION_HEADER, WORKSPACE_ARCHIVE_MAX_BYTES } from "../protocol/agent";
import {
  ENVIRONMENT_MISSING_HEADER,
  ENVIRONMENTS_KEPT,
  agentEnvironmentPath,
  environmentArchiveKey,
  environmentsPrefix,
} from "../protocol/environment";
import type { AgentEndpoint } from "./agent-link";
import { r2Pages } from "./r2-pages";
import { formatBytes } from "./workspace-archive";

/** The run's agent while it is in Creating: the only time its environment is asked for or kept. */
export interface CreatingAgent {
  sessionId: string;
  workspaceId: string;
  incarnation: string;
  endpoint: AgentEndpoint;
}

export interface EnvironmentCacheHost {
  readonly bucket: R2Bucket;
  creatingAgent(): CreatingAgent | null;
  event(type: string, reason: string): void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class EnvironmentCache {
  readonly #host: EnvironmentCacheHost;
  /** The key this run's agent announced, until its archive is stored. */
  #announced: { key: string; incarnation: string } | null = null;

  constructor(host: EnvironmentCacheHost) {
    this.#host = host;
  }

  /** The agent asks for the environment of `key`: the saved one streamed to it, or word that there is none. */
  async wanted(key: string): Promise<void> {
    const agent = this.#host.creatingAgent();
    if (!agent) return;
    this.#announced = { key, incarnation: agent.incarnation };
    const saved = await this.#host.bucket.get(environmentArchiveKey(agent.workspaceId, key));
    const headers: Record<string, string> = { [INCARNATION_HEADER]: agent.incarnation };
    const init: RequestInit = saved
      ? {
          method: "PUT",
          headers: { ...headers, "content-type": "application/gzip", "content-length": String(saved.size) },
          body: saved.body,
        }
      : { method: "PUT", headers: { ...headers, [ENVIRONMENT_MISSING_HEADER]: "1" } };
    try {
      const response = await agent.endpoint.fetch(agentEnvironmentPath(agent.sessionId), init);
      const detail = await response.text().catch(() => "");
      if (response.status !== 204)
        this.#host.event(
          "environment_restore_failed",
          `the agent refused the saved environment (${response.status}): ${detail.slice(0, 300)}`,
        );
    } catch (err) {
      // Without an answer the agent runs the setup itself.
      this.#host.event("environment_restore_failed", `the saved environment was not sent: ${message(err)}`);
    }
  }

  /** The setup succeeded: its archive is streamed into R2 under the key announced (any other is refused). */
  async archived(key: string, size: number, overLimit: boolean): Promise<void> {
    const agent = this.#host.creatingAgent();
    const announced = this.#announced;
    this.#announced = null;
    if (!agent || !announced || announced.key !== key || announced.incarnation !== agent.incarnation) {
      return this.#host.event(
        "environment_not_saved",
        "an environment archive the room did not ask for was refused",
      );
    }
    if (overLimit || size > WORKSPACE_ARCHIVE_MAX_BYTES) {
      return this.#host.event(
        "environment_not_saved",
        `the environment is ${formatBytes(size)}, over the ${formatBytes(WORKSPACE_ARCHIVE_MAX_BYTES)} cap: the next session runs the setup again`,
      );
    }
    try {
      const response = await agent.endpoint.fetch(agentEnvironmentPath(agent.sessionId), {
        headers: { [INCARNATION_HEADER]: agent.incarnation },
      });
      const length = Number(response.headers.get("content-length"));
      if (
        !response.ok ||
        !response.body ||
        !Number.isSafeInteger(length) ||
        length > WORKSPACE_ARCHIVE_MAX_BYTES
      ) {
        await response.body?.cancel();
        return this.#host.event(
          "environment_not_saved",
          `the agent answered ${response.status} for the environment archive`,
        );
      }
      const body = response.body.pipeThrough(new FixedLengthStream(length));
      await this.#host.bucket.put(environmentArchiveKey(agent.workspaceId, key), body, {
        httpMetadata: { contentType: "application/gzip" },
        customMetadata: { sessionId: agent.sessionId },
      });
    } catch (err) {
      this.#host.event("environment_not_saved", `the environment was not saved: ${message(err)}`);
      return;
    }
    await this.#prune(agent.workspaceId).catch((err: unknown) =>
      this.#host.event("environment_prune_failed", `older environments were not removed: ${message(err)}`),
    );
  }

  /** Keeps the workspace's newest ENVIRONMENTS_KEPT environments; the next session on an older commit sets up again. */
  async #prune(workspaceId: string): Promise<void> {
    const objects: R2Object[] = [];
    for await (const page of r2Pages(this.#host.bucket, environmentsPrefix(workspaceId)))
      objects.push(...page);
    const older = objects
      .sort((a, b) => b.uploaded.getTime() - a.uploaded.getTime())
      .slice(ENVIRONMENTS_KEPT)
      .map((object) => object.key);
    if (older.length > 0) await this.#host.bucket.delete(older);
  }
}
