/** The schedule form: a name, a cron in a time zone, the first message and the New Session settings. */
import { LIMITS } from "./config";
import { defaultForm, fieldKey, toBody, validate, type FieldErrors, type SessionForm } from "./session-form";
import type { ModelView, NewSchedule, Schedule } from "./api";

export interface ScheduleForm {
  name: string;
  cron: string;
  timezone: string;
  prompt: string;
  /** `session.interactive` is the schedule's own `interactive`. */
  session: SessionForm;
}

/** The viewer's own zone: what a person most likely means by "9 in the morning". */
export function viewerTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function defaultScheduleForm(): ScheduleForm {
  return {
    name: "",
    cron: "0 9 * * 1-5",
    timezone: viewerTimezone(),
    prompt: "",
    // Nobody is there to send a next message: a scheduled session completes when its work is done.
    session: { ...defaultForm(), interactive: false },
  };
}

/** The form of an existing schedule, for editing. */
export function scheduleToForm(s: Schedule): ScheduleForm {
  const base = defaultForm();
  return {
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    prompt: s.prompt,
    session: {
      ...base,
      displayName: s.session.displayName ?? "",
      model: s.session.model ?? "",
      temperature: s.session.temperature,
      effort: s.session.effort ?? null,
      maxTokens: s.session.maxTokens,
      timeoutSeconds: s.session.timeoutSeconds,
      thinking: s.session.thinking ?? false,
      interactive: s.interactive,
      permissionMode: s.session.permissionMode ?? "auto",
      repos: s.session.repos.map((r) => ({ url: r.url, branch: r.branch ?? "" })),
      workflow: s.session.workflow ?? "",
    },
  };
}

/** Errors keyed like the form; the cron's own rules (fields, minimum interval, zone) are the server's, shown on its 400. */
export function validateSchedule(f: ScheduleForm, model?: ModelView): FieldErrors {
  const e: FieldErrors = validate({ ...f.session, prompt: "" }, model);
  const name = f.name.trim();
  if (!name) e.name = "Give the schedule a name.";
  else if (name.length > 100) e.name = "At most 100 characters.";
  if (f.cron.trim().split(/\s+/).length !== 5)
    e.cron = "Five fields: minute hour day-of-month month day-of-week.";
  if (!f.timezone.trim()) e.timezone = "An IANA time zone, e.g. Europe/Berlin.";
  if (!f.prompt.trim()) e.prompt = "The prompt is the session's first message: it cannot be empty.";
  else if (f.prompt.length > LIMITS.prompt.max) e.prompt = "The prompt is too long.";
  return e;
}

export function toScheduleBody(f: ScheduleForm): NewSchedule {
  const { interactive, prompt: _prompt, ...session } = toBody({ ...f.session, prompt: "" });
  return {
    name: f.name.trim(),
    cron: f.cron.trim(),
    timezone: f.timezone.trim(),
    prompt: f.prompt,
    session,
    interactive: interactive ?? false,
  };
}

/** Maps an API error's field (`session.maxTokens`, `cron`) onto the form's keys. */
export function scheduleFieldKey(field: string): string {
  return fieldKey(field).replace(/^session\./, "");
}

/** A time in the viewer's own zone, with the zone named. */
export function inViewerZone(ms: number): string {
  // dateStyle/timeStyle cannot be combined with timeZoneName: the fields are spelled out.
  return new Date(ms).toLocaleString(undefined, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
}
