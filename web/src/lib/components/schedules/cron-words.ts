/** A schedule's cron in words ("At 09:00, Monday through Friday"), or "" for one cronstrue cannot read. */
import cronstrue from "cronstrue";

export function cronInWords(cron: string): string {
  const text = cron.trim();
  if (!text) return "";
  try {
    return cronstrue.toString(text, { use24HourTimeFormat: true, verbose: false });
  } catch {
    // Half-typed or invalid: the API says what is wrong when the form is sent.
    return "";
  }
}
