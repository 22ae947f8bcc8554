import { describe, expect, it } from "vitest";
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from "../../worker/http/errors";
import { request, signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, waitForPhase } from "./session-helpers";

/** Sends the request and checks the error's code, and that its status is the one the map gives that code. */
async function expectError(res: Promise<Response>, code: ErrorCode, extra: Record<string, unknown> = {}) {
  const answer = await res;
  const body = (await answer.json()) as { error: { code: string } };
  expect(body).toMatchObject({ error: { code, ...extra } });
  expect(answer.status).toBe(ERROR_STATUS[code]);
}

describe("error codes", () => {
  it("are a closed set of API codes, each with one 4xx or 5xx status", () => {
    for (const code of ERROR_CODES) expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
    expect(ERROR_STATUS).toMatchObject({
      not_found: 404,
      invalid_transition: 409,
      invalid_input: 400,
      unauthenticated: 401,
      forbidden: 403,
    });
  });

  it("go out through the real routes with the status of their code", async () => {
    const owner = await signIn(uniqueName("Errors owner"));
    const viewer = await signIn(uniqueName("Errors viewer"));
    const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
    const sessions = `/api/workspaces/${ws}/sessions`;
    await expectError(request("/api/me"), "unauthenticated");
    await expectError(owner.api("/api/no-such-route"), "not_found");
    await expectError(owner.api(`${sessions}/no-such-session`), "not_found");
    await expectError(owner.api(`${sessions}/no-such-session/export`), "not_found");
    await expectError(owner.api(`${sessions}/no-such-session/ticket`), "not_found");
    await expectError(owner.api(sessions, { body: { model: "no-such-model" } }), "invalid_input", {
      field: "model",
    });
    await expectError(owner.api(sessions, { body: "{not json" }), "invalid_json");
    await expectError(viewer.api(sessions, { body: {} }), "forbidden");

    const session = await createSession(owner, ws);
    await waitForPhase(owner, ws, session.id, "Running");
    // A refused phase change keeps its phase in the body, through the one room helper.
    await expectError(
      owner.api(`${sessions}/${session.id}/resume`, { method: "POST" }),
      "invalid_transition",
      { phase: "Running" },
    );
    await expectError(
      owner.api(`${sessions}/${session.id}/approve`, { method: "POST" }),
      "invalid_transition",
      { phase: "Running" },
    );
  });
});
