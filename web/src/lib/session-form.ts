/** The New Session dialog's values and their checks: the same bounds the Worker enforces. */
import { LIMITS, MODELS, settingsProblems, type Effort, type ModelId } from "./config";
import type { ModelView, NewSession, Repo } from "./api";
import type { PermissionMode } from "@tandem/protocol/session-config";

export interface SessionForm {
  displayName: string;
  /** "": the catalog's default when the session is created (the first live model). */
  model: ModelId | "";
  /** Stored with the session and never sent to the model (the API version refuses it); kept for old clients. */
  temperature: number;
  /** null: the model's default effort. */
  effort: Effort | null;
  maxTokens: number;
  timeoutSeconds: number;
  thinking: boolean;
  /** false: the session goes to Completed when a turn ends with nothing queued. */
  interactive: boolean;
  /** Who decides tool calls: auto, ask (the team approves), plan (a plan first). */
  permissionMode: PermissionMode;
  repos: { url: string; branch: string }[];
  workflow: string;
  prompt: string;
}

export type FieldErrors = Partial<Record<string, string>>;

export function defaultForm(): SessionForm {
  return {
    displayName: "",
    model: "",
    temperature: LIMITS.temperature.default,
    effort: null,
    maxTokens: LIMITS.maxTokens.default,
    timeoutSeconds: LIMITS.timeoutSeconds.default,
    thinking: false,
    // People's sessions wait for the next message; a trigger's default is set by its own form.
    interactive: true,
    permissionMode: "auto",
    repos: [],
    workflow: "",
    prompt: "",
  };
}

function inRange(v: number, b: { min: number; max: number }): boolean {
  return Number.isFinite(v) && v >= b.min && v <= b.max;
}

export function thinkingAllowed(maxTokens: number): boolean {
  return maxTokens >= LIMITS.thinkingMinMaxTokens;
}

/**
 * The form's errors. With the chosen model's entry (from GET /api/models), also what that model cannot take
 * (an effort it lacks, thinking off where it always thinks), in the words the API would use.
 */
export function validate(f: SessionForm, model?: ModelView): FieldErrors {
  const e: FieldErrors = {};
  const name = f.displayName.trim();
  if (name.length > LIMITS.displayName.max) e.displayName = `At most ${LIMITS.displayName.max} characters.`;
  if (f.model !== "" && !(f.model in MODELS)) e.model = "Pick one of the listed models.";
  if (!inRange(f.temperature, LIMITS.temperature))
    e.temperature = `Between ${LIMITS.temperature.min} and ${LIMITS.temperature.max}.`;
  if (!Number.isInteger(f.maxTokens) || !inRange(f.maxTokens, LIMITS.maxTokens))
    e.maxTokens = `A whole number from ${LIMITS.maxTokens.min} to ${LIMITS.maxTokens.max}.`;
  if (!Number.isInteger(f.timeoutSeconds) || !inRange(f.timeoutSeconds, LIMITS.timeoutSeconds))
    e.timeoutSeconds = `Whole seconds from ${LIMITS.timeoutSeconds.min} to ${LIMITS.timeoutSeconds.max}.`;
  if (f.thinking && !thinkingAllowed(f.maxTokens))
    e.thinking = `Extended thinking needs max tokens of at least ${LIMITS.thinkingMinMaxTokens}.`;
  if (model && !e.thinking && !e.maxTokens) {
    for (const problem of settingsProblems(model, {
      thinking: f.thinking,
      effort: f.effort,
      maxTokens: f.maxTokens,
    }))
      e[problem.field] ??= `${problem.message}.`;
  }
  if (f.repos.length > LIMITS.repos.max) e.repos = `At most ${LIMITS.repos.max} repositories.`;
  f.repos.forEach((r, i) => {
    if (!/^(https?:\/\/|git@|ssh:\/\/|file:\/\/|\/)/.test(r.url.trim()))
      e[`repos.${i}.url`] = "A git URL (https://, git@, ssh://, file:// or a path).";
    if (r.branch.trim() && !/^[A-Za-z0-9._/-]+$/.test(r.branch.trim()))
      e[`repos.${i}.branch`] = "Letters, digits and . _ / - only.";
  });
  if (f.prompt.length > LIMITS.prompt.max) e.prompt = "The prompt is too long.";
  return e;
}

