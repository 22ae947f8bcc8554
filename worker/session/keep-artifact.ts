/**
 * An artifact the agent wrote, copied into R2 (secrets redacted) and only then listed, so a listed
 * artifact can always be downloaded.
 */
import type { Env } from "../env";
import type { Redaction } from "../protocol/redaction";
import { REDACTED } from "../secrets";
import type { AgentEndpoint } from "./agent-link";
import { ArtifactTooLarge, artifactKey, copyArtifact, isSafeArtifactName } from "./artifacts";
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";

export interface ArtifactKeeper {
  readonly env: Env;
  readonly state: SessionState;
  readonly store: RoomStore;
  readonly agent: AgentEndpoint;
  /** The workspace's secrets, replaced in the copy. */
  readonly secrets: Redaction;
}

/** Refuses a name that is not an artifact's; otherwise copies it and lists it. */
export async function keepArtifact(
  keeper: ArtifactKeeper,
  name: string,
  reportedSize: number,
): Promise<void> {
  const { env, state, store } = keeper;
  const record = state.record;
  if (!record) return;
  if (!isSafeArtifactName(name)) {
    store.appendEvent({
      at: Date.now(),
      type: "invalid_frame",
      reason: `artifact name refused: ${name.slice(0, 100)}`,
    });
    return;
  }
  try {
    const copy = await copyArtifact(env.ARTIFACTS, keeper.agent, record.id, name, keeper.secrets);
    // Deleted while it streamed: the session's prefix is already gone, so this copy goes too.
    if (!state.record) return void (copy.kept && (await env.ARTIFACTS.delete(artifactKey(record.id, name))));
    if (!copy.kept) {
      store.appendEvent({ at: Date.now(), type: copy.code, reason: copy.reason });
      return;
    }
    if (copy.redacted)
      store.appendEvent({
        at: Date.now(),
        type: "artifact_redacted",
        reason: `artifact ${name}: workspace secrets replaced by ${REDACTED}`,
      });
    store.putArtifact(name, copy.size, Date.now());
    state.transcript?.setInfo({ artifacts: store.artifacts() });
  } catch (err) {
    const reason = `artifact ${name} (${reportedSize} bytes) not kept: ${err instanceof Error ? err.message : String(err)}`;
    store.appendEvent({
      at: Date.now(),
      type: err instanceof ArtifactTooLarge ? "artifact_too_large" : "artifact_error",
      reason,
    });
  }
}
