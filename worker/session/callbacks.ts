/**
 * Callbacks: every phase change of a session is POSTed to the callback URL of the trigger
 * that started it and to the workspace's callback URL, signed like GitHub signs webhooks
 * (`X-Tandem-Signature-256: sha256=<HMAC-SHA256 of the body>`, keyed by the trigger's secret or the
 * workspace callback's secret). The queue lives in the SessionRoom's SQLite, so a change is queued in the
 * same transaction that makes it; the room's alarm delivers and retries with backoff. Signing secrets are
 * kept sealed there like workspace secrets; redirects are never followed (the signature would go along),
 * and private addresses are refused outside AUTH_MODE=dev.
 */
import {
  callbackSecretContext,
  getTrigger,
  getWorkspaceCallback,
  triggerSecretContext,
} from "../db/triggers";
import { callbackURLRefusal } from "../http/outbound";
import { openValue, sealValue, type SecretsEnv } from "../secrets";
import { signBody } from "../secrets/hmac";
import type { Phase } from "../protocol/lifecycle";
import { budgetCallbackBody, type BudgetAlert } from "./budget";

export type CallbacksEnv = SecretsEnv & { PUBLIC_URL: string; AUTH_MODE: string };

/** What happened, as the room knows it when the phase changes. */
export interface PhaseChange {
  sessionId: string;
  workspaceId: string;
  /** The trigger that started the session, if one did: its callback URL is called too. */
  triggerId: string | null;
  phase: Phase;
  previousPhase?: Phase;
  at: number;
  reason?: string;
  actor?: string;
}

export interface CallbackTarget {
  /** One queue per target: its callbacks go out in order, one at a time. */
  key: string;
  url: string;
  secret: string;
}

/** A callback ready to be sent to one target (its secret opened only in memory, to sign it). */
export interface CallbackEntry {
  id: number;
  deliveryId: string;
  url: string;
  secret: string;
  body: string;
  attempts: number;
  /** Set when it was dropped at once: why its URL is refused. */
  refused?: string;
}

/** What a dropped callback's event says. */
export function droppedReason(entry: CallbackEntry): string {
  const host = URL.canParse(entry.url) ? new URL(entry.url).host : entry.url;
  return entry.refused
    ? `refused to send to ${host}: ${entry.refused}`
    : `gave up on ${host} after ${entry.attempts + 1} attempts`;
}

/** Waits after the 1st, 2nd, … failed attempt; after the last one the callback is dropped. */
export const RETRY_DELAYS_MS = [
  10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000,
];
export const DELIVERY_TIMEOUT_MS = 10_000;
export const SIGNATURE_HEADER = "X-Tandem-Signature-256";
/** Sends per alarm before yielding: a long backlog continues at the next alarm, which is due at once. */
const MAX_PASSES = 20;

/** The delay before the next attempt, or null when `attempts` failures are enough to give up. */
export function backoffMs(attempts: number): number | null {
  return attempts >= 1 && attempts <= RETRY_DELAYS_MS.length ? RETRY_DELAYS_MS[attempts - 1] : null;
}

/**
 * The signed body. `type` names the kind of event the callback carries: a phase change today; other events
 * (a budget reached) will travel through the same callback with a type of their own.
 */
export function callbackBody(change: PhaseChange, deliveryId: string, publicURL: string): string {
  return JSON.stringify({
    type: "session.phase_changed",
    deliveryId,
    at: new Date(change.at).toISOString(),
    session: {
      id: change.sessionId,
      workspaceId: change.workspaceId,
      url: `${publicURL.replace(/\/+$/, "")}/w/${change.workspaceId}/s/${change.sessionId}`,
      phase: change.phase,
      previousPhase: change.previousPhase ?? null,
      triggerId: change.triggerId,
    },
    reason: change.reason ?? null,
    actor: change.actor ?? null,
  });
}

const bodyOf = (change: PhaseChange | BudgetAlert, deliveryId: string, publicURL: string) =>
  "kind" in change
    ? budgetCallbackBody(change, deliveryId, publicURL)
    : callbackBody(change, deliveryId, publicURL);

/** The body's `type`, which the X-Tandem-Event header repeats. */
function eventType(body: string): string {
  const type: unknown = (JSON.parse(body) as { type?: unknown }).type;
  return typeof type === "string" ? type : "session.phase_changed";
}

