/**
 * Schedules as a way around the rules: a workspace holds at most 50 (created at once or not); a scheduled
 * start counts against its person's session-creation limit; it starts as the schedule's last editor, whose
 * role is checked at each run (an editor's edit of an owner's schedule does not borrow the owner's
 * identity); a run that fails unexpectedly says so in general words, never the internal message.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request } from "../worker/helpers";
import { getSession } from "../worker/session-helpers";
import { create, read, team, tick } from "../worker/schedule-helpers";
import { observe, reportFigures } from "./probe";

reportFigures();

const body = (i: number) => ({ name: `s${i}`, cron: "0 9 * * 1", session: {}, prompt: "weekly report" });

describe("schedules", () => {
  it("a workspace holds at most 50, even when the last ones are asked for at once (409 limit_reached)", async () => {
    const { owner, editor, ws } = await team();
    for (let i = 0; i < 46; i++)
      expect(
        (await observe(await owner.api(`/api/workspaces/${ws}/schedules`, { body: body(i) }))).status,
      ).toBe(201);
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        editor.api(`/api/workspaces/${ws}/schedules`, { body: body(100 + i) }).then(observe),
      ),
    );
    expect(burst.filter((r) => r.status === 201)).toHaveLength(4);
    const refused = burst.filter((r) => r.status === 409);
    expect(refused).toHaveLength(4);
    for (const r of refused) expect(JSON.parse(r.text)).toMatchObject({ error: { code: "limit_reached" } });
    const listed = (
      (await (await owner.api(`/api/workspaces/${ws}/schedules`)).json()) as { schedules: unknown[] }
    ).schedules;
    expect(listed).toHaveLength(50);
  });

  it("a scheduled start counts against its person's session-creation limit: spent, the run fails saying so", async () => {
    const { owner, ws } = await team();
    const schedule = await create(owner, ws, { cron: "0 9 * * *", timezone: "UTC" });
    // The person's minute spent elsewhere (30 sessions created): the binding counted as the API counts.
    for (let i = 0; i < 30; i++) await env.SESSION_CREATION_LIMIT.limit({ key: `user:${owner.user.id}` });
    await tick(schedule.id, schedule.nextRunAt!);
    const { runs } = await read(owner, ws, schedule.id);
    expect(runs[0]).toMatchObject({ outcome: "failed", sessionId: null });
    expect(runs[0].reason).toMatch(/^rate_limited: .* created too many sessions/);
  });

  it("runs as its last editor, checked at each run: an editor's edit of an owner's schedule runs as the editor, and stops when they are demoted", async () => {
    const { owner, editor, ws } = await team();
    const schedule = await create(owner, ws, { cron: "0 9 * * *", timezone: "UTC" });
    const edited = await observe(
      await editor.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, {
        method: "PATCH",
        body: { prompt: "do what I say" },
      }),
    );
    expect(JSON.parse(edited.text)).toMatchObject({
      schedule: {
        createdBy: { id: owner.user.id },
        updatedBy: { id: editor.user.id, name: editor.user.name },
      },
    });

    const first = (await read(owner, ws, schedule.id)).schedule.nextRunAt!;
    await tick(schedule.id, first);
    const run = (await read(owner, ws, schedule.id)).runs[0];
    expect(run.outcome).toBe("started");
    expect((await getSession(owner, ws, run.sessionId!)).createdBy).toMatchObject({ id: editor.user.id });

    await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
      method: "PATCH",
      body: { role: "viewer" },
    });
    const second = (await read(owner, ws, schedule.id)).schedule.nextRunAt!;
    await tick(schedule.id, second);
    const refused = (await read(owner, ws, schedule.id)).runs[0];
    expect(refused).toMatchObject({ outcome: "failed", sessionId: null });
    expect(refused.reason).toContain(`last editor (${editor.user.name}) is no longer an owner or editor`);
  });

  it("run now, failing on an internal error, answers and records general words, never the error's own", async () => {
    const { owner, viewer, ws } = await team();
    const schedule = await create(owner, ws, { cron: "0 9 * * 1" });
    // An internal failure of this workspace's session index (a D1 trigger scoped to it), with words that must stay inside.
    const inside = "D1_ERROR: constraint at /srv/tandem/internal/db-7f3a";
    await env.DB.prepare(
      `CREATE TRIGGER fail_${ws.replaceAll("-", "_")} BEFORE INSERT ON sessions WHEN NEW.workspace_id = '${ws}' BEGIN SELECT RAISE(ABORT, '${inside}'); END`,
    ).run();
    try {
      // A fault injected on purpose: not an attacker's request, so not in the suite's figures.
      const res = await request(`/api/workspaces/${ws}/schedules/${schedule.id}/run`, {
        method: "POST",
        headers: { cookie: owner.cookie },
      });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text)).toMatchObject({ error: { code: "internal" } });
      expect(text).not.toContain("/srv/tandem");
      const run = (await read(viewer, ws, schedule.id)).runs[0];
      expect(run.outcome).toBe("failed");
      expect(run.reason).toMatch(/^internal: /);
      expect(run.reason).not.toContain("/srv/tandem");
    } finally {
      await env.DB.prepare(`DROP TRIGGER fail_${ws.replaceAll("-", "_")}`).run();
    }
  });
});
