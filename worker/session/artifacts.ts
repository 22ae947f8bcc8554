import type { AgentEndpoint } from "./agent-link";

/** Where a session's artifact lives in R2: one prefix a session, so delete removes them all. */
export const artifactKey = (sessionId: string, name: string) => `sessions/${sessionId}/artifacts/${name}`;

/** Names as the agent reports them: relative paths under workspace/artifacts, never escaping it. */
export function isSafeArtifactName(name: string): boolean {
  return name.length > 0 && name.length <= 500 && !name.startsWith("/") && !name.split("/").some((part) => part === ".." || part === "." || part === "");
}

/** Copies one artifact from the agent into R2 (the agent's workspace goes away with its container). */
export async function copyArtifact(bucket: R2Bucket, agent: AgentEndpoint, sessionId: string, name: string): Promise<number> {
  const path = `/sessions/${encodeURIComponent(sessionId)}/artifacts/${name.split("/").map(encodeURIComponent).join("/")}`;
  const response = await agent.fetch(path);
  if (!response.ok || !response.body) throw new Error(`agent answered ${response.status} for artifact ${name}`);
  const bytes = await response.arrayBuffer();
  await bucket.put(artifactKey(sessionId, name), bytes, {
    httpMetadata: { contentType: response.headers.get("content-type") ?? "application/octet-stream" },
  });
  return bytes.byteLength;
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
