/**
 * Reading request bodies from outside: never more than a cap into memory, JSON only when the request
 * says it is JSON, and never nested deeper than anything Tandem accepts (a nesting bomb would otherwise
 * overflow the stack of whatever walks it later).
 */
import type { Context } from "hono";
import type { z } from "zod";
import { HttpError, parseInput } from "./errors";

/** No JSON body of the API comes near this (the largest, a trigger, holds a 100,000-character template). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;
/** Tandem's own bodies nest a few levels; GitHub's payloads about ten. */
export const MAX_JSON_DEPTH = 64;

const tooLarge = (limit: number) =>
  new HttpError("payload_too_large", `request bodies are limited to ${limit} bytes`);

/** The raw body, read once; over `limit` bytes (declared or actual) is a 413 before anything is parsed. */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** `application/json` or `application/<anything>+json`, with or without parameters. */
export function isJsonContentType(header: string | null): boolean {
  const type = header?.split(";")[0].trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}

/** Parses UTF-8 JSON text no deeper than MAX_JSON_DEPTH; anything else is a 400. */
export function parseJsonText(bytes: Uint8Array, what = "request body"): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new HttpError("invalid_json", `the ${what} must be UTF-8 JSON`);
  }
  if (exceedsDepth(text, MAX_JSON_DEPTH))
    throw new HttpError("invalid_json", `the ${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError("invalid_json", `the ${what} must be JSON`);
  }
  // `\ud800` escapes make text no UTF-8 can carry: stored, it would come back as something else.
  if (hasLoneSurrogate(value))
    throw new HttpError(
      "invalid_json",
      `the ${what} has a lone surrogate (\\uD800–\\uDFFF): not Unicode text`,
    );
  return value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether any string (or key) in a parsed JSON value holds half a surrogate pair. */
function hasLoneSurrogate(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) return true;
    } else if (Array.isArray(value)) pending.push(...value);
    else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}

/** Whether JSON text opens more than `max` arrays or objects inside each other (strings skipped). */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/**
 * Reads a JSON body: a missing, malformed, oversized or too deeply nested one is a 4xx, not a 500, and so
 * is one not sent as JSON (a cross-site form can post `text/plain`, never `application/json`).
 */
export async function readJson<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readBodyBytes(c.req.raw, MAX_JSON_BODY_BYTES);
  if (new TextDecoder().decode(bytes).trim() === "")
    throw new HttpError("missing_body", "request body is required");
  if (!isJsonContentType(c.req.header("content-type") ?? null)) {
    throw new HttpError(
      "unsupported_media_type",
      "send the body as JSON with Content-Type: application/json",
    );
  }
  return parseInput(schema, parseJsonText(bytes));
}
