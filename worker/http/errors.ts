import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";

/**
 * Every error code the API (and the room's WebSocket upgrade) answers with, and its one HTTP status (the
 * style of sandbox-sdk's ErrorCode plus status map, in one object so a code cannot exist without its
 * status). A handler names a code; the status follows, so `not_found` cannot go out as a 409.
 */
export const ERROR_STATUS = {
  invalid_input: 400,
  invalid_json: 400,
  missing_body: 400,
  gdrive_not_configured: 400,
  gdrive_token_rejected: 400,
  github_token_missing: 400,
  /** The model is past its end of life; `successor` names the one to use. */
  model_retired: 400,
  unauthenticated: 401,
  /** The workspace has spent its monthly budget. */
  budget_exceeded: 402,
  invalid_ticket: 401,
  bad_signature: 401,
  forbidden: 403,
  cross_site_request: 403,
  host_not_allowed: 403,
  not_found: 404,
  exists: 409,
  invalid_transition: 409,
  not_awaiting_approval: 409,
  /** An approval someone decided first (or that closed): the first answer wins. */
  already_decided: 409,
  last_owner: 409,
  already_member: 409,
  delivery_in_progress: 409,
  workflow_builtin: 409,
  workflow_in_use: 409,
  agent_not_running: 409,
  agent_busy: 409,
  nothing_to_push: 409,
  push_rejected: 409,
  /** A workspace holds as many of these as it may (schedules). */
  limit_reached: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  trigger_invalid: 422,
  rate_limited: 429,
  internal: 500,
  gdrive_unreachable: 502,
  gdrive_failed: 502,
  github_error: 502,
  not_configured: 503,
  secrets_unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** What an error may carry besides its code and message. */
export type ErrorExtra = { field?: string; phase?: string; successor?: string };

/** The one error type of the API: becomes `{error:{code,message,field?,phase?,successor?}}` with its code's status. */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: ErrorExtra = {},
    /** Response headers that go with it (`Retry-After` on a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what = "not found") => new HttpError("not_found", what);
export const forbidden = (message = "your role does not allow this") => new HttpError("forbidden", message);

export function errorBody(code: ErrorCode, message: string, extra: ErrorExtra = {}) {
  return { error: { code, message, ...extra } };
}

/** The error as a plain Response, for the paths outside the hono app (the room's WebSocket upgrade, the host check). */
export function errorResponse(
  code: ErrorCode,
  message: string,
  extra: ErrorExtra = {},
  headers: Record<string, string> = {},
): Response {
  return Response.json(errorBody(code, message, extra), { status: ERROR_STATUS[code], headers });
}

/** The single place where thrown errors become responses: a bad request is never a 500. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof HttpError)
    return c.json(errorBody(err.code, err.message, err.extra), err.status, err.headers);
  if (err instanceof z.ZodError) return c.json(zodErrorBody(err), ERROR_STATUS.invalid_input);
  console.error("unhandled error", err);
  return c.json(errorBody("internal", "internal error"), ERROR_STATUS.internal);
}

export function zodErrorBody(err: z.ZodError): {
  error: { code: ErrorCode; message: string; field?: string };
} {
  const issue = err.issues[0];
  const field = issue?.path.map(String).join(".") || undefined;
  const message = issue ? (field ? `${field}: ${issue.message}` : issue.message) : "invalid input";
  return errorBody("invalid_input", message, field ? { field } : {});
}

/** Parses an untrusted value with a schema, turning failure into a 400 naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const body = zodErrorBody(result.error).error;
    throw new HttpError("invalid_input", body.message, body.field ? { field: body.field } : {});
  }
  return result.data;
}
