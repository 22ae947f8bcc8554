import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";

/** The one error type of the API: becomes `{error:{code,message,field?}}` with its status. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; phase?: string } = {},
    /** Response headers that go with it (`Retry-After` on a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = "not found") => new HttpError(404, "not_found", what);
export const forbidden = (message = "your role does not allow this") => new HttpError(403, "forbidden", message);

export function errorBody(code: string, message: string, extra: object = {}) {
  return { error: { code, message, ...extra } };
}

/** The single place where thrown errors become responses: a bad request is never a 500. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof HttpError) return c.json(errorBody(err.code, err.message, err.extra), err.status, err.headers);
  if (err instanceof z.ZodError) return c.json(zodErrorBody(err), 400);
  console.error("unhandled error", err);
  return c.json(errorBody("internal", "internal error"), 500);
}

export function zodErrorBody(err: z.ZodError): { error: { code: string; message: string; field?: string } } {
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
    throw new HttpError(400, "invalid_input", body.message, body.field ? { field: body.field } : {});
  }
  return result.data;
}
