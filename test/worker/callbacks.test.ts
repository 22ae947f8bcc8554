import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sealValue } from "../../worker/secrets";
import { verifySignature } from "../../worker/secrets/hmac";
import { backoffMs, CallbackQueue, RETRY_DELAYS_MS, type PhaseChange } from "../../worker/session/callbacks";
import { signBody } from "../../worker/secrets/hmac";
import { request, signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventsOf, eventually, waitForPhase } from "./session-helpers";

const T0 = Date.UTC(2026, 10, 26, 15, 0, 0);

interface Sent {
  url: string;
  headers: Headers;
  body: string;
}

/** A fetch that records each request and answers with the next status of `statuses` (then 204). */
function recorder(statuses: (number | Error)[] = []) {
  const sent: Sent[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push({ url: request.url, headers: request.headers, body: await request.text() });
    const next = statuses.shift() ?? 204;
    if (next instanceof Error) throw next;
    return new Response(null, { status: next });
  }) as typeof fetch;
  return { sent, fetcher };
}

/** Runs `body` with a callback queue in a fresh Durable Object's SQLite storage. */
function withQueue<T>(body: (queue: CallbackQueue) => Promise<T>): Promise<T> {
  const stub = env.SessionRoom.get(env.SessionRoom.idFromName(`callbacks-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => body(new CallbackQueue(state.storage.sql)));
}

async function setup(options: { triggerCallback?: boolean; workspaceCallback?: boolean } = {}) {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  const created = await owner.api(`/api/workspaces/${ws}/triggers`, {
    body: {
      name: "CI",
      session: {},
      promptTemplate: "{{x}}",
      ...(options.triggerCallback === false ? {} : { callbackUrl: "https://ci.example.com/tandem-hook" }),
    },
  });
  const { trigger, secret: triggerSecret } = (await created.json()) as {
    trigger: { id: string };
    secret: string;
  };
  let workspaceSecret = "";
  if (options.workspaceCallback !== false) {
    const res = await owner.api(`/api/workspaces/${ws}/callback`, {
      method: "PUT",
      body: { url: "https://ops.example.com/hooks" },
    });
    expect(res.status).toBe(200);
    workspaceSecret = ((await res.json()) as { secret: string }).secret;
  }
  const change = (
    phase: PhaseChange["phase"],
    at: number,
    previousPhase?: PhaseChange["phase"],
  ): PhaseChange => ({
    sessionId: "session-1",
    workspaceId: ws,
    triggerId: trigger.id,
    phase,
    previousPhase,
    at,
    reason: phase === "Running" ? "agent ready" : undefined,
  });
  return { owner, ws, triggerId: trigger.id, triggerSecret, workspaceSecret, change };
}

const bodyOf = (sent: Sent) =>
  JSON.parse(sent.body) as Record<string, unknown> & { session: Record<string, unknown> };

describe("callback queue", () => {
  it("POSTs each phase change to the trigger's and the workspace's callback, signed with their secrets", async () => {
    const { ws, triggerId, triggerSecret, workspaceSecret, change } = await setup();
    const { sent, fetcher } = recorder();
    const result = await withQueue(async (queue) => {
      queue.enqueue(change("Creating", T0, "Pending"));
      expect(queue.nextDueAt()).toBe(T0);
      return queue.flush(env, fetcher, T0);
    });
    expect(result).toEqual({ nextAt: null, dropped: [] });
    expect(sent.map((s) => s.url).sort()).toEqual([
      "https://ci.example.com/tandem-hook",
      "https://ops.example.com/hooks",
    ]);
    for (const request of sent) {
      const secret = request.url.startsWith("https://ci.") ? triggerSecret : workspaceSecret;
      const signature = request.headers.get("x-tandem-signature-256");
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(await verifySignature(secret, new TextEncoder().encode(request.body), signature)).toBe(true);
      expect(
        await verifySignature(
          secret === triggerSecret ? workspaceSecret : triggerSecret,
          new TextEncoder().encode(request.body),
          signature,
        ),
      ).toBe(false);
      expect(request.headers.get("content-type")).toBe("application/json");
      expect(request.headers.get("x-tandem-event")).toBe("session.phase_changed");
      const body = bodyOf(request);
      expect(request.headers.get("x-tandem-delivery")).toBe(body.deliveryId);
      expect(body).toEqual({
        type: "session.phase_changed",
        deliveryId: expect.any(String),
        at: "2026-11-26T15:00:00.000Z",
        session: {
          id: "session-1",
          workspaceId: ws,
          url: `http://localhost:8787/w/${ws}/s/session-1`,
          phase: "Creating",
          previousPhase: "Pending",
          triggerId,
        },
        reason: null,
        actor: null,
      });
    }
  });

  it("retries a failed delivery with backoff, keeping the target's order, and succeeds later", async () => {
    const { change } = await setup({ workspaceCallback: false });
    const { sent, fetcher } = recorder([503, new Error("connection refused")]);
    await withQueue(async (queue) => {
      queue.enqueue(change("Creating", T0));
      queue.enqueue(change("Running", T0 + 1));
      let result = await queue.flush(env, fetcher, T0 + 1);
      // The first failed: the second waits behind it.
      expect(sent.map((s) => bodyOf(s).session.phase)).toEqual(["Creating"]);
      expect(result.nextAt).toBe(T0 + 1 + RETRY_DELAYS_MS[0]);

      result = await queue.flush(env, fetcher, T0 + 5_000);
      expect(sent).toHaveLength(1);

      result = await queue.flush(env, fetcher, T0 + 1 + RETRY_DELAYS_MS[0]);
      expect(sent).toHaveLength(2);
      expect(result.nextAt).toBe(T0 + 1 + RETRY_DELAYS_MS[0] + RETRY_DELAYS_MS[1]);

      result = await queue.flush(env, fetcher, result.nextAt!);
      expect(sent.map((s) => bodyOf(s).session.phase)).toEqual([
        "Creating",
        "Creating",
        "Creating",
        "Running",
      ]);
      // A retry is the same callback: same delivery id, same signed body.
      expect(new Set(sent.slice(0, 3).map((s) => s.body)).size).toBe(1);
      expect(result).toEqual({ nextAt: null, dropped: [] });
    });
  });

  it("drops a callback after its last retry and reports it", async () => {
    const { change } = await setup({ workspaceCallback: false });
    const { sent, fetcher } = recorder(Array.from({ length: 20 }, () => 500));
    await withQueue(async (queue) => {
      queue.enqueue(change("Failed", T0));
      let now = T0;
      let result = await queue.flush(env, fetcher, now);
      for (let i = 0; i < RETRY_DELAYS_MS.length; i++) {
        expect(result.dropped).toEqual([]);
        now = result.nextAt!;
        result = await queue.flush(env, fetcher, now);
      }
      expect(sent).toHaveLength(RETRY_DELAYS_MS.length + 1);
      expect(result.dropped.map((entry) => entry.url)).toEqual(["https://ci.example.com/tandem-hook"]);
      expect(result.nextAt).toBeNull();
    });
  });

  it("drops changes of sessions without any callback, and sends to the workspace callback for person-started sessions", async () => {
    const none = await setup({ triggerCallback: false, workspaceCallback: false });
    const { sent, fetcher } = recorder();
    await withQueue(async (queue) => {
      queue.enqueue(none.change("Running", T0));
      expect(await queue.flush(env, fetcher, T0)).toEqual({ nextAt: null, dropped: [] });
    });
    expect(sent).toEqual([]);

    const some = await setup({ triggerCallback: false });
    await withQueue(async (queue) => {
      queue.enqueue({ ...some.change("Stopped", T0), triggerId: null });
      await queue.flush(env, fetcher, T0);
    });
    expect(sent.map((s) => s.url)).toEqual(["https://ops.example.com/hooks"]);
    expect(bodyOf(sent[0]).session.triggerId).toBeNull();
  });

  it("computes the backoff and stops after the last delay", () => {
    expect(RETRY_DELAYS_MS.map((_, i) => backoffMs(i + 1))).toEqual(RETRY_DELAYS_MS);
    expect(backoffMs(RETRY_DELAYS_MS.length + 1)).toBeNull();
    expect(RETRY_DELAYS_MS.every((delay, i) => i === 0 || delay > RETRY_DELAYS_MS[i - 1])).toBe(true);
  });
});