/** The callback URLs a session's phase changes go to, with their signing secrets. */
export async function callbackTargets(
  env: CallbacksEnv,
  workspaceId: string,
  triggerId: string | null,
): Promise<CallbackTarget[]> {
  const targets: CallbackTarget[] = [];
  const trigger = triggerId ? await getTrigger(env.DB, triggerId) : null;
  if (trigger?.callback_url) {
    const secret = await openValue(env, triggerSecretContext(trigger.id), {
      ciphertext: trigger.secret_ciphertext,
      iv: trigger.secret_iv,
    });
    targets.push({ key: `trigger:${trigger.id}`, url: trigger.callback_url, secret });
  }
  const workspace = await getWorkspaceCallback(env.DB, workspaceId);
  if (workspace) {
    const secret = await openValue(env, callbackSecretContext(workspaceId), {
      ciphertext: workspace.secret_ciphertext,
      iv: workspace.secret_iv,
    });
    targets.push({ key: "workspace", url: workspace.url, secret });
  }
  return targets;
}

type Delivered = { ok: true } | { ok: false; error: string; permanent?: boolean };

/**
 * Sends one callback; any 2xx is delivered, anything else (status, redirect, network error, timeout)
 * is a failure to retry, and a refused URL one that never will succeed.
 */
export async function deliver(
  entry: CallbackEntry,
  authMode: string,
  fetcher: typeof fetch = fetch,
): Promise<Delivered> {
  const refused = callbackURLRefusal(entry.url, authMode);
  if (refused) return { ok: false, error: refused, permanent: true };
  try {
    const res = await fetcher(entry.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "Tandem-Callbacks/1",
        "x-tandem-event": eventType(entry.body),
        "x-tandem-delivery": entry.deliveryId,
        [SIGNATURE_HEADER]: await signBody(entry.secret, entry.body),
      },
      body: entry.body,
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.status >= 300 && res.status < 400)
      return {
        ok: false,
        error: `HTTP ${res.status} redirect to ${res.headers.get("location") ?? "?"}, not followed`,
      };
    return res.ok ? { ok: true } : { ok: false, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

type Row = Record<string, SqlStorageValue>;

/**
 * The additional data of a sealed signing secret in the queue. It keeps the queue's former name: rows
 * sealed before the rename must still open.
 */
const secretContext = (target: string) => `callback-notification:${target}`;

/**
 * The queue in DO SQLite. A phase change is queued unresolved (synchronously, with the change); `resolve`
 * turns it into one entry per callback target, looked up in D1 when it is sent.
 */
export class CallbackQueue {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** A phase change, or a workspace's budget alert (budget.ts: to the workspace's callback only). */
  enqueue(change: PhaseChange | BudgetAlert): void {
    this.#sql.exec(
      `INSERT INTO callbacks (change, delivery_id, next_at) VALUES (?, ?, ?)`,
      JSON.stringify(change),
      crypto.randomUUID(),
      change.at,
    );
  }

  /** Expands queued changes into one entry per target; a change whose session has no callback is dropped. */
  async resolve(env: CallbacksEnv): Promise<void> {
    const pending = this.#sql
      .exec(`SELECT id, change FROM callbacks WHERE target IS NULL ORDER BY id`)
      .toArray();
    const cache = new Map<string, Promise<CallbackTarget[]>>();
    for (const row of pending) {
      const change = JSON.parse(String(row.change)) as PhaseChange | BudgetAlert;
      const cacheKey = `${change.workspaceId}/${change.triggerId ?? ""}`;
      if (!cache.has(cacheKey))
        cache.set(cacheKey, callbackTargets(env, change.workspaceId, change.triggerId));
      const targets = await cache.get(cacheKey)!;
      for (const target of targets) {
        const deliveryId = crypto.randomUUID();
        const sealed = await sealValue(env, secretContext(target.key), target.secret);
        this.#sql.exec(
          `INSERT INTO callbacks (change, target, url, secret_ciphertext, secret_iv, body, delivery_id, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          String(row.change),
          target.key,
          target.url,
          sealed.ciphertext,
          sealed.iv,
          bodyOf(change, deliveryId, env.PUBLIC_URL),
          deliveryId,
          change.at,
        );
      }
      this.#sql.exec(`DELETE FROM callbacks WHERE id = ?`, row.id);
    }
  }

  /** Seals the clear signing secrets of rows queued before secrets were sealed. */
  async sealLegacySecrets(env: CallbacksEnv): Promise<void> {
    for (const row of this.#sql
      .exec(`SELECT id, target, secret FROM callbacks WHERE secret IS NOT NULL`)
      .toArray()) {
      const sealed = await sealValue(env, secretContext(String(row.target)), String(row.secret));
      this.#sql.exec(
        `UPDATE callbacks SET secret = NULL, secret_ciphertext = ?, secret_iv = ? WHERE id = ?`,
        sealed.ciphertext,
        sealed.iv,
        row.id,
      );
    }
  }

  /** Entries to send now: per target only the oldest, so a target sees the changes in the order they happened. */
  async due(env: CallbacksEnv, now: number): Promise<CallbackEntry[]> {
    const rows = this.#sql
      .exec(
        `SELECT c.* FROM callbacks c
         JOIN (SELECT target, min(id) AS id FROM callbacks WHERE target IS NOT NULL GROUP BY target) head ON head.id = c.id
         WHERE c.next_at <= ? ORDER BY c.id`,
        now,
      )
      .toArray();
    const entries: CallbackEntry[] = [];
    for (const row of rows) {
      try {
        const secret = await openValue(env, secretContext(String(row.target)), {
          ciphertext: String(row.secret_ciphertext),
          iv: String(row.secret_iv),
        });
        entries.push({ ...toEntry(row), secret });
      } catch {
        // Without its secret it cannot be signed; it waits (and is retried) like any failed send.
        this.markFailed(Number(row.id), now, "the signing secret could not be opened");
      }
    }
    return entries;
  }

  markDelivered(id: number): void {
    this.#sql.exec(`DELETE FROM callbacks WHERE id = ?`, id);
  }

  /** Schedules the next attempt; returns false when the entry was dropped after its last attempt. */
  markFailed(id: number, now: number, error: string): boolean {
    const row = this.#sql.exec(`SELECT attempts FROM callbacks WHERE id = ?`, id).toArray()[0];
    if (!row) return false;
    const attempts = Number(row.attempts) + 1;
    const delay = backoffMs(attempts);
    if (delay === null) {
      this.#sql.exec(`DELETE FROM callbacks WHERE id = ?`, id);
      return false;
    }
    this.#sql.exec(
      `UPDATE callbacks SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`,
      attempts,
      now + delay,
      error,
      id,
    );
    return true;
  }

  /** When the alarm should ring for callbacks next (heads of the targets' queues), or null when nothing is queued. */
  nextDueAt(): number | null {
    const row = this.#sql
      .exec(
        `SELECT min(next_at) AS at FROM callbacks
         WHERE target IS NULL OR id IN (SELECT min(id) FROM callbacks WHERE target IS NOT NULL GROUP BY target)`,
      )
      .one();
    return row.at === null ? null : Number(row.at);
  }

  /**
   * One pass, from the room's alarm: resolves targets, sends what is due, schedules retries. Returns when
   * to run again. A failure to resolve (D1 unreachable) is retried after the first backoff.
   */
  async flush(
    env: CallbacksEnv,
    fetcher: typeof fetch = fetch,
    now = Date.now(),
  ): Promise<{ nextAt: number | null; dropped: CallbackEntry[] }> {
    try {
      await this.sealLegacySecrets(env);
      await this.resolve(env);
    } catch (err) {
      console.error(
        "callback targets could not be resolved",
        err instanceof Error ? err.message : String(err),
      );
      this.#sql.exec(`UPDATE callbacks SET next_at = ? WHERE target IS NULL`, now + RETRY_DELAYS_MS[0]);
    }
    const dropped: CallbackEntry[] = [];
    // Each pass sends the head of every target's queue; a delivered head lets the next one go in the next pass.
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const entries = await this.due(env, now);
      if (entries.length === 0) break;
      const results = await Promise.all(entries.map((entry) => deliver(entry, env.AUTH_MODE, fetcher)));
      let delivered = 0;
      entries.forEach((entry, index) => {
        const result = results[index];
        if (result.ok) {
          this.markDelivered(entry.id);
          delivered++;
        } else if (result.permanent) {
          // Dropped at once, and the queue behind it moves on.
          this.markDelivered(entry.id);
          dropped.push({ ...entry, refused: result.error });
          delivered++;
        } else if (!this.markFailed(entry.id, now, result.error)) dropped.push(entry);
      });
      if (delivered === 0) break;
    }
    return { nextAt: this.nextDueAt(), dropped };
  }

  /** Drops everything queued (the session is deleted). */
  clear(): void {
    this.#sql.exec(`DELETE FROM callbacks`);
  }
}

const toEntry = (row: Row): Omit<CallbackEntry, "secret"> => ({
  id: Number(row.id),
  deliveryId: String(row.delivery_id),
  url: String(row.url),
  body: String(row.body),
  attempts: Number(row.attempts),
});
