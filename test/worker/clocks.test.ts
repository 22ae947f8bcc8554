/**
 * The session's clocks through the API (SPEC §3): idle stop after the workspace's idleStopMinutes, and a
 * timeout per run. Time is moved by editing the stored record and restarting the room, as a long wait would
 * find it; the alarm then runs for real.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { clockTimes } from "../../worker/session/clock";
import type { SessionRecord } from "../../worker/session/record";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  eventsOf,
  eventually,
  getSession,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";

const roomStub = (id: string) => env.SessionRoom.get(env.SessionRoom.idFromName(id));

const storedRecord = (id: string) =>
  runInDurableObject(
    roomStub(id),
    (_room, state) =>
      JSON.parse(
        String(state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one().value),
      ) as SessionRecord,
  );

/** Rewrites the stored record and restarts the room, which then loads it. */
async function rewriteRecord(id: string, change: (record: SessionRecord) => void): Promise<void> {
  await runInDurableObject(roomStub(id), (_room, state) => {
    const record = JSON.parse(
      String(state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one().value),
    ) as SessionRecord;
    change(record);
    state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
  });
  await runInDurableObject(roomStub(id), (_room, state) => state.abort("restart")).catch(() => undefined);
}

async function running(body: Record<string, unknown> = {}) {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  const { id } = await createSession(owner, ws, { timeoutSeconds: 60, ...body });
  await waitForPhase(owner, ws, id, "Running");
  await waitForAgentStatus(owner, ws, id, "idle");
  return { owner, ws, id };
}

describe("idle stop", () => {
  it("stops a session idle for the workspace's idleStopMinutes: Stopping → Stopped, reason idle", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    expect(
      (await owner.api(`/api/workspaces/${ws}`, { method: "PATCH", body: { idleStopMinutes: 1 } })).status,
    ).toBe(200);
    const { id } = await createSession(owner, ws, { timeoutSeconds: 1800 });
    await waitForPhase(owner, ws, id, "Running");
    // The idle clock runs from the agent's first idle, with the workspace's setting read then.
    const record = await eventually(
      () => storedRecord(id),
      (r) => r.idleSince !== null && r.idleStopMinutes === 1,
    );
    expect(clockTimes(record, Date.now()).idleStopAt).toBe(record.idleSince! + 60_000);
    expect(
      await runInDurableObject(roomStub(id), (_r, state) => state.storage.getAlarm()),
    ).toBeLessThanOrEqual(record.idleSince! + 60_000);

    // A person's message restarts the clock.
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "still here" } });
    await eventually(
      () => storedRecord(id),
      (r) => r.idleSince !== null && r.idleSince > record.idleSince!,
    );

    await rewriteRecord(id, (r) => {
      r.idleSince = Date.now() - 61_000;
    });
    expect(await runDurableObjectAlarm(roomStub(id))).toBe(true);
    await waitForPhase(owner, ws, id, "Stopped");
    const phases = (await eventsOf(owner, ws, id)).filter((e) => e.type === "phase").slice(-2);
    expect(phases).toEqual([
      expect.objectContaining({ phase: "Stopping", reason: "idle" }),
      expect.objectContaining({ phase: "Stopped", reason: "idle" }),
    ]);
    // Nothing is lost: Resume continues it.
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Running");
  });

  it("does not stop a session whose agent is working", async () => {
    const { owner, ws, id } = await running({ timeoutSeconds: 1800 });
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "/hold" } });
    await waitForAgentStatus(owner, ws, id, "working");
    const record = await storedRecord(id);
    expect(record.idleSince).toBeNull();
    expect(clockTimes(record, Date.now()).idleStopAt).toBeNull();
  });
});

describe("timeout per run", () => {
  it("fails a run that used its budget, and a Resume starts a new run with the whole budget", async () => {
    const { owner, ws, id } = await running();
    await rewriteRecord(id, (r) => {
      r.activeSince = Date.now() - 61_000;
    });
    expect(await runDurableObjectAlarm(roomStub(id))).toBe(true);
    const failed = await waitForPhase(owner, ws, id, "Failed");
    expect(failed.runSeconds).toBeGreaterThanOrEqual(60);
    expect((await eventsOf(owner, ws, id)).at(-1)).toMatchObject({ phase: "Failed", reason: "timeout" });

    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" })).status).toBe(
      202,
    );
    const resumed = await waitForPhase(owner, ws, id, "Running");
    expect(resumed.runSeconds).toBeLessThan(5);
    expect(resumed.activeSeconds).toBeGreaterThanOrEqual(60);
    const timeoutAt = clockTimes(await storedRecord(id), Date.now()).timeoutAt!;
    expect(timeoutAt).toBeGreaterThan(Date.now() + 50_000);
    expect(timeoutAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect((await getSession(owner, ws, id)).phase).toBe("Running");
  });
});
