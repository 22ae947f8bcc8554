/**
 * Keeping workspace secrets out of everything shown, the same way in the agent and in the room (the
 * room is the last line). A secret is caught as itself, base64-encoded (at any alignment, either
 * alphabet) and URL-encoded; a secret split across streamed deltas is caught by holding back the tail of
 * a stream that could still become one (never longer than the longest form). Pure TypeScript: the agent
 * (Node) imports it too.
 */

export const REDACTED = "[redacted]";

/** The shortest value PUT …/secrets accepts: shorter ones cannot be told apart from ordinary text. */
export const MIN_SECRET_LENGTH = 8;
/** Values stored before that rule are still redacted as themselves down to this length (not encoded). */
const MIN_LEGACY_LENGTH = 4;
/** Encoded forms shorter than this would match ordinary text. */
const MIN_FORM_LENGTH = 8;

/** Bytes as a string of one character (U+0000–U+00FF) a byte, and back: what `bytewise` scans. */
export function bytesToBinary(bytes: Uint8Array): string {
  return toBinaryString(bytes);
}

export function binaryToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function toBinaryString(bytes: Uint8Array): string {
  let out = "";
  for (let at = 0; at < bytes.length; at += 8192)
    out += String.fromCharCode(...bytes.subarray(at, at + 8192));
  return out;
}

/**
 * The base64 text that encodes `value` wherever it sits in the encoded data: for each of the three
 * alignments, the characters that depend only on the value's bytes (those mixing in the bytes around it
 * are dropped), in the standard and the URL-safe alphabet.
 */
function base64Forms(value: string): string[] {
  const bytes = new TextEncoder().encode(value);
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const shifted = new Uint8Array(shift + bytes.length);
    shifted.set(bytes, shift);
    const encoded = btoa(toBinaryString(shifted));
    const lead = [0, 2, 3][shift];
    const rest = shifted.length % 3;
    const trail = rest === 0 ? 0 : 3 - rest + 1; // the padding, and the character that mixes in the next byte
    const core = encoded.slice(lead, encoded.length - trail);
    forms.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return forms;
}

/** URL-encoded spellings: encodeURIComponent's, with lower-case escapes, with `+` for spaces, with `/` left as is. */
function urlForms(value: string): string[] {
  const encoded = encodeURIComponent(value);
  const lower = encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
  return [encoded, lower, encoded.replace(/%20/g, "+"), encoded.replace(/%2F/g, "/")];
}

/** Every form of `value` that is redacted. */
export function secretForms(value: string): string[] {
  if (value.length < MIN_LEGACY_LENGTH) return [];
  if (value.length < MIN_SECRET_LENGTH) return [value];
  const encoded = [...base64Forms(value), ...urlForms(value)].filter(
    (form) => form.length >= MIN_FORM_LENGTH && form !== value,
  );
  return [...new Set([value, ...encoded])];
}

/** `matchAt` found the text ending before the form did: more text could still complete it. */
const RAN_OUT = -2;

/**
 * Where a match of `form` starting at `at` ends, or -1, or RAN_OUT. A line break (`\n` or `\r\n`) may
 * fall between any two of the form's characters: `base64` wraps its output at 76 columns, PEM and MIME at
 * 64 or 76, so an encoded secret is often split over lines (and a raw one folded).
 */
function matchAt(text: string, at: number, form: string): number {
  let j = at;
  for (let i = 0; i < form.length; i++) {
    if (j >= text.length) return RAN_OUT;
    if (text[j] === form[i]) {
      j++;
      continue;
    }
    if (i === 0) return -1;
    // One line break between two of the form's characters is stepped over.
    let k = j;
    if (text[k] === "\r") {
      if (k + 1 >= text.length) return RAN_OUT;
      k++;
    }
    if (text[k] !== "\n") return -1;
    k++;
    if (k >= text.length) return RAN_OUT;
    if (text[k] !== form[i]) return -1;
    j = k + 1;
  }
  return j;
}

export interface ScanResult {
  /** The text with every complete form replaced. */
  out: string;
  /** A tail that may be the start of a form: held until more text comes (empty when `final`). */
  held: string;
}

