/**
 * The header's "14:49 left" ticks every second, so it is no live region: a screen reader hears the budget
 * only when it crosses one of these marks.
 */
export const ALERT_AT_SECONDS = [5 * 60, 60] as const;

/** What to announce when the time left goes from `before` to `after` seconds: the mark it crossed, or null. */
export function countdownAlert(before: number | null, after: number): string | null {
  if (before === null) return null;
  for (const mark of ALERT_AT_SECONDS) {
    if (before > mark && after <= mark) {
      const minutes = mark / 60;
      return `${minutes} ${minutes === 1 ? "minute" : "minutes"} left of this session's time budget.`;
    }
  }
  return null;
}
