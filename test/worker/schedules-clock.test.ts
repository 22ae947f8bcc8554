/**
 * A schedule's clock, with time driven by the test: the ScheduleClock Durable Object is told the time with
 * `tick(now)` (its alarm passes the real time) and its real alarm is run with runDurableObjectAlarm. A run's
 * session and record, DST in Europe/Berlin (2027-03-28), a restart of the clock between two runs, a ring
 * repeated for a slot and a run cut short, overlapping runs, and failures recorded with their reasons.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getSession, textOf, transcriptOf, waitForPhase } from "./session-helpers";
import {
  armedFor,
  at,
  clock,
  create,
  read,
  restartClock,
  schedulesSessions,
  team,
  tick,
  waitForPrevious,
} from "./schedule-helpers";

describe("schedules: the clock", () => {
  it("a run records itself, starts a non-interactive session with the prompt whose origin is the schedule, and moves on", async () => {
    const { owner, ws } = await team();
    const schedule = await create(owner, ws, {
      name: "morning report",
      cron: "0 9 * * *",
      timezone: "Europe/Berlin",
    });
    const slot = schedule.nextRunAt!;
    // Rung early (a stale alarm): nothing runs.
    await tick(schedule.id, slot - 1000);
    expect((await read(owner, ws, schedule.id)).runs).toEqual([]);

    await tick(schedule.id, slot);
    const { schedule: after, runs } = await read(owner, ws, schedule.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ scheduledFor: slot, manual: false, outcome: "started", reason: null });
    expect(after.nextRunAt! - slot).toBeGreaterThanOrEqual(23 * 3_600_000);
    expect(await armedFor(schedule.id)).toBe(after.nextRunAt);

    const session = await getSession(owner, ws, runs[0]!.sessionId!);
    expect(session.origin).toEqual({
      kind: "schedule",
      scheduleId: schedule.id,
      scheduleName: "morning report",
    });
    expect(session.interactive).toBe(false);
    await waitForPhase(owner, ws, session.id, "Completed");
    expect(textOf(await transcriptOf(owner, ws, session.id))).toContain("run the report");
  });

  it("follows Europe/Berlin across the spring-forward of 2027-03-28: 09:00 local is 08:00Z, then 07:00Z; 02:30 runs once, at 03:30", async () => {
    const { owner, ws } = await team();
    const nine = await create(owner, ws, { cron: "0 9 * * *", timezone: "Europe/Berlin" });
    // The clock was down until the 26th: the missed slot runs once, late, and the next is the first after now.
    await tick(nine.id, at("2027-03-26T12:00:00Z"));
    expect((await read(owner, ws, nine.id)).schedule.nextRunAt).toBe(at("2027-03-27T08:00:00Z"));
    const expected = ["2027-03-28T07:00:00Z", "2027-03-29T07:00:00Z"];
    let now = at("2027-03-27T08:00:00Z");
    for (const next of expected) {
      await waitForPrevious(owner, ws, nine.id);
      await tick(nine.id, now);
      const { schedule } = await read(owner, ws, nine.id);
      expect(new Date(schedule.nextRunAt!).toISOString()).toBe(new Date(at(next)).toISOString());
      expect(await armedFor(nine.id)).toBe(schedule.nextRunAt);
      now = schedule.nextRunAt!;
    }
    const runs = (await read(owner, ws, nine.id)).runs;
    expect(runs.map((r) => r.outcome)).toEqual(["started", "started", "started"]);
    expect(runs.map((r) => r.scheduledFor).slice(0, 2)).toEqual([
      at("2027-03-28T07:00:00Z"),
      at("2027-03-27T08:00:00Z"),
    ]);

    // 02:30 does not exist in Berlin on the 28th: it runs once that day, at 03:30 CEST (01:30Z).
    const gap = await create(owner, ws, { cron: "30 2 * * *", timezone: "Europe/Berlin" });
    await tick(gap.id, at("2027-03-27T12:00:00Z"));
    expect((await read(owner, ws, gap.id)).schedule.nextRunAt).toBe(at("2027-03-28T01:30:00Z"));
    await waitForPrevious(owner, ws, gap.id);
    await tick(gap.id, at("2027-03-28T01:30:00Z"));
    expect((await read(owner, ws, gap.id)).schedule.nextRunAt).toBe(at("2027-03-29T00:30:00Z"));
  });

  it("a restart between two runs loses nothing, and a ring repeated for a slot (or a run cut short) starts no second session", async () => {
    const { owner, ws } = await team();
    const schedule = await create(owner, ws, { cron: "0 6 * * *", timezone: "UTC" });
    const first = schedule.nextRunAt!;
    await tick(schedule.id, first);
    const second = (await read(owner, ws, schedule.id)).schedule.nextRunAt!;
    expect(second - first).toBe(86_400_000);

    await restartClock(schedule.id);
    // The new instance has the alarm the old one set, and runs the next slot.
    expect(await armedFor(schedule.id)).toBe(second);
    await waitForPrevious(owner, ws, schedule.id);
    await tick(schedule.id, second);
    // The same slot rung again (an alarm retried after a crash before the clock moved on).
    await env.DB.prepare("UPDATE schedules SET next_run_at = ? WHERE id = ?").bind(second, schedule.id).run();
    await tick(schedule.id, second + 5000);
    let runs = (await read(owner, ws, schedule.id)).runs;
    expect(runs.map((r) => r.scheduledFor)).toEqual([second, first]);
    expect(await schedulesSessions(owner, ws, schedule.id)).toHaveLength(2);

    // A run cut short after it was recorded but before its session started: the next ring starts that very session.
    const third = (await read(owner, ws, schedule.id)).schedule.nextRunAt!;
    const chosen = crypto.randomUUID();
    await env.DB.prepare(
      "INSERT INTO schedule_runs (id, schedule_id, slot, ran_at, session_id, outcome) VALUES (?, ?, ?, ?, ?, 'starting')",
    )
      .bind(crypto.randomUUID(), schedule.id, third, third, chosen)
      .run();
    await waitForPrevious(owner, ws, schedule.id);
    await restartClock(schedule.id);
    await tick(schedule.id, third);
    runs = (await read(owner, ws, schedule.id)).runs;
    expect(runs[0]).toMatchObject({ scheduledFor: third, sessionId: chosen, outcome: "started" });
    const sessions = await schedulesSessions(owner, ws, schedule.id);
    expect(sessions.map((s) => s.id)).toContain(chosen);
    expect(sessions).toHaveLength(3);
  });

  it("skips (and records) a run while the previous run's session is still active", async () => {
    const { owner, ws } = await team();
    // Interactive: its session waits for the next message in Running after its first turn.
    const schedule = await create(owner, ws, { cron: "0 * * * *", timezone: "UTC", interactive: true });
    const first = schedule.nextRunAt!;
    await tick(schedule.id, first);
    const started = (await read(owner, ws, schedule.id)).runs[0]!;
    await waitForPhase(owner, ws, started.sessionId!, "Running");
    await tick(schedule.id, first + 3_600_000);
    const { runs, schedule: after } = await read(owner, ws, schedule.id);
    expect(runs[0]).toMatchObject({ scheduledFor: first + 3_600_000, outcome: "skipped", sessionId: null });
    expect(runs[0]!.reason).toContain(`${started.sessionId} is still Running`);
    expect(after.nextRunAt).toBe(first + 2 * 3_600_000);
    expect(await schedulesSessions(owner, ws, schedule.id)).toHaveLength(1);

    // Once it is stopped, the next slot runs.
    await owner.api(`/api/workspaces/${ws}/sessions/${started.sessionId}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, started.sessionId!, "Stopped");
    await tick(schedule.id, first + 2 * 3_600_000);
    expect((await read(owner, ws, schedule.id)).runs[0]).toMatchObject({ outcome: "started" });
  });

  it("a run that cannot start fails with its reason recorded; run now answers 202 with the session as the caller", async () => {
    const { owner, editor, ws } = await team();
    const schedule = await create(editor, ws, { cron: "0 6 * * *", timezone: "UTC" });
    // Its creator is an editor no more: the clock may not start sessions in their name.
    await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
      method: "PATCH",
      body: { role: "viewer" },
    });
    await tick(schedule.id, schedule.nextRunAt!);
    const { runs } = await read(owner, ws, schedule.id);
    expect(runs[0]).toMatchObject({ outcome: "failed", sessionId: null });
    expect(runs[0]!.reason).toMatch(/no longer an owner or editor/);
    expect(await schedulesSessions(owner, ws, schedule.id)).toHaveLength(0);

    const res = await owner.api(`/api/workspaces/${ws}/schedules/${schedule.id}/run`, { method: "POST" });
    expect(res.status).toBe(202);
    const { sessionId } = (await res.json()) as { sessionId: string };
    const session = await getSession(owner, ws, sessionId);
    expect(session.origin).toMatchObject({ kind: "schedule", scheduleId: schedule.id });
    expect((session.createdBy as { id: string }).id).toBe(owner.user.id);
    const latest = (await read(owner, ws, schedule.id)).runs[0]!;
    expect(latest).toMatchObject({ manual: true, scheduledFor: null, sessionId, outcome: "started" });
    expect(
      (await editor.api(`/api/workspaces/${ws}/schedules/${schedule.id}/run`, { method: "POST" })).status,
    ).toBe(403);
  });

  it("a session body that no longer validates (a model gone from the catalog) fails the run with the reason, and the schedule still lists", async () => {
    const { owner, ws } = await team();
    const schedule = await create(owner, ws, {
      cron: "0 6 * * *",
      timezone: "UTC",
      session: { model: "claude-sonnet-4-5" },
    });
    const stored = JSON.parse(
      (await env.DB.prepare("SELECT session_config FROM schedules WHERE id = ?")
        .bind(schedule.id)
        .first<{ session_config: string }>())!.session_config,
    );
    await env.DB.prepare("UPDATE schedules SET session_config = ? WHERE id = ?")
      .bind(JSON.stringify({ ...stored, model: "claude-retired-1" }), schedule.id)
      .run();
    expect((await owner.api(`/api/workspaces/${ws}/schedules`)).status).toBe(200);
    await tick(schedule.id, schedule.nextRunAt!);
    const run = await env.DB.prepare(
      "SELECT outcome, reason, session_id FROM schedule_runs WHERE schedule_id = ?",
    )
      .bind(schedule.id)
      .first<{ outcome: string; reason: string; session_id: string | null }>();
    expect(run).toMatchObject({ outcome: "failed", session_id: null });
    expect(run!.reason).toMatch(/^invalid_input: session\.model/);
    // The clock moved on: the next slot will try again (and fail again until the schedule is edited).
    expect(await armedFor(schedule.id)).toBe(schedule.nextRunAt! + 86_400_000);
    expect(await schedulesSessions(owner, ws, schedule.id)).toHaveLength(0);
  });

  it("the real alarm runs a due slot", async () => {
    const { owner, ws } = await team();
    const schedule = await create(owner, ws, { cron: "0 6 * * *", timezone: "UTC" });
    const due = Date.now() - 1000;
    await env.DB.prepare("UPDATE schedules SET next_run_at = ? WHERE id = ?").bind(due, schedule.id).run();
    await clock(schedule.id).arm(schedule.id, due);
    expect(await runDurableObjectAlarm(clock(schedule.id))).toBe(true);
    const { runs, schedule: after } = await read(owner, ws, schedule.id);
    expect(runs[0]).toMatchObject({ scheduledFor: due, outcome: "started" });
    expect(after.nextRunAt).toBeGreaterThan(Date.now());
  });
});