export class Redaction {
  /** Forms by their first character, longest first. */
  readonly #byFirst = new Map<string, string[]>();
  readonly #forms: string[];

  constructor(values: Iterable<string>, expand: (value: string) => string[] = secretForms) {
    this.#forms = [...new Set([...values].flatMap(expand))].sort((a, b) => b.length - a.length);
    for (const form of this.#forms) {
      const list = this.#byFirst.get(form[0]) ?? [];
      list.push(form);
      this.#byFirst.set(form[0], list);
    }
  }

  get empty(): boolean {
    return this.#forms.length === 0;
  }

  /**
   * Left to right, the longest form that starts at each position is replaced. Unless `final`, the scan
   * stops where the rest of the text is the beginning of a form that more text could complete.
   */
  scan(text: string, final: boolean): ScanResult {
    let out = "";
    let copied = 0;
    let at = 0;
    while (at < text.length) {
      const candidates = this.#byFirst.get(text[at]);
      if (!candidates) {
        at++;
        continue;
      }
      let end = -1;
      let mayGrow = false;
      for (const form of candidates) {
        const found = matchAt(text, at, form);
        if (found > 0) {
          end = found;
          break;
        }
        if (!final && !mayGrow && found === RAN_OUT) mayGrow = true;
      }
      if (mayGrow) return { out: out + text.slice(copied, at), held: text.slice(at) };
      if (end < 0) {
        at++;
        continue;
      }
      out += text.slice(copied, at) + REDACTED;
      at = end;
      copied = at;
    }
    return { out: out + text.slice(copied), held: "" };
  }

  text(input: string): string {
    return this.empty ? input : this.scan(input, true).out;
  }

  /**
   * Text cut short at its end (an output cap): redacted, and a tail that could be the beginning of a
   * secret is dropped, since the rest that would have made it one was cut off.
   */
  cut(input: string): string {
    return this.empty ? input : this.scan(input, false).out;
  }

  /** Redacts every string inside a JSON-like value (frames, tool inputs), keys included. */
  deep<T>(value: T): T {
    return this.empty ? value : (this.#deep(value) as T);
  }

  #deep(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.#deep(item));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [this.text(key), this.#deep(item)]),
      );
    }
    return value;
  }

  /** The longest form, in characters: what a stream may have to hold back. */
  get longestForm(): number {
    return this.#forms[0]?.length ?? 0;
  }

  /** The most text a match can cover: the longest form with a `\r\n` between each two of its characters. */
  get longestSpan(): number {
    return Math.max(0, 3 * this.longestForm - 2);
  }

  /**
   * The same forms as UTF-8 bytes spelled one character a byte (see `bytesToBinary`), so bytes of any
   * kind can be scanned and redacted a chunk at a time without decoding them.
   */
  bytewise(): Redaction {
    const encoder = new TextEncoder();
    return new Redaction(this.#forms, (form) => [toBinaryString(encoder.encode(form))]);
  }
}

/**
 * Streams of text (the agent's text and thinking deltas, one stream per block) redacted as they flow:
 * each push gives what may be shown now and holds back a tail that could still become a secret.
 */
export class StreamRedaction<S> {
  /** May be replaced (new secrets): held text is scanned again with the next push or flush. */
  redaction: Redaction;
  readonly #held = new Map<string, { stream: S; text: string }>();
  readonly #keyOf: (stream: S) => string;

  constructor(redaction: Redaction, keyOf: (stream: S) => string) {
    this.redaction = redaction;
    this.#keyOf = keyOf;
  }

  push(stream: S, text: string): string {
    const key = this.#keyOf(stream);
    const { out, held } = this.redaction.scan((this.#held.get(key)?.text ?? "") + text, false);
    if (held) this.#held.set(key, { stream, text: held });
    else this.#held.delete(key);
    return out;
  }

  /** Ends every stream but `except`: what each held, redacted as final text, in the order they began. */
  flush(except?: S): { stream: S; text: string }[] {
    const skip = except === undefined ? null : this.#keyOf(except);
    const flushed: { stream: S; text: string }[] = [];
    for (const [key, { stream, text }] of this.#held) {
      if (key === skip) continue;
      this.#held.delete(key);
      flushed.push({ stream, text: this.redaction.text(text) });
    }
    return flushed;
  }
}
