/**
 * The Durable Object SQLite limits that production enforces and local workerd does not: a row or BLOB
 * holds at most 2 MB. The room's storage goes through this wrapper everywhere, so a write that would fail
 * in production fails the same way in `wrangler dev` and in tests.
 */

/** Cloudflare's limit on one DO SQLite row, string or BLOB. */
export const MAX_ROW_BYTES = 2_000_000;

export class RowTooBigError extends Error {
  constructor(readonly bytes: number) {
    super(
      `SQLITE_TOOBIG: a row of ${bytes} bytes exceeds the ${MAX_ROW_BYTES}-byte limit of Durable Object storage`,
    );
  }
}

const encoder = new TextEncoder();

function valueBytes(value: unknown): number {
  // Short strings count at their UTF-8 upper bound; long ones are measured.
  if (typeof value === "string")
    return value.length < 1024 ? value.length * 3 : encoder.encode(value).byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  return 8;
}

/** `sql`, with every write's bound values checked against the row limit before they reach SQLite. */
export function rowLimited(sql: SqlStorage, maxRowBytes = MAX_ROW_BYTES): SqlStorage {
  return new Proxy(sql, {
    get(target, property) {
      if (property !== "exec") {
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (query: string, ...bindings: unknown[]) => {
        let bytes = 0;
        for (const value of bindings) bytes += valueBytes(value);
        if (bytes > maxRowBytes) throw new RowTooBigError(bytes);
        return target.exec(query, ...bindings);
      };
    },
  });
}
