/** The trigger form: a name, the New Session settings, a prompt template, a filter and a callback. */
import { LIMITS } from "./config";
import { defaultForm, fieldKey, toBody, validate, type FieldErrors, type SessionForm } from "./session-form";
import type { ModelView, NewTrigger } from "./api";

export interface TriggerForm {
  name: string;
  session: SessionForm;
  promptTemplate: string;
  event: string;
  action: string;
  callbackUrl: string;
  requireApproval: boolean;
}

export const FILTER_MAX = 100;

export function defaultTriggerForm(): TriggerForm {
  return {
    name: "",
    // Nobody is there to send a next message: a trigger's session completes when its work is done.
    session: { ...defaultForm(), interactive: false },
    promptTemplate: "Triage this GitHub issue: {{issue.title}}\n\n{{issue.body}}\n\n{{issue.html_url}}",
    event: "",
    action: "",
    callbackUrl: "",
    requireApproval: false,
  };
}

function isHttpURL(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** Why a callback URL (a trigger's or the workspace's) is refused before the server sees it, or undefined. */
export function callbackURLError(value: string): string | undefined {
  return !isHttpURL(value) || value.length > 2000 ? "An http:// or https:// URL." : undefined;
}

/** Errors keyed like the form: the session settings by their own keys, the trigger's by `name`, `filter.event`, …. */
export function validateTrigger(f: TriggerForm, model?: ModelView): FieldErrors {
  // A trigger's first message is its template, so the session's own prompt is not part of the form.
  const e: FieldErrors = validate({ ...f.session, prompt: "" }, model);
  const name = f.name.trim();
  if (!name) e.name = "Give the trigger a name.";
  else if (name.length > 100) e.name = "At most 100 characters.";
  if (!f.promptTemplate.trim())
    e.promptTemplate = "The template becomes the session's first message: it cannot be empty.";
  else if (f.promptTemplate.length > LIMITS.prompt.max) e.promptTemplate = "The template is too long.";
  if (f.event.trim().length > FILTER_MAX) e["filter.event"] = `At most ${FILTER_MAX} characters.`;
  if (f.action.trim().length > FILTER_MAX) e["filter.action"] = `At most ${FILTER_MAX} characters.`;
  const callbackError = f.callbackUrl.trim() ? callbackURLError(f.callbackUrl.trim()) : undefined;
  if (callbackError) e.callbackUrl = callbackError;
  return e;
}

export function toTriggerBody(f: TriggerForm): NewTrigger {
  const body: NewTrigger = {
    name: f.name.trim(),
    session: toBody({ ...f.session, prompt: "" }),
    promptTemplate: f.promptTemplate,
  };
  const event = f.event.trim();
  const action = f.action.trim();
  if (event || action) body.filter = { ...(event && { event }), ...(action && { action }) };
  if (f.callbackUrl.trim()) body.callbackUrl = f.callbackUrl.trim();
  if (f.requireApproval) body.requireApproval = true;
  return body;
}

/** Maps an API error's field (`session.maxTokens`, `filter.event`) onto the form's keys. */
export function triggerFieldKey(field: string): string {
  return fieldKey(field).replace(/^session\./, "");
}
