/**
 * One run of a schedule: recorded first (its session id chosen then), then started, then its outcome
 * written. A scheduled run starts as the schedule's last editor (its creator until someone edits it), once
 * their role is checked again, and counts against their session-creation rate limit like a session they
 * create. A scheduled run whose previous run's session is still active is skipped and recorded; a start
 * that fails (that person lost the right to start sessions, their rate limit, a model the API refuses, a
 * budget) is recorded with its reason; an unexpected failure is recorded and answered in general words,
 * its detail only in the log. A run found recorded but unfinished (the clock restarted mid-run) goes on
 * with the session id it recorded, so it never starts a second session.
 */
import { createSession } from "../sessions/create";
import { roomOf } from "../sessions/rooms";
import { getMembership } from "../db/members";
import { claimSlot, finishRun, insertManualRun, lastStartedSession } from "../db/schedules";
import { workspaceOfSession } from "../db/sessions";
import type { Env } from "../env";
import { HttpError, zodErrorBody } from "../http/errors";
import { rateLimitRefusal } from "../http/rate-limit";
import { ACTIVE_PHASES } from "../protocol/lifecycle";
import type { Schedule } from "../protocol/schedules";
import { CreateSessionSchema, type Actor, type CreateSessionBody } from "../protocol/session";

/** Phases in which a session still holds its schedule's turn (Pending included: it is about to start). */
const isBusy = (phase: string) => phase === "Pending" || ACTIVE_PHASES.has(phase as never);

/** The clock's run for `slot`: at most one per slot, however often the clock rings for it. */
export async function runSlot(env: Env, schedule: Schedule, slot: number, now: number): Promise<void> {
  const run = await claimSlot(env.DB, schedule.id, slot, crypto.randomUUID(), now);
  if (!run.claimed && run.outcome !== "starting") return;
  const runAs = schedule.updatedBy;
  const member = await getMembership(env.DB, schedule.workspaceId, runAs.id);
  if (!member || member.role === "viewer") {
    const who = runAs.id === schedule.createdBy.id ? "creator" : "last editor";
    await finishRun(
      env.DB,
      run.id,
      "failed",
      null,
      `the schedule's ${who} (${runAs.name}) is no longer an owner or editor of the workspace`,
    );
    return;
  }
  const previous = await lastStartedSession(env.DB, schedule.id, run.id);
  if (previous && previous !== run.sessionId) {
    const phase = await phaseOf(env, previous);
    if (phase && isBusy(phase)) {
      await finishRun(
        env.DB,
        run.id,
        "skipped",
        null,
        `the previous run's session ${previous} is still ${phase}`,
      );
      return;
    }
  }
  // A run the clock found unfinished was counted when it began.
  const limited = run.claimed ? await rateLimitRefusal(env, "sessionCreation", `user:${runAs.id}`) : null;
  if (limited) {
    await finishRun(
      env.DB,
      run.id,
      "failed",
      null,
      `${limited.code}: ${runAs.name}, whom the schedule runs as, created too many sessions in the last minute`,
    );
    return;
  }
  await start(env, schedule, run.id, run.sessionId!, runAs);
}

/** "Run now" (POST …/schedules/:id/run): as the caller, whatever the previous run is doing; its session id, or the refusal thrown. */
export async function runNow(env: Env, schedule: Schedule, actor: Actor, now = Date.now()): Promise<string> {
  const sessionId = crypto.randomUUID();
  const runId = await insertManualRun(env.DB, schedule.id, sessionId, now);
  const failure = await start(env, schedule, runId, sessionId, actor);
  if (failure) throw failure;
  return sessionId;
}

/** Starts the run's session unless it exists already; records the outcome; returns the failure, if any. */
async function start(
  env: Env,
  schedule: Schedule,
  runId: string,
  sessionId: string,
  actor: Actor,
): Promise<HttpError | null> {
  if (await workspaceOfSession(env.DB, sessionId)) {
    await finishRun(env.DB, runId, "started", sessionId, null);
    return null;
  }
  // Checked again at each run: what was valid when the schedule was saved may not be now (a retired model).
  const checked = CreateSessionSchema.safeParse({
    ...schedule.session,
    prompt: schedule.prompt,
    interactive: schedule.interactive,
  });
  if (!checked.success) {
    const failure = new HttpError("invalid_input", `session.${zodErrorBody(checked.error).error.message}`, {
      field: "session",
    });
    await finishRun(env.DB, runId, "failed", null, `${failure.code}: ${failure.message}`);
    return failure;
  }
  const body: CreateSessionBody = checked.data;
  const origin = { kind: "schedule" as const, scheduleId: schedule.id, scheduleName: schedule.name };
  try {
    await createSession(env, schedule.workspaceId, body, actor, origin, { id: sessionId });
    await finishRun(env.DB, runId, "started", sessionId, null);
    return null;
  } catch (err) {
    // Every member reads the run's reason: an unexpected failure's own words (storage, the runtime) stay in the log.
    if (!(err instanceof HttpError)) console.error(`schedule ${schedule.id}: run ${runId} failed`, err);
    const failure =
      err instanceof HttpError
        ? err
        : new HttpError(
            "internal",
            "the session could not be started: an internal error (recorded in the server's log)",
          );
    await finishRun(env.DB, runId, "failed", null, `${failure.code}: ${failure.message}`);
    return failure;
  }
}

async function phaseOf(env: Env, sessionId: string): Promise<string | null> {
  if (!(await workspaceOfSession(env.DB, sessionId))) return null;
  const result = await (await roomOf(env, sessionId)).get();
  return result.ok ? result.value.phase : null;
}
