import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadWorkspaceSecrets, redactSecrets, REDACTED } from "../../worker/secrets";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  eventually,
  fakeAgent,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";

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

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; field?: string } }).error;

afterEach(() => vi.restoreAllMocks());

describe("workspace secrets", () => {
  it("stores values for owners and lists names, scopes and dates only", async () => {
    const { owner, ws } = await team();
    const value = `ghp_${crypto.randomUUID()}`;
    expect(
      (await owner.api(`/api/workspaces/${ws}/secrets/GITHUB_TOKEN`, { method: "PUT", body: { value } }))
        .status,
    ).toBe(204);
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/secrets/ANTHROPIC_API_KEY`, {
          method: "PUT",
          body: { value: "sk-ant-1234" },
        })
      ).status,
    ).toBe(204);

    const res = await owner.api(`/api/workspaces/${ws}/secrets`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(value);
    const { secrets } = JSON.parse(text) as { secrets: { name: string; updatedAt: number }[] };
    expect(secrets.map((s) => s.name)).toEqual(["ANTHROPIC_API_KEY", "GITHUB_TOKEN"]);
    for (const secret of secrets) expect(Object.keys(secret).sort()).toEqual(["name", "scope", "updatedAt"]);

    expect((await loadWorkspaceSecrets(env, ws)).byName).toEqual({
      ANTHROPIC_API_KEY: "sk-ant-1234",
      GITHUB_TOKEN: value,
    });
  });

  it("replaces a value on a second PUT and removes it on DELETE", async () => {
    const { owner, ws } = await team();
    const path = `/api/workspaces/${ws}/secrets/GITHUB_TOKEN`;
    await owner.api(path, { method: "PUT", body: { value: "first-value" } });
    await owner.api(path, { method: "PUT", body: { value: "second-value" } });
    expect((await loadWorkspaceSecrets(env, ws)).byName).toEqual({ GITHUB_TOKEN: "second-value" });
    expect((await owner.api(path, { method: "DELETE" })).status).toBe(204);
    expect((await loadWorkspaceSecrets(env, ws)).byName).toEqual({});
    // Both values taken out of use stay redacted (a saved workspace may hold them), and go nowhere else.
    expect((await loadWorkspaceSecrets(env, ws)).redact.sort()).toEqual(["first-value", "second-value"]);
    expect((await loadWorkspaceSecrets(env, ws)).forAgent).toEqual({});
    const again = await owner.api(path, { method: "DELETE" });
    expect(again.status).toBe(404);
  });

  it("keeps only ciphertext in D1, bound to its workspace and name", async () => {
    const { owner, ws } = await team();
    const value = `secret-${crypto.randomUUID()}`;
    await owner.api(`/api/workspaces/${ws}/secrets/API_KEY`, { method: "PUT", body: { value } });
    await owner.api(`/api/workspaces/${ws}/secrets/OTHER_KEY`, { method: "PUT", body: { value } });
    const { results } = await env.DB.prepare("SELECT * FROM secrets WHERE workspace_id = ?")
      .bind(ws)
      .all<Record<string, string>>();
    expect(results).toHaveLength(2);
    expect(JSON.stringify(results)).not.toContain(value);
    expect(results[0].iv).not.toBe(results[1].iv);

    // A ciphertext copied under another name does not open.
    await env.DB.prepare(
      "UPDATE secrets SET ciphertext = ?, iv = ? WHERE workspace_id = ? AND name = 'OTHER_KEY'",
    )
      .bind(
        results.find((r) => r.name === "API_KEY")!.ciphertext,
        results.find((r) => r.name === "API_KEY")!.iv,
        ws,
      )
      .run();
    await expect(loadWorkspaceSecrets(env, ws)).rejects.toThrow();
  });

  it("is owner-only: editors and viewers get 403, non-members 404", async () => {
    const { editor, viewer, stranger, ws } = await team();
    for (const client of [editor, viewer]) {
      expect((await client.api(`/api/workspaces/${ws}/secrets`)).status).toBe(403);
      expect(
        (await client.api(`/api/workspaces/${ws}/secrets/X_KEY`, { method: "PUT", body: { value: "v" } }))
          .status,
      ).toBe(403);
      expect((await client.api(`/api/workspaces/${ws}/secrets/X_KEY`, { method: "DELETE" })).status).toBe(
        403,
      );
    }
    expect((await stranger.api(`/api/workspaces/${ws}/secrets`)).status).toBe(404);
    expect((await loadWorkspaceSecrets(env, ws)).byName).toEqual({});
  });

  it("validates names and values with a 400 naming the field", async () => {
    const { owner, ws } = await team();
    const put = (name: string, body: unknown) =>
      owner.api(`/api/workspaces/${ws}/secrets/${name}`, { method: "PUT", body });
    const cases: [string, unknown, string, string?][] = [
      ["BAD-NAME", { value: "v" }, "invalid_input", "name"],
      ["1ABC", { value: "v" }, "invalid_input", "name"],
      ["GOOD", { value: "" }, "invalid_input", "value"],
      ["GOOD", { value: 42 }, "invalid_input", "value"],
      ["GOOD", { value: "x".repeat(64 * 1024 + 1) }, "invalid_input", "value"],
      ["GOOD", { value: "v", extra: true }, "invalid_input"],
      ["GOOD", "{not json", "invalid_json"],
    ];
    for (const [name, body, code, field] of cases) {
      const res = await put(name, body);
      expect(res.status, `${name} ${JSON.stringify(body).slice(0, 40)}`).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe(code);
      if (field) expect(error.field).toBe(field);
    }
    expect((await owner.api(`/api/workspaces/${ws}/secrets/GOOD`, { method: "PUT" })).status).toBe(400);
  });
});

describe("redactSecrets", () => {
  it("replaces every occurrence, longest value first, and ignores values too short to be credentials", () => {
    const text = "token=abcd1234 again abcd1234 and abcd1234-long; x=ab";
    expect(redactSecrets(text, ["abcd1234", "abcd1234-long", "ab"])).toBe(
      `token=${REDACTED} again ${REDACTED} and ${REDACTED}; x=ab`,
    );
    expect(redactSecrets("nothing here", [])).toBe("nothing here");
  });
});

describe("a secret never leaves the agent", () => {
  it("reaches the agent's start frame but no transcript, event, export, log line or API response", async () => {
    const { owner, viewer, ws } = await team();
    const value = `ghp_leak_${crypto.randomUUID()}`;
    const logged: unknown[][] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args));
    }
    await owner.api(`/api/workspaces/${ws}/secrets/GITHUB_TOKEN`, { method: "PUT", body: { value } });

    const session = await createSession(owner, ws, { prompt: "hello" });
    await waitForPhase(owner, ws, session.id, "Running");
    for (const text of ["/tool", "/env"]) {
      await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/messages`, { body: { text } });
      await waitForAgentStatus(owner, ws, session.id, "idle");
    }
    await eventually(
      () => transcriptOf(owner, ws, session.id),
      (messages) => messages.filter((m) => m.role === "assistant").length >= 3,
    );

    const base = `/api/workspaces/${ws}`;
    const paths = [
      `${base}/sessions/${session.id}`,
      `${base}/sessions`,
      `${base}/sessions/${session.id}/events`,
      `${base}/sessions/${session.id}/transcript`,
      `${base}/sessions/${session.id}/export?format=markdown`,
      `${base}/sessions/${session.id}/artifacts`,
      `${base}/secrets`,
      `${base}`,
      `/api/workspaces`,
    ];
    for (const client of [owner, viewer]) {
      for (const path of paths) {
        const res = await client.api(path);
        expect(await res.text(), path).not.toContain(value);
      }
    }
    const pdf = new Uint8Array(
      await (await viewer.api(`${base}/sessions/${session.id}/export?format=pdf`)).arrayBuffer(),
    );
    expect(new TextDecoder("latin1").decode(pdf)).not.toContain(value);
    const { extractText, getDocumentProxy } = await import("unpdf");
    const { text } = await extractText(await getDocumentProxy(pdf), { mergePages: true });
    expect(text).not.toContain(value);
    expect(JSON.stringify(logged)).not.toContain(value);

    // The fake agent printed its environment unredacted: the room redacted it on the way in.
    const sentByAgent = JSON.stringify((await fakeAgent(session.id)).sent);
    expect(sentByAgent).toContain(value);
    expect(JSON.stringify(await transcriptOf(owner, ws, session.id))).toContain(`GITHUB_TOKEN=${REDACTED}`);

    // Last, so that every check above has run whatever happens here.
    const start = (await fakeAgent(session.id)).received.find((frame) => frame.type === "start");
    expect(start?.secrets).toEqual({ GITHUB_TOKEN: value });
  });
});