describe("workspace callback routes", () => {
  async function pair(): Promise<{ owner: Client; editor: Client; ws: string }> {
    const [owner, editor] = await Promise.all([signIn(uniqueName("owner")), signIn(uniqueName("editor"))]);
    return { owner, editor, ws: await workspaceWith(owner, [{ client: editor, role: "editor" }]) };
  }

  it("sets, shows without the secret, replaces and removes the callback, for owners only", async () => {
    const { owner, editor, ws } = await pair();
    const path = `/api/workspaces/${ws}/callback`;
    expect(await (await owner.api(path)).json()).toEqual({ callback: null });
    const set = await owner.api(path, { method: "PUT", body: { url: "https://ops.example.com/a" } });
    const { secret } = (await set.json()) as { secret: string };
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const shown = await (await owner.api(path)).text();
    expect(shown).not.toContain(secret);
    expect(JSON.parse(shown)).toMatchObject({ callback: { url: "https://ops.example.com/a" } });
    const replaced = (await (
      await owner.api(path, { method: "PUT", body: { url: "https://ops.example.com/b" } })
    ).json()) as { secret: string };
    expect(replaced.secret).not.toBe(secret);

    expect((await editor.api(path)).status).toBe(403);
    expect(
      (await editor.api(path, { method: "PUT", body: { url: "https://evil.example.com" } })).status,
    ).toBe(403);
    for (const body of [
      { url: "javascript:alert(1)" },
      { url: "" },
      {},
      { url: "https://x.example.com", more: 1 },
    ]) {
      expect((await owner.api(path, { method: "PUT", body })).status).toBe(400);
    }
    expect((await owner.api(path, { method: "DELETE" })).status).toBe(204);
    expect((await owner.api(path, { method: "DELETE" })).status).toBe(404);
  });
});

