/**
 * What the events log keeps of an agent frame that failed validation: a description of its shape, never
 * its text, which may hold a secret the room could not redact (it never got a parsed frame to redact).
 */
import { FromAgentFrameSchema } from "../protocol/agent";

const FRAME_TYPES: ReadonlySet<unknown> = new Set(
  FromAgentFrameSchema.options.map((option) => option.shape.type.value),
);
/** Issue paths name schema keys; anything else (a key the agent made up) is not repeated. */
const SCHEMA_KEY = /^[A-Za-z_]{1,40}$/;

function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

export function describeInvalidFrame(data: unknown): string {
  if (typeof data !== "string") return `invalid frame: binary (${byteLength(data)} bytes)`;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return `invalid frame: not JSON (${data.length} characters)`;
  }
  if (json === null || typeof json !== "object" || Array.isArray(json))
    return `invalid frame: not a JSON object (${data.length} characters)`;
  const type = (json as { type?: unknown }).type;
  const named = FRAME_TYPES.has(type) ? `"${String(type)}"` : "of unknown type";
  const parsed = FromAgentFrameSchema.safeParse(json);
  const issues = parsed.success
    ? []
    : parsed.error.issues.slice(0, 5).map((issue) => {
        const where = issue.path
          .map((part) => (typeof part === "number" || SCHEMA_KEY.test(String(part)) ? String(part) : "?"))
          .join(".");
        return `${where || "frame"}: ${issue.code}`;
      });
  return `invalid frame ${named} (${data.length} characters)${issues.length ? `: ${issues.join("; ")}` : ""}`;
}
