/**
 * Errors in the Messages API's own shape (`{type:"error", error:{type, message}}` with the API's status),
 * so Claude Code shows or retries what the gateway refuses exactly as it does the API's refusals.
 */
import type { ServerResponse } from "node:http";

/** The API's error type for each status it uses (platform.claude.com/docs/en/api/errors). */
const TYPE_OF_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

export function errorTypeOf(status: number): string {
  return TYPE_OF_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }

  get body(): { type: "error"; error: { type: string; message: string } } {
    return { type: "error", error: { type: this.type, message: this.message } };
  }
}

/** What a route token that is wrong, closed, or absent gets: nothing that tells it apart from a wrong path. */
export const notFound = () => new ApiError(404, "not_found_error", "Not found");

export function sendApiError(
  res: ServerResponse,
  error: ApiError,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.end();
  res.writeHead(error.status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(error.body));
}
