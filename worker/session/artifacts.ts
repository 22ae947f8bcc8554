import { type Redaction, screenArtifact } from "../protocol/redaction";
import type { AgentEndpoint } from "./agent-link";

/** Where a session's artifact lives in R2: one prefix a session, so delete removes them all. */
export const artifactKey = (sessionId: string, name: string) => `sessions/${sessionId}/artifacts/${name}`;

/** Names as the agent reports them: relative paths under workspace/artifacts, never escaping it. */
export function isSafeArtifactName(name: string): boolean {
  return name.length > 0 && name.length <= 500 && !name.startsWith("/") && !name.split("/").some((part) => part === ".." || part === "." || part === "");
}

export type ArtifactCopy = { kept: true; size: number; redacted: boolean } | { kept: false; code: "artifact_refused"; reason: string };

/**
 * Copies one artifact from the agent into R2 (the agent's workspace goes away with its container). Its
 * bytes pass the secrets first: a text file is kept redacted, a binary one holding a secret is refused.
 * Throws when the agent cannot be reached or answers with an error.
 */
export async function copyArtifact(bucket: R2Bucket, agent: AgentEndpoint, sessionId: string, name: string, secrets: Redaction): Promise<ArtifactCopy> {
  const path = `/sessions/${encodeURIComponent(sessionId)}/artifacts/${name.split("/").map(encodeURIComponent).join("/")}`;
  const response = await agent.fetch(path);
  if (!response.ok || !response.body) throw new Error(`agent answered ${response.status} for artifact ${name}`);
  const screened = screenArtifact(new Uint8Array(await response.arrayBuffer()), secrets);
  if (screened.kind === "refused") return { kept: false, code: "artifact_refused", reason: `artifact ${name} not kept: ${screened.reason}` };
  await bucket.put(artifactKey(sessionId, name), screened.bytes, {
    httpMetadata: { contentType: response.headers.get("content-type") ?? "application/octet-stream" },
  });
  return { kept: true, size: screened.bytes.byteLength, redacted: screened.kind === "redacted" };
}

export async function deleteArtifacts(bucket: R2Bucket, sessionId: string): Promise<void> {
  const prefix = `sessions/${sessionId}/`;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((object) => object.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}
