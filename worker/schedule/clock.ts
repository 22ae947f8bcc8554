/**
 * ScheduleClock: one Durable Object per schedule, whose alarm rings at the schedule's next run. D1 holds
 * the schedule and its next slot (next_run_at); the object holds only which schedule it is and its alarm,
 * both durable, so a restart or a deploy between two runs loses nothing: the alarm rings (late, if the
 * runtime was down) and the slot it rings for is recorded before its session starts (run.ts), so a ring
 * repeated for the same slot starts nothing more. Slots that passed while the runtime was down are
 * coalesced into one late run; the next slot is the first after now.
 */
import { DurableObject } from "cloudflare:workers";
import { advanceSchedule, findSchedule } from "../db/schedules";
import type { Env } from "../env";
import { nextRunAfter } from "./cron";
import { runSlot } from "./run";

const SCHEDULE_KEY = "scheduleId";

export class ScheduleClock extends DurableObject<Env> {
  /** Sets the alarm to the schedule's next run (null: paused or deleted, no alarm). */
  async arm(scheduleId: string, at: number | null): Promise<void> {
    await this.ctx.storage.put(SCHEDULE_KEY, scheduleId);
    if (at === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(at);
  }

  /** The alarm as set, for tests and diagnostics. */
  async armedFor(): Promise<number | null> {
    return this.ctx.storage.getAlarm();
  }

  async alarm(): Promise<void> {
    await this.tick(Date.now());
  }

  /**
   * Runs the slot that is due at `now` (the alarm passes the real time; tests pass their own), moves the
   * schedule to its next slot and sets the alarm for it. A throw leaves the slot as it was: the platform
   * retries the alarm, and the recorded run makes the retry safe.
   */
  async tick(now: number): Promise<void> {
    const scheduleId = await this.ctx.storage.get<string>(SCHEDULE_KEY);
    if (!scheduleId) return;
    const schedule = await findSchedule(this.env.DB, scheduleId);
    if (!schedule || !schedule.enabled || schedule.nextRunAt === null) {
      await this.ctx.storage.deleteAlarm();
      if (!schedule) await this.ctx.storage.deleteAll();
      return;
    }
    const slot = schedule.nextRunAt;
    if (slot > now) return this.ctx.storage.setAlarm(slot);
    await runSlot(this.env, schedule, slot, now);
    await advanceSchedule(
      this.env.DB,
      scheduleId,
      slot,
      nextRunAfter(schedule.cron, schedule.timezone, Math.max(now, slot)),
    );
    // The schedule as it is now: an edit during the run has set its own next slot.
    const current = await findSchedule(this.env.DB, scheduleId);
    if (current?.enabled && current.nextRunAt !== null) await this.ctx.storage.setAlarm(current.nextRunAt);
    else await this.ctx.storage.deleteAlarm();
  }
}

/** The clock of a schedule. */
export const clockOf = (env: Env, scheduleId: string) =>
  env.ScheduleClock.get(env.ScheduleClock.idFromName(scheduleId));
