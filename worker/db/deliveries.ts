export type DeliveryStatus = "pending" | "accepted" | "skipped" | "failed";

export interface DeliveryRow {
  id: string;
  trigger_id: string;
  delivery_id: string;
  event: string | null;
  status: DeliveryStatus;
  outcome: string | null;
  session_id: string | null;
  received_at: number;
  updated_at: number;
}

/** A pending delivery left this long belongs to a request that died; a redelivery may take it over. */
export const STALE_PENDING_MS = 60_000;

/**
 * Records a delivery as pending; false when this trigger already has one with this delivery id. The
 * UNIQUE (trigger_id, delivery_id) constraint decides, so of two concurrent copies exactly one wins.
 */
export async function claimDelivery(
  db: D1Database,
  d: { id: string; triggerId: string; deliveryId: string; event: string | null; now: number },
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO deliveries (id, trigger_id, delivery_id, event, status, received_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (trigger_id, delivery_id) DO NOTHING`,
    )
    .bind(d.id, d.triggerId, d.deliveryId, d.event, d.now, d.now)
    .run();
  return result.meta.changes > 0;
}

/** Takes over a failed (or abandoned) delivery so a redelivery can try again; false if it is not one. */
export async function reclaimDelivery(
  db: D1Database,
  triggerId: string,
  deliveryId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = 'pending', outcome = NULL, updated_at = ?3
       WHERE trigger_id = ?1 AND delivery_id = ?2 AND (status = 'failed' OR (status = 'pending' AND updated_at < ?4))`,
    )
    .bind(triggerId, deliveryId, now, now - STALE_PENDING_MS)
    .run();
  return result.meta.changes > 0;
}

/**
 * Claims a body (by its SHA-256) for a delivery; returns the delivery id that holds it: this one when the
 * body is new to the trigger (or held by this same delivery id), else the first delivery that sent it.
 * A body is held for the trigger's whole life (its rows go with it): neither the delivery id nor the event
 * header is signed, so a captured body sent again, however late and under whatever event, is the first
 * delivery again, answered as it was (its session, or its skip). One statement decides, so of two copies
 * under different ids exactly one holds the body.
 */
export async function claimBody(
  db: D1Database,
  triggerId: string,
  bodyHash: string,
  deliveryId: string,
  now: number,
): Promise<string> {
  const claimed = await db
    .prepare(
      `INSERT INTO delivery_bodies (trigger_id, body_hash, delivery_id, received_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (trigger_id, body_hash) DO NOTHING
       RETURNING delivery_id`,
    )
    .bind(triggerId, bodyHash, deliveryId, now)
    .first<{ delivery_id: string }>();
  if (claimed) return claimed.delivery_id;
  const holder = await db
    .prepare(`SELECT delivery_id FROM delivery_bodies WHERE trigger_id = ? AND body_hash = ?`)
    .bind(triggerId, bodyHash)
    .first<{ delivery_id: string }>();
  return holder?.delivery_id ?? deliveryId;
}

export function getDelivery(
  db: D1Database,
  triggerId: string,
  deliveryId: string,
): Promise<DeliveryRow | null> {
  return db
    .prepare(`SELECT * FROM deliveries WHERE trigger_id = ? AND delivery_id = ?`)
    .bind(triggerId, deliveryId)
    .first<DeliveryRow>();
}

export async function finishDelivery(
  db: D1Database,
  triggerId: string,
  deliveryId: string,
  result: { status: Exclude<DeliveryStatus, "pending">; outcome: string; sessionId?: string },
): Promise<void> {
  await db
    .prepare(
      `UPDATE deliveries SET status = ?, outcome = ?, session_id = ?, updated_at = ? WHERE trigger_id = ? AND delivery_id = ?`,
    )
    .bind(result.status, result.outcome, result.sessionId ?? null, Date.now(), triggerId, deliveryId)
    .run();
}

export async function listDeliveries(
  db: D1Database,
  triggerId: string,
  limit: number,
): Promise<DeliveryRow[]> {
  const { results } = await db
    .prepare(`SELECT * FROM deliveries WHERE trigger_id = ? ORDER BY received_at DESC, rowid DESC LIMIT ?`)
    .bind(triggerId, limit)
    .all<DeliveryRow>();
  return results;
}

export const deliveryView = (row: DeliveryRow) => ({
  deliveryId: row.delivery_id,
  event: row.event,
  status: row.status,
  outcome: row.outcome,
  sessionId: row.session_id,
  receivedAt: row.received_at,
  updatedAt: row.updated_at,
});
