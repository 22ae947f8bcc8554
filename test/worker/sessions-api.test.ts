import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request, signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventually, getSession, waitForPhase } from "./session-helpers";
import { catalogOf } from "../../worker/models/catalog";
import { defaultModel } from "@tandem/protocol/models";
import { liveModel, liveModels } from "../fakes/catalog";

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

// Models chosen by capability from this deployment's catalog (vitest.config.ts overrides it).
const catalog = catalogOf(env);
const always = liveModel((m) => m.thinking.mode === "always", catalog);
const noEffort = liveModel((m) => m.effort.levels.length === 0, catalog);
const noXhigh = liveModel((m) => m.effort.levels.length > 0 && !m.effort.levels.includes("xhigh"), catalog);
const offCapped = liveModel(
  (m) => m.thinking.offMaxEffort === "high" && m.effort.levels.includes("max"),
  catalog,
);

describe("creating a session", () => {
  it("applies the defaults of SPEC §2 and a readable name", async () => {
    const { owner, ws } = await team();
    const session = await createSession(owner, ws);
    expect(session).toMatchObject({
      // The default is date-driven (the first live model of the catalog): test/worker/models.test.ts.
      model: defaultModel(catalogOf(env), Date.now()).id,
      temperature: 0.7,
      maxTokens: 4000,
      timeoutSeconds: 300,
      thinking: false,
      interactive: true,
      phase: "Pending",
      repos: [],
      workflow: null,
      origin: { kind: "person" },
      createdBy: { id: owner.user.id, name: owner.user.name },
      activeSeconds: 0,
    });
    expect(session.displayName).toMatch(/^[a-z]+-[a-z]+-\d{1,2}$/);
  });

  const accepted: [string, Record<string, unknown>][] = [
    ["temperature 0", { temperature: 0 }],
    ["temperature 2", { temperature: 2 }],
    ["max tokens 100", { maxTokens: 100 }],
    ["max tokens 8000", { maxTokens: 8000 }],
    ["timeout 60", { timeoutSeconds: 60 }],
    ["timeout 1800", { timeoutSeconds: 1800 }],
    ["thinking with 1025 max tokens", { thinking: true, maxTokens: 1025 }],
    ...liveModels(catalog).map((m): [string, Record<string, unknown>] => [
      `${m.id}, thinking as it takes it`,
      { model: m.id, thinking: m.thinking.mode === "always" },
    ]),
    ["an always-thinking model's lowest effort", { model: always.id, effort: always.effort.levels[0] }],
    ["effort null: the model's default", { model: noXhigh.id, effort: null }],
    ["a model's highest effort with thinking on", { model: offCapped.id, thinking: true, effort: "max" }],
    ["a non-interactive session", { interactive: false }],
    ["a trimmed name", { displayName: "  Fix login  " }],
    [
      "a repo and a workflow",
      { repos: [{ url: "https://github.com/acme/app.git", branch: "main" }], workflow: "bug-fix" },
    ],
  ];
  for (const [label, body] of accepted) {
    it(`accepts ${label}`, async () => {
      const { owner, ws } = await team();
      const session = await createSession(owner, ws, body);
      for (const [key, value] of Object.entries(body)) {
        expect(session[key]).toEqual(typeof value === "string" ? value.trim() : value);
      }
    });
  }

  const rejected: [string, unknown, string | undefined][] = [
    ["temperature 2.01", { temperature: 2.01 }, "temperature"],
    ["temperature below 0", { temperature: -0.1 }, "temperature"],
    ["max tokens 99", { maxTokens: 99 }, "maxTokens"],
    ["max tokens 8001", { maxTokens: 8001 }, "maxTokens"],
    ["fractional max tokens", { maxTokens: 1000.5 }, "maxTokens"],
    ["timeout 59", { timeoutSeconds: 59 }, "timeoutSeconds"],
    ["timeout 1801", { timeoutSeconds: 1801 }, "timeoutSeconds"],
    ["an unknown model", { model: "gpt-4" }, "model"],
    ["a string temperature", { temperature: "hot" }, "temperature"],
    ["a string interactive", { interactive: "no" }, "interactive"],
    ["thinking with 1024 max tokens", { thinking: true, maxTokens: 1024 }, "thinking"],
    ["an always-thinking model with 1024 max tokens", { model: always.id, maxTokens: 1024 }, "thinking"],
    ["thinking off on an always-thinking model", { model: always.id, thinking: false }, "thinking"],
    ["an effort on a model that takes none", { model: noEffort.id, effort: "low" }, "effort"],
    ["an effort level the model does not take", { model: noXhigh.id, effort: "xhigh" }, "effort"],
    [
      "an effort above the model's limit with thinking off",
      { model: offCapped.id, thinking: false, effort: "max" },
      "effort",
    ],
    ["an unknown effort", { effort: "extreme" }, "effort"],
    ["an empty name", { displayName: "   " }, "displayName"],
    ["a 101-character name", { displayName: "x".repeat(101) }, "displayName"],
    ["an unknown workflow", { workflow: "world-domination" }, "workflow"],
    ["a repo without a URL", { repos: [{ branch: "main" }] }, "repos.0.url"],
    [
      "a repo URL with a token in it",
      { repos: [{ url: "https://x-access-token:ghp_secret@github.com/acme/app" }] },
      "repos.0.url",
    ],
    [
      "a repo URL with a token as its user",
      { repos: [{ url: "https://ghp_secret@github.com/acme/app" }] },
      "repos.0.url",
    ],
    ["an unknown field", { max_tokens: 100 }, undefined],
    ["an array body", [], undefined],
  ];
  for (const [label, body, field] of rejected) {
    it(`rejects ${label} with 400${field ? ` naming ${field}` : ""} and creates nothing`, async () => {
      const { owner, ws } = await team();
      const res = await owner.api(`/api/workspaces/${ws}/sessions`, { body });
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("invalid_input");
      if (field) expect(error.field).toBe(field);
      const list = (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as {
        sessions: unknown[];
      };
      expect(list.sessions).toHaveLength(0);
    });
  }

  it("rejects a missing body and malformed JSON with 400", async () => {
    const { owner, ws } = await team();
    const missing = await owner.api(`/api/workspaces/${ws}/sessions`, { method: "POST" });
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).code).toBe("missing_body");
    const malformed = await owner.api(`/api/workspaces/${ws}/sessions`, { body: "{not json" });
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe("invalid_json");
  });
});

