/**
 * Schedules (SPEC §10) through the API: CRUD with roles, the clock re-armed on each change, and 400s naming
 * the field (bad cron, too frequent, unknown zone, invalid session body). The clock: schedules-clock.test.ts.
 */
import { describe, expect, it } from "vitest";
import { armedFor, create, read, team, type ScheduleJSON } from "./schedule-helpers";

describe("schedules: the API", () => {
  it("owners and editors create, edit, pause, resume and delete; members read; the clock follows", async () => {
    const { owner, editor, viewer, ws } = await team();
    const before = Date.now();
    const schedule = await create(editor, ws, { cron: "0 9 * * *", timezone: "Europe/Berlin" });
    expect(schedule).toMatchObject({ enabled: true, interactive: false, name: "nightly" });
    // 09:00 in Berlin is 07:00 or 08:00 UTC, within a day.
    const next = new Date(schedule.nextRunAt!);
    expect([7, 8]).toContain(next.getUTCHours());
    expect(next.getUTCMinutes()).toBe(0);
    expect(schedule.nextRunAt! - before).toBeLessThanOrEqual(86_400_000);
    expect(await armedFor(schedule.id)).toBe(schedule.nextRunAt);

    expect(
      (
        await viewer.api(`/api/workspaces/${ws}/schedules`, {
          body: { name: "x", cron: "0 9 * * *", session: {}, prompt: "p" },
        })
      ).status,
    ).toBe(403);
    const listed = (await (await viewer.api(`/api/workspaces/${ws}/schedules`)).json()) as {
      schedules: ScheduleJSON[];
    };
    expect(listed.schedules.map((s) => s.id)).toEqual([schedule.id]);
    expect(await read(viewer, ws, schedule.id)).toMatchObject({ schedule: { id: schedule.id }, runs: [] });

    const renamed = await editor.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, {
      method: "PATCH",
      body: { name: "weekly", cron: "0 9 * * 1" },
    });
    expect(renamed.status).toBe(200);
    const weekly = ((await renamed.json()) as { schedule: ScheduleJSON }).schedule;
    expect(new Date(weekly.nextRunAt!).getUTCDay()).toBe(1);
    expect(await armedFor(schedule.id)).toBe(weekly.nextRunAt);

    const paused = (
      (await (
        await owner.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, {
          method: "PATCH",
          body: { enabled: false },
        })
      ).json()) as { schedule: ScheduleJSON }
    ).schedule;
    expect(paused).toMatchObject({ enabled: false, nextRunAt: null });
    expect(await armedFor(schedule.id)).toBeNull();
    const resumed = (
      (await (
        await owner.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, {
          method: "PATCH",
          body: { enabled: true },
        })
      ).json()) as { schedule: ScheduleJSON }
    ).schedule;
    expect(resumed.nextRunAt).toBe(weekly.nextRunAt);
    expect(await armedFor(schedule.id)).toBe(weekly.nextRunAt);

    expect(
      (await viewer.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, { method: "DELETE" })).status,
    ).toBe(403);
    expect(
      (await editor.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    expect((await owner.api(`/api/workspaces/${ws}/schedules/${schedule.id}`)).status).toBe(404);
    expect(await armedFor(schedule.id)).toBeNull();
  });

  it("refuses a bad cron, an unknown time zone, a too-frequent cron and an invalid session body with 400 naming the field", async () => {
    const { owner, ws } = await team();
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ cron: "61 * * * *" }, "cron"],
      [{ cron: "0 9 * * * *" }, "cron", /exactly 5 fields/],
      [{ cron: "@daily" }, "cron"],
      [{ cron: "0 0 31 2 *" }, "cron", /never runs/],
      [{ cron: "* * * * *" }, "cron", /at least 5 minutes apart/],
      [{ cron: "*/4 * * * *" }, "cron", /at least 5 minutes apart/],
      [{ cron: "0,2 9 * * *" }, "cron", /at least 5 minutes apart/],
      [{ cron: "0 9 * * *", timezone: "Mars/Olympus_Mons" }, "timezone", /IANA/],
      [{ cron: "0 9 * * *", session: { model: "gpt-4" } }, "session.model"],
      [{ cron: "0 9 * * *", session: { prompt: "x" } }, "session.prompt"],
      [{ cron: "0 9 * * *", session: { interactive: true } }, "session.interactive"],
      [{ cron: "0 9 * * *", session: { workflow: "no-such-flow" } }, "session.workflow", /no workflow named/],
      [{ cron: "0 9 * * *", prompt: "" }, "prompt"],
      [{ cron: "0 9 * * *", name: "" }, "name"],
    ];
    for (const [body, field, message] of cases) {
      const res = await owner.api(`/api/workspaces/${ws}/schedules`, {
        body: { name: "n", session: {}, prompt: "p", ...body },
      });
      const text = await res.text();
      expect(res.status, `${JSON.stringify(body)}: ${text}`).toBe(400);
      const error = (JSON.parse(text) as { error: { field?: string; message: string } }).error;
      expect(error.field, JSON.stringify(body)).toBe(field);
      if (message) expect(error.message).toMatch(message);
    }
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/schedules`, {
          body: { name: "n", cron: "*/5 * * * *", session: {}, prompt: "p" },
        })
      ).status,
    ).toBe(201);
    const { schedules } = (await (await owner.api(`/api/workspaces/${ws}/schedules`)).json()) as {
      schedules: unknown[];
    };
    expect(schedules).toHaveLength(1);
    const id = (schedules[0] as { id: string }).id;
    const patch = await owner.api(`/api/workspaces/${ws}/schedules/${id}`, {
      method: "PATCH",
      body: { cron: "*/2 * * * *" },
    });
    expect(patch.status).toBe(400);
    expect(((await patch.json()) as { error: { field: string } }).error.field).toBe("cron");
    const unknownFlow = await owner.api(`/api/workspaces/${ws}/schedules/${id}`, {
      method: "PATCH",
      body: { session: { workflow: "no-such-flow" } },
    });
    expect(unknownFlow.status).toBe(400);
    expect(((await unknownFlow.json()) as { error: { field: string } }).error.field).toBe("session.workflow");
  });

  it("another workspace's schedule is a 404", async () => {
    const a = await team();
    const b = await team();
    const theirs = await create(b.owner, b.ws, { cron: "0 9 * * *" });
    for (const [method, path] of [
      ["GET", ""],
      ["PATCH", ""],
      ["DELETE", ""],
      ["POST", "/run"],
    ] as const) {
      const res = await a.owner.api(`/api/workspaces/${a.ws}/schedules/${theirs.id}${path}`, {
        method,
        ...(method === "PATCH" && { body: { name: "x" } }),
      });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });
});