export function toRepos(repos: SessionForm["repos"]): Repo[] {
  return repos.map((r) =>
    r.branch.trim() ? { url: r.url.trim(), branch: r.branch.trim() } : { url: r.url.trim() },
  );
}

/** The request body: empty optional fields are left out so the server's defaults apply. */
export function toBody(f: SessionForm): NewSession {
  const body: NewSession = {
    // Stored, never sent to the model: a schedule or trigger edited here keeps the value it had.
    temperature: f.temperature,
    maxTokens: f.maxTokens,
    timeoutSeconds: f.timeoutSeconds,
    thinking: f.thinking,
    effort: f.effort,
    interactive: f.interactive,
    permissionMode: f.permissionMode,
  };
  if (f.model) body.model = f.model;
  if (f.displayName.trim()) body.displayName = f.displayName.trim();
  if (f.repos.length) body.repos = toRepos(f.repos);
  if (f.workflow) body.workflow = f.workflow;
  if (f.prompt.trim()) body.prompt = f.prompt;
  return body;
}

/** How a session ends, in the words the dialog and the sidebar use. */
export const FINISH_LABEL = "Finish on its own when a turn ends with nothing queued";
export function finishesIn(interactive: boolean): string {
  return interactive
    ? "when someone stops it (or it idles): it waits for the next message"
    : "on its own, when a turn ends with nothing queued";
}

/** The aria attributes of a form control whose error, if any, is `<prefix>-<key>-error` (see FieldError). */
export function fieldAria(errors: FieldErrors, prefix: string, key: string, hint?: string) {
  const describedBy = [errors[key] ? `${prefix}-${key}-error` : "", hint ?? ""].filter(Boolean).join(" ");
  return {
    "aria-invalid": errors[key] ? ("true" as const) : undefined,
    "aria-describedby": describedBy || undefined,
  };
}

/** Maps an API error's field (`repos.0.url`, `repos[0].url`, `temperature`) onto the form's keys. */
export function fieldKey(field: string): string {
  return field.replace(/\[(\d+)\]/g, ".$1");
}

/** The choices the New Session dialog remembers per workspace (never the prompt or the name). */
const REMEMBERED = [
  "model",
  "effort",
  "maxTokens",
  "timeoutSeconds",
  "thinking",
  "interactive",
  "permissionMode",
  "repos",
  "workflow",
] as const satisfies readonly (keyof SessionForm)[];

const rememberKey = (workspaceId: string) => `tandem.new-session.${workspaceId}`;

/** The last choices made in this workspace, saved when a session was created with them. */
export function rememberChoices(storage: Storage, workspaceId: string, form: SessionForm): void {
  const kept = Object.fromEntries(REMEMBERED.map((key) => [key, form[key]]));
  storage.setItem(rememberKey(workspaceId), JSON.stringify(kept));
}

/**
 * A fresh form with this workspace's last choices: each stored value only if it has the type of the
 * default it replaces, and the whole set only if the form's own checks pass it (an older version's values,
 * a hand-edited store: the defaults instead).
 */
export function rememberedForm(storage: Storage, workspaceId: string): SessionForm {
  const fresh = defaultForm();
  let stored: unknown;
  try {
    stored = JSON.parse(storage.getItem(rememberKey(workspaceId)) ?? "null");
  } catch {
    return fresh;
  }
  if (typeof stored !== "object" || stored === null) return fresh;
  const form: SessionForm = { ...fresh };
  const values = stored as Record<string, unknown>;
  for (const key of REMEMBERED) {
    const value = values[key];
    const like = fresh[key];
    const sameType =
      key === "effort"
        ? value === null || typeof value === "string"
        : key === "repos"
          ? Array.isArray(value) &&
            value.every((r) => typeof r?.url === "string" && typeof r?.branch === "string")
          : typeof value === typeof like;
    if (sameType) (form as unknown as Record<string, unknown>)[key] = value;
  }
  return Object.keys(validate(form)).length === 0 ? form : fresh;
}
