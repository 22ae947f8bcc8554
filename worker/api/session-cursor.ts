/**
 * The session list's page cursor as the API hands it out: the previous page's last row in the list's
 * order, base64 JSON. The order is in the cursor, so one given with another order is refused (400
 * naming `cursor`) rather than read as keys of the wrong sort. A newest-first cursor keeps the form it
 * had before orders existed ([createdAt, id]), so one a client holds still works.
 */
import { z } from "zod";
import type { SessionPageCursor } from "../db/session-list";
import { HttpError } from "../http/errors";
import type { SessionOrder } from "../protocol/inbox";

const Id = z.string().min(1).max(100);
const NewestCursorSchema = z.tuple([z.int(), Id]);
const AttentionCursorSchema = z.tuple([z.literal("attention"), z.literal([0, 1]), z.int(), Id]);

export function encodeCursor(cursor: SessionPageCursor): string {
  const keys =
    cursor.order === "newest"
      ? [cursor.createdAt, cursor.id]
      : ["attention", cursor.waiting, cursor.lastActivityAt, cursor.id];
  return btoa(JSON.stringify(keys)).replaceAll("=", "");
}

export function decodeCursor(text: string, order: SessionOrder): SessionPageCursor {
  let value: unknown;
  try {
    value = JSON.parse(atob(text));
  } catch {
    value = undefined;
  }
  if (order === "newest") {
    const keys = NewestCursorSchema.safeParse(value);
    if (keys.success) return { order, createdAt: keys.data[0], id: keys.data[1] };
  } else {
    const keys = AttentionCursorSchema.safeParse(value);
    if (keys.success) return { order, waiting: keys.data[1], lastActivityAt: keys.data[2], id: keys.data[3] };
  }
  throw new HttpError("invalid_input", `cursor: not a cursor this API returned for order=${order}`, {
    field: "cursor",
  });
}