// Runs once the SessionRoom queues its phase changes and flushes them from its alarm (see worker/session/callbacks.ts).
describe("callbacks from a running session", () => {
  afterEach(() => vi.restoreAllMocks());

  it("POSTs Creating → Running → Completed of a webhook-started (non-interactive) session to the trigger's callback, signed", async () => {
    const { owner, ws, triggerId, triggerSecret } = await setup({ workspaceCallback: false });
    const original = globalThis.fetch;
    const received: { body: string; signature: string | null }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (req.url !== "https://ci.example.com/tandem-hook") return original(input, init);
      received.push({ body: await req.text(), signature: req.headers.get("x-tandem-signature-256") });
      return new Response(null, { status: 204 });
    });
    const payload = JSON.stringify({ x: "go" });
    const res = await request(`/webhooks/${triggerId}`, {
      method: "POST",
      body: payload,
      headers: {
        "x-hub-signature-256": await signBody(triggerSecret, payload),
        "x-github-delivery": crypto.randomUUID(),
      },
    });
    expect(res.status).toBe(202);
    const { sessionId } = (await res.json()) as { sessionId: string };
    // Creating, Running and the turn's end, each a callback queued and sent: a chain, not one step.
    await waitForPhase(owner, ws, sessionId, "Completed", 15_000);
    await eventually(
      async () => received.map((r) => (JSON.parse(r.body) as { session: { phase: string } }).session.phase),
      (phases) => phases.includes("Completed"),
    );
    for (const r of received)
      expect(await verifySignature(triggerSecret, new TextEncoder().encode(r.body), r.signature)).toBe(true);
    const phases = received.map(
      (r) => (JSON.parse(r.body) as { session: { id: string; phase: string } }).session,
    );
    expect(phases.every((p) => p.id === sessionId)).toBe(true);
    expect(phases.map((p) => p.phase)).toEqual(expect.arrayContaining(["Creating", "Running", "Completed"]));
  });
});

describe("the queue's upgrade from its former table name", () => {
  afterEach(() => vi.restoreAllMocks());

  it("delivers a row queued under `notifications` once the room restarts, and reports a drop as callback_dropped", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running");
    // A fresh stub each time: one that saw the room restart stays broken.
    const room = () => env.SessionRoom.get(env.SessionRoom.idFromName(id));
    const secret = "upgrade-signing-secret-0123456789abcdef";
    const original = globalThis.fetch;
    const received: { url: string; body: string; signature: string | null }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input, init);
      if (!req.url.startsWith("https://upgrade.example.com/")) return original(input, init);
      received.push({
        url: req.url,
        body: await req.text(),
        signature: req.headers.get("x-tandem-signature-256"),
      });
      return new Response(null, { status: req.url.endsWith("/gone") ? 500 : 204 });
    });
    await runInDurableObject(room(), async (_room, state) => {
      const sql = state.storage.sql;
      // The room's storage as the previous version left it: the queue under its former name, one row due
      // and one on its last attempt, their secrets sealed under the context they were sealed with then.
      sql.exec(`ALTER TABLE callbacks RENAME TO notifications`);
      for (const [target, attempts] of [
        ["ok", 0],
        ["gone", RETRY_DELAYS_MS.length],
      ] as const) {
        const sealed = await sealValue(env, `callback-notification:trigger:${target}`, secret);
        sql.exec(
          `INSERT INTO notifications (change, target, url, secret_ciphertext, secret_iv, body, delivery_id, attempts, next_at) VALUES ('{}', ?, ?, ?, ?, ?, ?, ?, ?)`,
          `trigger:${target}`,
          `https://upgrade.example.com/${target}`,
          sealed.ciphertext,
          sealed.iv,
          `{"queued":"${target}"}`,
          `d-${target}`,
          attempts,
          Date.now(),
        );
      }
      // Far ahead, so it rings only when the test runs it, after the restart.
      await state.storage.setAlarm(Date.now() + 3_600_000);
    });
    await runInDurableObject(room(), (_room, state) => state.abort("upgrade")).catch(() => undefined);
    expect(await runDurableObjectAlarm(room())).toBe(true);

    expect(received.map((r) => [r.url, r.body]).sort()).toEqual([
      ["https://upgrade.example.com/gone", `{"queued":"gone"}`],
      ["https://upgrade.example.com/ok", `{"queued":"ok"}`],
    ]);
    for (const r of received)
      expect(await verifySignature(secret, new TextEncoder().encode(r.body), r.signature)).toBe(true);
    const tables = await runInDurableObject(room(), (_room, state) => ({
      old: state.storage.sql.exec(`PRAGMA table_info(notifications)`).toArray().length,
      left: Number(state.storage.sql.exec(`SELECT count(*) AS n FROM callbacks`).one().n),
    }));
    expect(tables).toEqual({ old: 0, left: 0 });
    const dropped = (await eventsOf(owner, ws, id)).filter((e) => e.type === "callback_dropped");
    expect(dropped.map((e) => e.reason)).toEqual([
      `gave up on upgrade.example.com after ${RETRY_DELAYS_MS.length + 1} attempts`,
    ]);
  });
});
