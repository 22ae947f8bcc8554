/**
 * A schedule's clock arithmetic: croner (no dependencies, time zones through Intl, runs in Workers)
 * parses the 5-field expression and finds the next run in the schedule's IANA zone, DST included (a
 * time that does not exist on a spring-forward day runs an hour later; one that exists twice on a
 * fall-back day runs once).
 */
import { Cron } from "croner";
import { HttpError } from "../http/errors";
import { MIN_INTERVAL_MINUTES } from "../protocol/schedules";

/** Runs looked at to find the tightest interval: enough for every pattern's repetition within a day. */
const SAMPLE_RUNS = 300;

function pattern(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, paused: true, mode: "5-part" });
}

function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Checks an expression and zone as a request gives them: 400 naming the field, the minimum interval stated. */
export function validateCron(cron: string, timezone: string, now = Date.now()): void {
  if (!isTimezone(timezone))
    throw new HttpError(
      "invalid_input",
      `timezone: "${timezone}" is not an IANA time zone (e.g. Europe/Berlin)`,
      { field: "timezone" },
    );
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new HttpError(
      "invalid_input",
      "cron: needs exactly 5 fields (minute hour day-of-month month day-of-week)",
      { field: "cron" },
    );
  }
  let job: Cron;
  try {
    job = pattern(cron, timezone);
  } catch (err) {
    throw new HttpError(
      "invalid_input",
      `cron: ${err instanceof Error ? err.message : "not a cron expression"}`,
      { field: "cron" },
    );
  }
  const runs = job.nextRuns(SAMPLE_RUNS, new Date(now)).map((date) => date.getTime());
  if (runs.length === 0) throw new HttpError("invalid_input", "cron: never runs", { field: "cron" });
  let tightest = Infinity;
  for (let i = 1; i < runs.length; i++) tightest = Math.min(tightest, runs[i]! - runs[i - 1]!);
  if (tightest < MIN_INTERVAL_MINUTES * 60_000) {
    throw new HttpError(
      "invalid_input",
      `cron: runs must be at least ${MIN_INTERVAL_MINUTES} minutes apart; this one runs ${Math.round(tightest / 60_000)} minute(s) apart`,
      { field: "cron" },
    );
  }
}

/** The first run strictly after `after` (ms), or null if the expression never runs again. */
export function nextRunAfter(cron: string, timezone: string, after: number): number | null {
  const next = pattern(cron, timezone).nextRun(new Date(after));
  return next ? next.getTime() : null;
}
