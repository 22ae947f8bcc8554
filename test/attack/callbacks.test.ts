/**
 * Outgoing callbacks: a redirect is not followed (the signature would go with it), private, loopback and
 * link-local hosts are refused outside AUTH_MODE=dev when the URL is set and when a callback is sent, and
 * signing secrets are sealed in the room's queue, rows queued in clear before included.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { verifySignature } from "../../worker/secrets/hmac";
import { CallbackQueue, type PhaseChange } from "../../worker/session/callbacks";
import { applyRoomSchema } from "../../worker/session/schema";
import { signIn, tokenClient, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { accessFetch, stubAccessKeys } from "./access";
import { observe, reportFigures } from "./probe";

reportFigures();

const T0 = Date.UTC(2026, 10, 26, 15, 0, 0);
const accessMode = { ...env, AUTH_MODE: "access" as const };

/** Runs `body` in a fresh room's SQLite storage. */
function inRoomStorage<T>(body: (sql: SqlStorage, storage: DurableObjectStorage) => Promise<T>): Promise<T> {
  const stub = env.SessionRoom.get(env.SessionRoom.idFromName(`callbacks-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => body(state.storage.sql, state.storage));
}

async function workspaceCallback(owner: Client, ws: string, url: string): Promise<string> {
  const res = await owner.api(`/api/workspaces/${ws}/callback`, { method: "PUT", body: { url } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { secret: string }).secret;
}

const change = (workspaceId: string, phase: PhaseChange["phase"] = "Running"): PhaseChange => ({
  sessionId: "session-1",
  workspaceId,
  triggerId: null,
  phase,
  at: T0,
});

const received = async () =>
  (await (await fetch(`${env.AGENT_URL}/control-callbacks`)).json()) as {
    headers: Record<string, string>;
    body: string;
  }[];

describe("callback redirects", () => {
  it("are not followed, so the signature never reaches where they point", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const before = (await received()).length;
    const secret = await workspaceCallback(owner, ws, `${env.AGENT_URL}/callback/redirect`);
    const result = await inRoomStorage(async (sql) => {
      const queue = new CallbackQueue(sql);
      queue.enqueue(change(ws));
      const flushed = await queue.flush(env, fetch, T0);
      const row = sql.exec(`SELECT last_error FROM callbacks`).one();
      return { flushed, lastError: String(row.last_error) };
    });
    expect(result.lastError).toMatch(/^HTTP 307 redirect to \/callback\/sink, not followed$/);
    expect(result.flushed.dropped).toEqual([]);
    expect((await received()).length).toBe(before);

    // The sink itself receives a direct callback, signed: the redirect above really was the only way there.
    await workspaceCallback(owner, ws, `${env.AGENT_URL}/callback/sink`).then(async (sinkSecret) => {
      await inRoomStorage(async (sql) => {
        const queue = new CallbackQueue(sql);
        queue.enqueue(change(ws, "Stopped"));
        await queue.flush(env, fetch, T0);
      });
      const got = (await received()).slice(before);
      expect(got).toHaveLength(1);
      expect(
        await verifySignature(
          sinkSecret,
          new TextEncoder().encode(got[0].body),
          got[0].headers["x-tandem-signature-256"],
        ),
      ).toBe(true);
      expect(secret).not.toBe(sinkSecret);
    });
  });
});

describe("callback hosts", () => {
  beforeAll(stubAccessKeys);
  afterAll(() => vi.restoreAllMocks());

  const refused = [
    "http://127.0.0.1:8788/sessions",
    "http://localhost:8788/",
    "http://LOCALHOST./x",
    "http://api.localhost/x",
    "http://[::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[fe80::1]/x",
    "http://[fd00::1]/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/x",
    "http://172.16.3.4/x",
    "http://192.168.1.1/x",
    "http://100.64.0.1/x",
    "http://0.0.0.0/x",
    "http://2130706433/x",
    "http://0x7f.1/x",
    "http://metadata.google.internal/x",
    "http://printer.local/x",
    "http://intranet/x",
  ];

  it("refuses private, loopback and link-local hosts when a callback URL is set, outside dev mode", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const cli = await tokenClient(owner);
    const asAccess = (path: string, method: string, body: unknown) =>
      accessFetch(path, {
        method,
        headers: { authorization: `Bearer ${cli.token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    for (const url of refused) {
      const trigger = await observe(
        await asAccess(`/api/workspaces/${ws}/triggers`, "POST", {
          name: "t",
          session: {},
          promptTemplate: "p",
          callbackUrl: url,
        }),
      );
      expect(trigger.status, url).toBe(400);
      expect(JSON.parse(trigger.text), url).toMatchObject({
        error: { code: "invalid_input", field: "callbackUrl" },
      });
      const callback = await observe(await asAccess(`/api/workspaces/${ws}/callback`, "PUT", { url }));
      expect(callback.status, url).toBe(400);
      expect(JSON.parse(callback.text), url).toMatchObject({ error: { field: "url" } });
    }
    expect(
      ((await (await owner.api(`/api/workspaces/${ws}/triggers`)).json()) as { triggers: unknown[] })
        .triggers,
    ).toEqual([]);
    for (const url of [
      "https://hooks.example.com/tandem",
      "http://93.184.215.14/x",
      "https://[2606:4700::1111]/x",
    ]) {
      expect((await asAccess(`/api/workspaces/${ws}/callback`, "PUT", { url })).status, url).toBe(200);
    }
    // In dev mode (the local default) a local receiver is allowed.
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/callback`, {
          method: "PUT",
          body: { url: "http://127.0.0.1:9999/hook" },
        })
      ).status,
    ).toBe(200);
  });

  it("refuses them again when a callback is sent, dropping it with an event reason and sending nothing", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    // Set while in dev mode; the deployment then runs with Access.
    await workspaceCallback(owner, ws, "http://169.254.169.254/latest/meta-data/");
    const sent: string[] = [];
    const recorder = (async (input: RequestInfo | URL) => {
      sent.push(String(input instanceof Request ? input.url : input));
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    const result = await inRoomStorage(async (sql) => {
      const queue = new CallbackQueue(sql);
      queue.enqueue(change(ws));
      return {
        flushed: await queue.flush(accessMode, recorder, T0),
        left: Number(sql.exec(`SELECT count(*) AS n FROM callbacks`).one().n),
      };
    });
    expect(sent).toEqual([]);
    expect(result.left).toBe(0);
    expect(result.flushed.dropped).toHaveLength(1);
    expect(result.flushed.dropped[0].refused).toBe("169.254.169.254 is a linkLocal address");
  });
});

describe("callback signing secrets in the queue", () => {
  it("are sealed, never stored in clear", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const secret = await workspaceCallback(owner, ws, "https://ops.example.com/hooks");
    const rows = await inRoomStorage(async (sql) => {
      const queue = new CallbackQueue(sql);
      queue.enqueue(change(ws));
      await queue.flush(env, (async () => new Response(null, { status: 500 })) as typeof fetch, T0);
      return sql.exec(`SELECT * FROM callbacks`).toArray();
    });
    expect(rows).toHaveLength(1);
    expect(rows[0].secret).toBeNull();
    expect(rows[0].secret_ciphertext).toEqual(expect.any(String));
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it("seals a row queued in clear before, and still signs it with its secret", async () => {
    const legacySecret = "legacy-signing-secret-0123456789abcdef";
    const body = JSON.stringify({ type: "session.phase_changed", deliveryId: "d-legacy" });
    const sent: { headers: Headers; body: string }[] = [];
    const statuses = [500, 204];
    const recorder = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      sent.push({ headers: request.headers, body: await request.text() });
      return new Response(null, { status: statuses.shift() ?? 204 });
    }) as typeof fetch;
    const after = await inRoomStorage(async (sql, storage) => {
      // The queue as it was: under its former name, one clear secret per row.
      sql.exec(`DROP TABLE callbacks`);
      sql.exec(`CREATE TABLE notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT, change TEXT NOT NULL, target TEXT, url TEXT, secret TEXT, body TEXT,
        delivery_id TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT)`);
      sql.exec(
        `INSERT INTO notifications (change, target, url, secret, body, delivery_id, next_at) VALUES ('{}', 'workspace', 'https://ops.example.com/h', ?, ?, 'd-legacy', ?)`,
        legacySecret,
        body,
        T0,
      );
      // What the room does at its next start: its schema takes the old table over.
      applyRoomSchema(storage);
      const queue = new CallbackQueue(sql);
      const first = await queue.flush(env, recorder, T0);
      const stored = sql.exec(`SELECT * FROM callbacks`).toArray();
      const second = await queue.flush(env, recorder, first.nextAt!);
      return { stored, left: Number(sql.exec(`SELECT count(*) AS n FROM callbacks`).one().n), second };
    });
    expect(JSON.stringify(after.stored)).not.toContain(legacySecret);
    expect(after.stored[0].secret).toBeNull();
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.body).toBe(body);
      expect(
        await verifySignature(
          legacySecret,
          new TextEncoder().encode(request.body),
          request.headers.get("x-tandem-signature-256"),
        ),
      ).toBe(true);
    }
    expect(after.left).toBe(0);
    expect(after.second.dropped).toEqual([]);
  });
});
