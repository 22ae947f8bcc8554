/**
 * The changes of a saved workspace, kept in R2 beside its archive: made once per archive (by the agent
 * when it saves, else by the workbench the first time someone asks), so reading a stopped session's
 * changes starts no container, however many people open its page. Kept as answered, already redacted;
 * tagged with the archive's save time, so a newer archive never serves older changes.
 */
import { ChangesSchema, type Changes } from "../protocol/git";

export const savedChangesKey = (sessionId: string) => `sessions/${sessionId}/workspace-changes.json`;

export async function keepSavedChanges(
  bucket: R2Bucket,
  sessionId: string,
  savedAt: number,
  changes: Changes,
): Promise<void> {
  await bucket.put(savedChangesKey(sessionId), JSON.stringify(changes), {
    httpMetadata: { contentType: "application/json" },
    customMetadata: { savedAt: String(savedAt) },
  });
}

/** The changes kept for the archive saved at `savedAt`; null when none are (or they are of another archive). */
export async function readSavedChanges(
  bucket: R2Bucket,
  sessionId: string,
  savedAt: number,
): Promise<Changes | null> {
  const object = await bucket.get(savedChangesKey(sessionId));
  if (!object) return null;
  if (object.customMetadata?.savedAt !== String(savedAt)) {
    await object.body.cancel();
    return null;
  }
  const parsed = ChangesSchema.safeParse(await object.json().catch(() => null));
  return parsed.success ? parsed.data : null;
}

/** How long a save waits for its agent's changes: a save (and so a run's end) is never held longer. */
const AGENT_CHANGES_MS = 10_000;

/**
 * Asks the run's agent, which has the workspace it just archived, for its changes, and keeps them with the
 * archive; nothing is kept when it cannot answer (the workbench makes them once, on the first ask).
 */
export async function keepChangesFromAgent(
  bucket: R2Bucket,
  sessionId: string,
  savedAt: number,
  request: (path: string, init?: RequestInit) => Promise<Response> | null,
  redaction: { deep<T>(value: T): T },
): Promise<void> {
  try {
    const pending = request(`/sessions/${encodeURIComponent(sessionId)}/changes`, {
      signal: AbortSignal.timeout(AGENT_CHANGES_MS),
    });
    if (!pending) return;
    const response = await pending;
    const parsed = ChangesSchema.safeParse(await response.json().catch(() => null));
    if (response.ok && parsed.success)
      await keepSavedChanges(bucket, sessionId, savedAt, redaction.deep(parsed.data));
  } catch (err) {
    console.error("the saved workspace's changes were not kept", err);
  }
}