describe("roles on session routes", () => {
  it("lets owners and editors operate, viewers only read, strangers see nothing", async () => {
    const { owner, editor, viewer, stranger, ws } = await team();
    const session = await createSession(editor, ws);
    const base = `/api/workspaces/${ws}/sessions`;
    const reads = [
      `${base}`,
      `${base}/${session.id}`,
      `${base}/${session.id}/events`,
      `${base}/${session.id}/transcript`,
      `${base}/${session.id}/artifacts`,
    ];
    const writes: [string, string, unknown?][] = [
      ["POST", base, {}],
      ["PATCH", `${base}/${session.id}`, { displayName: "renamed" }],
      ["POST", `${base}/${session.id}/messages`, { text: "hi" }],
      ["POST", `${base}/${session.id}/stop`],
      ["POST", `${base}/${session.id}/resume`],
      ["POST", `${base}/${session.id}/clone`],
      ["DELETE", `${base}/${session.id}`],
    ];
    for (const path of reads) {
      for (const client of [owner, editor, viewer]) expect((await client.api(path)).status, path).toBe(200);
      expect((await stranger.api(path)).status, path).toBe(404);
    }
    for (const [method, path, body] of writes) {
      expect((await viewer.api(path, { method, body })).status, `${method} ${path}`).toBe(403);
      expect((await stranger.api(path, { method, body })).status, `${method} ${path}`).toBe(404);
    }
    expect((await getSession(owner, ws, session.id)).displayName).toBe(session.displayName);
    const renamed = await editor.api(`${base}/${session.id}`, {
      method: "PATCH",
      body: { displayName: "renamed" },
    });
    expect(renamed.status).toBe(200);
    expect((await getSession(viewer, ws, session.id)).displayName).toBe("renamed");
  });

  it("answers 404 for a session of another workspace under this one", async () => {
    const { owner, ws } = await team();
    const other = await workspaceWith(owner);
    const session = await createSession(owner, other);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${session.id}`)).status).toBe(404);
  });

  it("needs a signed-in user", async () => {
    const { ws } = await team();
    expect((await request(`/api/workspaces/${ws}/sessions`)).status).toBe(401);
  });
});

describe("listing sessions", () => {
  it("lists newest first with cursor pagination and a phase filter", async () => {
    const { owner, ws } = await team();
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await createSession(owner, ws, { displayName: `s${i}` }));
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await owner.api(
        `/api/workspaces/${ws}/sessions?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      const body = (await res.json()) as { sessions: { displayName: string }[]; nextCursor: string | null };
      pages.push(body.sessions.map((s) => s.displayName));
      cursor = body.nextCursor;
    } while (cursor);
    expect(pages).toEqual([["s4", "s3"], ["s2", "s1"], ["s0"]]);

    await waitForPhase(owner, ws, created[0].id, "Running");
    await owner.api(`/api/workspaces/${ws}/sessions/${created[0].id}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, created[0].id, "Stopped");
    const stopped = (await (await owner.api(`/api/workspaces/${ws}/sessions?phase=Stopped`)).json()) as {
      sessions: { id: string; phase: string }[];
    };
    expect(stopped.sessions).toEqual([expect.objectContaining({ id: created[0].id, phase: "Stopped" })]);

    expect((await owner.api(`/api/workspaces/${ws}/sessions?phase=Sleeping`)).status).toBe(400);
    expect((await owner.api(`/api/workspaces/${ws}/sessions?cursor=garbage`)).status).toBe(400);
    expect((await owner.api(`/api/workspaces/${ws}/sessions?limit=0`)).status).toBe(400);
  });
});

describe("clone and delete", () => {
  it("clones configuration and repositories but not the chat", async () => {
    const { owner, ws } = await team();
    const source = await createSession(owner, ws, {
      model: "claude-haiku-4-5",
      temperature: 0.2,
      maxTokens: 2000,
      timeoutSeconds: 600,
      thinking: true,
      repos: [{ url: "https://github.com/acme/app.git", branch: "dev" }],
      workflow: "triage",
      prompt: "look at issue 7",
    });
    const res = await owner.api(`/api/workspaces/${ws}/sessions/${source.id}/clone`, { method: "POST" });
    expect(res.status).toBe(201);
    const { session: clone } = (await res.json()) as { session: Record<string, unknown> };
    for (const key of [
      "model",
      "temperature",
      "maxTokens",
      "timeoutSeconds",
      "thinking",
      "repos",
      "workflow",
    ]) {
      expect(clone[key], key).toEqual(source[key]);
    }
    expect(clone.id).not.toBe(source.id);
    expect(clone.displayName).toBe(`${source.displayName} (copy)`);
    const transcript = (await (
      await owner.api(`/api/workspaces/${ws}/sessions/${clone.id}/transcript`)
    ).json()) as { messages: unknown[] };
    expect(transcript.messages).toEqual([]);
  });

  it("deletes the index row, the room's storage and its alarm", async () => {
    const { owner, ws } = await team();
    const { id } = await createSession(owner, ws, { prompt: "/artifact notes/summary.md" });
    await waitForPhase(owner, ws, id, "Running");
    await eventually(
      async () => (await env.ARTIFACTS.list({ prefix: `sessions/${id}/` })).objects.length,
      (n) => n === 1,
    );
    const res = await owner.api(`/api/workspaces/${ws}/sessions/${id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}`)).status).toBe(404);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/transcript`)).status).toBe(404);
    expect(await env.DB.prepare(`SELECT id FROM sessions WHERE id = ?`).bind(id).first()).toBeNull();
    const { runInDurableObject } = await import("cloudflare:test");
    const stub = env.SessionRoom.get(env.SessionRoom.idFromName(id));
    const left = await runInDurableObject(stub, async (_instance, state) => ({
      tables: state.storage.sql
        .exec(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf%' ESCAPE '\\' AND name != 'sqlite_sequence'`,
        )
        .toArray(),
      alarm: await state.storage.getAlarm(),
      keys: (await state.storage.list()).size,
    }));
    expect(left).toEqual({ tables: [], alarm: null, keys: 0 });
    expect((await env.ARTIFACTS.list({ prefix: `sessions/${id}/` })).objects).toEqual([]);
  });

  it("leaves nothing of the session behind when an artifact is still being copied as it is deleted", async () => {
    const { owner, ws } = await team();
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running");
    // About 40 MiB streamed without a length: the copy (multipart, part by part) is still under way when Delete comes.
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "/artifact chunked-40000000.bin" },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}`, { method: "DELETE" })).status).toBe(204);
    // Long enough for the copy to have finished had it gone on (on main it lands within about 4 s here).
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect((await env.ARTIFACTS.list({ prefix: `sessions/${id}/` })).objects.map((o) => o.key)).toEqual([]);
  });
});
