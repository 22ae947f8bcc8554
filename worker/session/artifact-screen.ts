/**
 * Artifacts pass the workspace's secrets on their way into R2, a chunk at a time, so no file is ever
 * whole in the room's memory. A text file (no NUL, valid UTF-8 in its first 8000 bytes) comes out with
 * every form of a secret replaced; a binary file in which a form occurs is refused, since replacing bytes
 * would corrupt it. Matching is done on bytes (`Redaction.bytewise`), so a chunk boundary may fall
 * anywhere, even inside a character: the tail that could still become a form is held back, as for
 * streamed deltas.
 */
import { binaryToBytes, bytesToBinary, type Redaction } from "../protocol/redaction";

/** The head that decides whether a file is text, as git and most tools decide it. */
const PROBE_BYTES = 8000;

export class ArtifactRefused extends Error {}

export interface ArtifactScreen {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Once the stream has ended: whether anything was replaced. */
  redacted(): boolean;
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    // stream: a character cut off at the end of the head is not an error.
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

export function screenArtifact(secrets: Redaction): ArtifactScreen {
  if (secrets.empty) return { stream: new TransformStream(), redacted: () => false };
  const forms = secrets.bytewise();
  const overlap = Math.max(0, forms.longestSpan - 1);
  let kind: "text" | "binary" | null = null;
  let probe: Uint8Array[] = [];
  let probeBytes = 0;
  /** Text: the held-back start of a possible form. Binary: the last bytes seen, for a form across chunks. */
  let tail = "";
  let redacted = false;

  const pass = (
    chunk: Uint8Array,
    controller: TransformStreamDefaultController<Uint8Array>,
    final: boolean,
  ) => {
    const text = tail + bytesToBinary(chunk);
    if (kind === "binary") {
      if (forms.scan(text, true).out !== text)
        throw new ArtifactRefused("it is a binary file that contains a workspace secret");
      tail = text.slice(Math.max(0, text.length - overlap));
      if (chunk.byteLength > 0) controller.enqueue(chunk);
      return;
    }
    const { out, held } = forms.scan(text, final);
    if (!redacted && out !== text.slice(0, text.length - held.length)) redacted = true;
    tail = held;
    if (out.length > 0) controller.enqueue(binaryToBytes(out));
  };

  const decide = (controller: TransformStreamDefaultController<Uint8Array>, final: boolean) => {
    const head = new Uint8Array(probeBytes);
    let offset = 0;
    for (const part of probe) {
      head.set(part, offset);
      offset += part.byteLength;
    }
    probe = [];
    kind = looksLikeText(head.subarray(0, PROBE_BYTES)) ? "text" : "binary";
    pass(head, controller, final);
  };

  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (kind) return pass(chunk, controller, false);
      probe.push(chunk);
      probeBytes += chunk.byteLength;
      if (probeBytes >= PROBE_BYTES) decide(controller, false);
    },
    flush(controller) {
      if (!kind) decide(controller, true);
      else if (kind === "text") pass(new Uint8Array(0), controller, true);
    },
  });
  return { stream, redacted: () => redacted };
}
