/**
 * How the attack suite sends requests and keeps its figures: every response is counted by status,
 * checked for a 5xx and, when it is an error, for the `{error:{code,message}}` JSON shape; the figures go
 * to the suite's tally after each file.
 */
import { env, SELF } from "cloudflare:test";
import { afterAll } from "vitest";
import { ERROR_STATUS, type ErrorCode } from "../../worker/http/errors";
import { emptyFigures, type Figures } from "./figures";

export const figures: Figures = emptyFigures();

export interface Observed {
  status: number;
  text: string;
  /**
   * Set for error responses: whether the body is `{error:{code,message,field?}}` JSON whose code is one of
   * the API's error codes, sent with that code's status.
   */
  errorShaped: boolean | null;
  headers: Headers;
}

/** Reads and counts one response. */
export async function observe(res: Response): Promise<Observed> {
  const text = res.webSocket ? "" : await res.text();
  figures.requests++;
  figures.statuses[res.status] = (figures.statuses[res.status] ?? 0) + 1;
  if (res.status >= 500) figures.serverErrors++;
  let errorShaped: boolean | null = null;
  if (res.status >= 400) {
    errorShaped =
      isErrorBody(text, res.status) && (res.headers.get("content-type") ?? "").startsWith("application/json");
    if (!errorShaped) figures.badErrorShapes++;
  }
  return { status: res.status, text, errorShaped, headers: res.headers };
}

function isErrorBody(text: string, status: number): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = body.error?.code;
    return (
      typeof code === "string" &&
      Object.hasOwn(ERROR_STATUS, code) &&
      ERROR_STATUS[code as ErrorCode] === status &&
      typeof body.error?.message === "string"
    );
  } catch {
    return false;
  }
}

/** Sends a request to the Worker (as configured: AUTH_MODE=dev) and counts its response. */
export async function send(path: string, init: RequestInit = {}): Promise<Observed> {
  return observe(await SELF.fetch(`http://localhost:8787${path}`, init));
}

/** Counts the leaks in a body: any of the other workspace's markers it contains. */
export function countLeaks(text: string, markers: string[]): number {
  const found = markers.filter((marker) => text.includes(marker)).length;
  figures.leaks += found;
  return found;
}

/** Posts this file's figures to the suite's tally once its tests have run. */
export function reportFigures(): void {
  afterAll(async () => {
    if (!env.TEST_TALLY_URL) return;
    await fetch(env.TEST_TALLY_URL, { method: "POST", body: JSON.stringify(figures) });
  });
}
