/**
 * The whole document as a new viewer asks for it, kept encoded between joins. Encoding a long
 * transcript's state takes tens of milliseconds, and every late joiner (and every shard that attaches)
 * asks for the same thing: the document as it is. The parts encoded for one join are kept with the state
 * vector they cover; the next join gets them again, followed by what changed since (an ordinary update
 * from that state vector, carrying the whole delete set), which together are the document now, as they
 * would be for a viewer that was there at the time and received every update since. Once what changed
 * since is a fair share of what is kept, the whole document is encoded again and kept instead.
 */
import * as Y from "yjs";
import { EVERYTHING, encodeStateAsUpdateParts } from "./update-parts";

/** Re-encode once the changes since the kept encoding pass this share of it (they are sent to every joiner). */
const REENCODE_SHARE = 0.25;

export class EncodedState {
  readonly #doc: Y.Doc;
  readonly #maxBytes: number;
  #kept: { parts: Uint8Array[]; bytes: number; stateVector: Uint8Array } | null = null;
  /** What changed since the kept parts, encoded once for every joiner until the document changes again. */
  #since: Uint8Array[] = [];
  /** Whether the document changed since the parts (and what changed since them) were encoded. */
  #changed = false;

  constructor(doc: Y.Doc, maxBytes: number) {
    this.#doc = doc;
    this.#maxBytes = maxBytes;
    doc.on("update", () => {
      this.#changed = true;
    });
  }

  /** The whole document as updates of at most `maxBytes` each, to be applied in order. */
  everything(): Uint8Array[] {
    const kept = this.#kept;
    if (kept && !this.#changed) return [...kept.parts, ...this.#since];
    this.#changed = false;
    if (kept) {
      // Encoded at every join before: with the whole delete set, 0.55 ms a join for 1,000 joins of an idle session.
      const since = encodeStateAsUpdateParts(this.#doc, kept.stateVector, this.#maxBytes);
      if (byteLength(since) <= kept.bytes * REENCODE_SHARE) {
        this.#since = since;
        return [...kept.parts, ...since];
      }
    }
    const parts = encodeStateAsUpdateParts(this.#doc, EVERYTHING, this.#maxBytes);
    this.#kept = { parts, bytes: byteLength(parts), stateVector: Y.encodeStateVector(this.#doc) };
    this.#since = [];
    return parts;
  }
}

const byteLength = (parts: Uint8Array[]) => parts.reduce((sum, part) => sum + part.byteLength, 0);
