/**
 * The app's one way of writing times: how long ago ("3 min ago", "yesterday"), one absolute format
 * ("6 Dec 2026, 14:05" in the viewer's locale and zone), and durations ("14:49", "1 h 2 min").
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** How long ago `ms` was, in words a list can show; a time in the future (a clock skew) reads "just now". */
export function timeAgo(ms: number, now: number = Date.now()): string {
  if (!Number.isFinite(ms)) return "";
  const ago = now - ms;
  if (ago < MINUTE) return "just now";
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  // Calendar days, not 24-hour spans: 23:00 yesterday is "yesterday" at 08:00 today.
  const days = Math.round((startOfDay(now) - startOfDay(ms)) / DAY);
  if (days === 0) return `${Math.floor(ago / HOUR)} h ago`;
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return dateOnly(ms);
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

/** The one absolute format: date and time to the minute, in the viewer's locale and time zone. */
export function dateTime(ms: number): string {
  return Number.isFinite(ms) ? absolute.format(ms) : "";
}

/** A day without its time, for "created on" columns and old entries. */
export function dateOnly(ms: number): string {
  return Number.isFinite(ms) ? dayFormat.format(ms) : "";
}

/** A duration: "14:49" below an hour (a countdown's shape), "1 h 2 min" from an hour on. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const longDayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full" });

/** A time of day to the minute, for what happened today beside its day (a message, an event). */
export function clockTime(ms: number): string {
  return Number.isFinite(ms) ? clockFormat.format(ms) : "";
}

/** A day in full ("Monday, 3 March 2025"), for a transcript's day dividers. */
export function dayName(ms: number): string {
  return Number.isFinite(ms) ? longDayFormat.format(ms) : "";
}
