/**
 * Schedules of a workspace: /api/workspaces/:ws/schedules. Owners and editors create (at most 50 a
 * workspace), edit, pause (enabled: false), delete and run them now; every member lists them and reads
 * their runs. An edit makes its author the one the schedule's runs start as. Each change sets the
 * schedule's clock (worker/schedule/clock.ts) to its next run.
 */
import { z } from "zod";
import { requireRole } from "../auth/membership";
import {
  MAX_SCHEDULES_PER_WORKSPACE,
  deleteSchedule,
  findSchedule,
  insertSchedule,
  listRuns,
  listSchedules,
  updateSchedule,
  type ScheduleFields,
} from "../db/schedules";
import type { Env } from "../env";
import { newApp } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { resolveWorkflow } from "../sessions/workflow-lookup";
import { requireTemplateSettings } from "../models/catalog";
import { enforceRateLimit } from "../http/rate-limit";
import {
  CreateScheduleSchema,
  UpdateScheduleSchema,
  type Schedule,
  type ScheduleRun,
} from "../protocol/schedules";
import { clockOf } from "../schedule/clock";
import { nextRunAfter, validateCron } from "../schedule/cron";
import { runNow } from "../schedule/run";

const ScheduleParamsSchema = z.object({ id: z.uuid() });

/** Mounted at /api/workspaces/:ws/schedules (membership is checked before these run). */
export const scheduleRoutes = newApp();

scheduleRoutes.post("/", async (c) => {
  requireRole(c, "owner", "editor");
  const body = await readJson(c, CreateScheduleSchema);
  const now = Date.now();
  validateCron(body.cron, body.timezone, now);
  await resolveWorkflow(c.env.DB, c.req.param("ws")!, body.session.workflow, "session.workflow");
  requireTemplateSettings(c.env, body.session, now);
  const id = crypto.randomUUID();
  const fields: ScheduleFields = {
    ...body,
    nextRunAt: body.enabled ? nextRunAfter(body.cron, body.timezone, now) : null,
  };
  if (
    !(await insertSchedule(c.env.DB, {
      ...fields,
      id,
      workspaceId: c.req.param("ws")!,
      createdBy: c.var.user.id,
      now,
    }))
  ) {
    throw new HttpError(
      "limit_reached",
      `a workspace holds at most ${MAX_SCHEDULES_PER_WORKSPACE} schedules: delete one first`,
    );
  }
  await clockOf(c.env, id).arm(id, fields.nextRunAt);
  return c.json({ schedule: (await scheduleOfPath(c.env, c.req.param("ws")!, id)) satisfies Schedule }, 201);
});

scheduleRoutes.get("/", async (c) =>
  c.json({ schedules: await listSchedules(c.env.DB, c.req.param("ws")!) }),
);

scheduleRoutes.get("/:id", async (c) => {
  const schedule = await scheduleOfPath(c.env, c.req.param("ws")!, c.req.param("id"));
  return c.json({ schedule, runs: (await listRuns(c.env.DB, schedule.id)) satisfies ScheduleRun[] });
});

scheduleRoutes.patch("/:id", async (c) => {
  requireRole(c, "owner", "editor");
  const patch = await readJson(c, UpdateScheduleSchema);
  const current = await scheduleOfPath(c.env, c.req.param("ws")!, c.req.param("id"));
  const next = { ...current, ...patch };
  const now = Date.now();
  if (patch.cron !== undefined || patch.timezone !== undefined) validateCron(next.cron, next.timezone, now);
  if (patch.session !== undefined) {
    await resolveWorkflow(c.env.DB, current.workspaceId, patch.session.workflow, "session.workflow");
    requireTemplateSettings(c.env, patch.session, now);
  }
  // A change of clock or a resume starts from now; an edit of anything else keeps the slot it waits for.
  const clockChanged =
    patch.cron !== undefined || patch.timezone !== undefined || (patch.enabled === true && !current.enabled);
  const nextRunAt = !next.enabled
    ? null
    : clockChanged || current.nextRunAt === null
      ? nextRunAfter(next.cron, next.timezone, now)
      : current.nextRunAt;
  await updateSchedule(c.env.DB, current.id, { ...next, nextRunAt }, c.var.user.id, now);
  await clockOf(c.env, current.id).arm(current.id, nextRunAt);
  return c.json({ schedule: await scheduleOfPath(c.env, c.req.param("ws")!, current.id) });
});

scheduleRoutes.delete("/:id", async (c) => {
  requireRole(c, "owner", "editor");
  const { id } = parseInput(ScheduleParamsSchema, { id: c.req.param("id") });
  if (!(await deleteSchedule(c.env.DB, c.req.param("ws")!, id))) throw notFound("schedule not found");
  await clockOf(c.env, id).arm(id, null);
  return c.body(null, 204);
});

scheduleRoutes.post("/:id/run", async (c) => {
  requireRole(c, "owner", "editor");
  const schedule = await scheduleOfPath(c.env, c.req.param("ws")!, c.req.param("id"));
  // A session started by hand, as the caller: it counts as theirs, like a creation or a clone.
  await enforceRateLimit(c.env, "sessionCreation", `user:${c.var.user.id}`);
  const sessionId = await runNow(c.env, schedule, { id: c.var.user.id, name: c.var.user.name });
  return c.json({ sessionId }, 202);
});

/** The schedule in the path, if it belongs to the path's workspace (another's is a 404). */
async function scheduleOfPath(env: Env, workspaceId: string, rawId: string | undefined): Promise<Schedule> {
  const { id } = parseInput(ScheduleParamsSchema, { id: rawId });
  const schedule = await findSchedule(env.DB, id, workspaceId);
  if (!schedule) throw notFound("schedule not found");
  return schedule;
}
