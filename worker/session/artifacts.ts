import type { Redaction } from "../protocol/redaction";
import { ArtifactRefused, screenArtifact } from "./artifact-screen";
import type { AgentEndpoint } from "./agent-link";
import { r2Pages } from "./r2-pages";

/** Where a session's artifact lives in R2: one prefix a session, so delete removes them all. */
export const artifactKey = (sessionId: string, name: string) => `sessions/${sessionId}/artifacts/${name}`;

/** Names as the agent reports them: relative paths under workspace/artifacts, never escaping it. */
export function isSafeArtifactName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 500 &&
    !name.startsWith("/") &&
    !name.split("/").some((part) => part === ".." || part === "." || part === "")
  );
}

/** The largest artifact kept; a larger one is refused with an `artifact_too_large` event. */
export const MAX_ARTIFACT_BYTES = 100 * 1024 * 1024;
/** Parts of an upload whose length the agent did not declare: R2 wants every part but the last ≥ 5 MiB. */
const PART_BYTES = 8 * 1024 * 1024;

export class ArtifactTooLarge extends Error {
  constructor(readonly size: number) {
    super(`${size} bytes or more is over the ${MAX_ARTIFACT_BYTES}-byte limit`);
  }
}

export type ArtifactCopy =
  { kept: true; size: number; redacted: boolean } | { kept: false; code: "artifact_refused"; reason: string };

/**
 * Copies one artifact from the agent into R2 (the agent's workspace goes away with its container),
 * streamed: never more than one upload part in the room's memory, whatever the file's size. Its bytes
 * pass the secrets on the way (artifact-screen.ts): a text file is kept redacted, a binary one holding a
 * secret is refused. Throws when the agent cannot be reached or answers with an error.
 */
export async function copyArtifact(
  bucket: R2Bucket,
  agent: AgentEndpoint,
  sessionId: string,
  name: string,
  secrets: Redaction,
): Promise<ArtifactCopy> {
  const path = `/sessions/${encodeURIComponent(sessionId)}/artifacts/${name.split("/").map(encodeURIComponent).join("/")}`;
  const response = await agent.fetch(path);
  if (!response.ok || !response.body)
    throw new Error(`agent answered ${response.status} for artifact ${name}`);
  const key = artifactKey(sessionId, name);
  const httpMetadata = { contentType: response.headers.get("content-type") ?? "application/octet-stream" };
  const declared = response.headers.get("content-length");
  // A declared size over the cap is refused before a byte is read; an undeclared one is counted as it flows.
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > MAX_ARTIFACT_BYTES) {
    await response.body.cancel();
    throw new ArtifactTooLarge(Number(declared));
  }
  const screen = screenArtifact(secrets);
  try {
    const size = await streamInParts(bucket, key, response.body.pipeThrough(screen.stream), httpMetadata);
    return { kept: true, size, redacted: screen.redacted() };
  } catch (err) {
    if (err instanceof ArtifactRefused)
      return { kept: false, code: "artifact_refused", reason: `artifact ${name} not kept: ${err.message}` };
    throw err;
  }
}

/** A body (its length changes when it is redacted): one put when it fits a part, else a multipart upload, a part at a time. */
async function streamInParts(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  httpMetadata: R2HTTPMetadata,
): Promise<number> {
  const reader = body.getReader();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (value) {
        total += value.byteLength;
        if (total > MAX_ARTIFACT_BYTES) throw new ArtifactTooLarge(total);
        pending.push(value);
        pendingBytes += value.byteLength;
      }
      if (done && !upload) {
        await bucket.put(key, concat(pending, pendingBytes), { httpMetadata });
        return total;
      }
      if (pendingBytes >= PART_BYTES || (done && pendingBytes > 0)) {
        upload ??= await bucket.createMultipartUpload(key, { httpMetadata });
        parts.push(await upload.uploadPart(parts.length + 1, concat(pending, pendingBytes)));
        pending = [];
        pendingBytes = 0;
      }
      if (done) {
        await upload!.complete(parts);
        return total;
      }
    }
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    await upload?.abort().catch(() => undefined);
    throw err;
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

export async function deleteArtifacts(bucket: R2Bucket, sessionId: string): Promise<void> {
  for await (const objects of r2Pages(bucket, `sessions/${sessionId}/`))
    if (objects.length > 0) await bucket.delete(objects.map((object) => object.key));
}
