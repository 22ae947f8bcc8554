import { afterEach, describe, expect, it, vi } from "vitest";
import { NO_USAGE } from "@tandem/protocol/usage";
import { extractText, getDocumentProxy } from "unpdf";
import type { ExportInput } from "../../worker/export/document";
import { DRIVE_UPLOAD_URL } from "../../worker/export/gdrive";
import { sessionToMarkdown } from "../../worker/export/markdown";
import { sessionToPdf } from "../../worker/export/pdf";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventually, transcriptOf, waitForAgentStatus, waitForPhase } from "./session-helpers";

const T0 = Date.UTC(2026, 10, 26, 14, 0, 0);

function sample(overrides: Partial<ExportInput["session"]> = {}): ExportInput {
  return {
    session: {
      id: "s1",
      workspaceId: "w1",
      displayName: "Fix | login → ✓",
      model: "claude-sonnet-4-5",
      temperature: 0.7,
      maxTokens: 4000,
      timeoutSeconds: 300,
      thinking: false,
      effort: null,
      permissionMode: "auto",
      phase: "Completed",
      agentStatus: "idle",
      step: null,
      repos: [{ url: "https://github.com/acme/app.git", branch: "main" }],
      workflow: "bug-fix",
      origin: { kind: "trigger", triggerId: "t1", triggerName: "GitHub issues", deliveryId: "d-42" },
      createdBy: { id: "u1", name: "Zoë" },
      createdAt: T0,
      updatedAt: T0 + 60_000,
      activeSeconds: 42,
      runSeconds: 42,
      interactive: false,
      savedWorkspace: null,
      awaitingApproval: false,
      pullRequestUrl: null,
      usage: { ...NO_USAGE },
      ...overrides,
    },
    events: [
      { seq: 1, at: T0, type: "created", phase: "Pending", actor: "Zoë" },
      { seq: 2, at: T0 + 1000, type: "phase", phase: "Running", reason: "agent ready | offline" },
    ],
    messages: [
      {
        id: "m1",
        role: "user",
        author: "Zoë",
        createdAt: T0 + 2000,
        blocks: [{ type: "text", text: "Grüße — naïve café, 日本語, emoji 🎉, ő" }],
      },
      {
        id: "m2",
        role: "assistant",
        author: "agent",
        createdAt: T0 + 3000,
        blocks: [
          { type: "thinking", text: "Let me look\n\nat the files" },
          {
            type: "tool_use",
            id: "t1",
            name: "bash",
            input: { command: "ls" },
            status: "done",
            result: "README.md\n```inner```\n",
            isError: false,
            startedAt: T0 + 3000,
            endedAt: T0 + 3012,
          },
          {
            type: "tool_use",
            id: "t2",
            name: "read_file",
            input: { path: "missing" },
            status: "error",
            result: "ENOENT",
            isError: true,
            startedAt: T0 + 3100,
            endedAt: T0 + 3101,
          },
          { type: "text", text: "Done → see **README.md**." },
          { type: "question", id: "q1", text: "Which branch?" },
        ],
      },
      {
        id: "e1",
        role: "system",
        author: null,
        createdAt: T0 + 4000,
        blocks: [{ type: "error", text: "model overloaded" }],
      },
    ],
  };
}

describe("Markdown export", () => {
  it("renders settings, authors, thinking, tool calls with input and result, and events, byte for byte stable", () => {
    const markdown = sessionToMarkdown(sample());
    expect(markdown).toBe(sessionToMarkdown(sample()));
    expect(markdown.startsWith("# Fix | login → ✓\n")).toBe(true);
    expect(markdown).toContain("| Model | Claude Sonnet 4.5 (claude-sonnet-4-5) |");
    expect(markdown).toContain("| Repositories | https://github.com/acme/app.git (main) |");
    expect(markdown).toContain("| Effort | model default |");
    expect(markdown).toContain("| Temperature | 0.7 (no effect) |");
    expect(sessionToMarkdown(sample({ effort: "low" }))).toContain("| Effort | low |");
    expect(markdown).toContain('| Origin | webhook trigger "GitHub issues" (delivery d-42) |');
    expect(markdown).toContain("### Zoë · 2026-11-26T14:00:02Z\n\nGrüße — naïve café, 日本語, emoji 🎉, ő\n");
    expect(markdown).toContain("### Agent · 2026-11-26T14:00:03Z");
    expect(markdown).toContain("> **Thinking**\n>\n> Let me look\n>\n> at the files\n");
    expect(markdown).toContain(
      '**Tool `bash`** (done, 12 ms)\n\nInput:\n\n```json\n{\n  "command": "ls"\n}\n```',
    );
    // The result holds a triple backtick, so its fence is longer.
    expect(markdown).toContain("Result:\n\n````text\nREADME.md\n```inner```\n````");
    expect(markdown).toContain("**Tool `read_file`** (error, 1 ms)");
    expect(markdown).toContain("Error output:\n\n```text\nENOENT\n```");
    expect(markdown).toContain("**Question:** Which branch?");
    expect(markdown).toContain("### System · 2026-11-26T14:00:04Z\n\n**Error:** model overloaded");
    expect(markdown).toContain("| 2 | 2026-11-26T14:00:01Z | phase → Running |  | agent ready \\| offline |");
    expect(markdown.endsWith("\n")).toBe(true);
  });

  it("says when there is nothing to show", () => {
    const markdown = sessionToMarkdown({ ...sample(), events: [], messages: [] });
    expect(markdown).toContain("_No messages._");
    expect(markdown).toContain("_No events._");
  });
});

/** The PDF's text as pdf.js reads it: `lines` keeps line breaks, `text` has all whitespace collapsed. */
async function pdfText(bytes: Uint8Array): Promise<{ text: string; lines: string[]; pages: number }> {
  const doc = await getDocumentProxy(bytes.slice());
  const { text, totalPages } = await extractText(doc, { mergePages: true });
  return {
    text: text.replace(/\s+/g, " "),
    lines: text.split("\n").map((line) => line.trim()),
    pages: totalPages,
  };
}

describe("PDF export", () => {
  it("is a real PDF whose text reads back, with unicode transliterated to what the standard fonts encode", async () => {
    const bytes = await sessionToPdf(sample());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");
    const { text, lines, pages } = await pdfText(bytes);
    expect(pages).toBe(1);
    // Line breaks of thinking, tool input and tool output are kept.
    expect(lines).toEqual(
      expect.arrayContaining([
        "Let me look",
        "at the files",
        "{",
        '"command": "ls"',
        "}",
        "README.md",
        "```inner```",
      ]),
    );
    for (const expected of [
      "Fix | login -> [x]",
      "Claude Sonnet 4.5",
      "Zoë · 2026-11-26T14:00:02Z",
      "Grüße — naïve café, ???, emoji ?, o",
      "Thinking",
      "Let me look",
      "Tool bash (done, 12 ms)",
      '"command": "ls"',
      "README.md",
      "Error output",
      "ENOENT",
      "Done -> see **README.md**.",
      "Question: Which branch?",
      "Error: model overloaded",
      "phase -> Running",
      "1 / 1",
    ]) {
      expect(text).toContain(expected);
    }
  });

  it("wraps long lines and continues over pages, tool output included", async () => {
    const input = sample();
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
    const output = Array.from({ length: 200 }, (_, i) => `line ${i} ${"x".repeat(150)}`).join("\n");
    input.messages = [
      { id: "a", role: "user", author: "Zoë", createdAt: T0, blocks: [{ type: "text", text: long }] },
      {
        id: "b",
        role: "assistant",
        author: "agent",
        createdAt: T0,
        blocks: [
          {
            type: "tool_use",
            id: "t",
            name: "bash",
            input: "cat big.log",
            status: "done",
            result: output,
            startedAt: T0,
            endedAt: T0 + 5,
          },
        ],
      },
    ];
    const { text, pages } = await pdfText(await sessionToPdf(input));
    expect(pages).toBeGreaterThan(3);
    expect(text).toContain("word0");
    expect(text).toContain("word59");
    expect(text).toContain("line 0 ");
    expect(text).toContain("line 199 ");
    expect(text).toContain(`${pages} / ${pages}`);
  });
});

async function team() {
  const [owner, viewer, stranger] = await Promise.all(
    ["owner", "viewer", "stranger"].map((n) => signIn(uniqueName(n))),
  );
  const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
  return { owner, viewer, stranger, ws };
}

/** A session whose transcript holds a person's unicode message, the agent's echo and a tool call. */
async function sessionWithTool() {
  const t = await team();
  const session = await createSession(t.owner, t.ws, {
    prompt: "héllo → 世界",
  });
  await waitForPhase(t.owner, t.ws, session.id, "Running");
  await waitForAgentStatus(t.owner, t.ws, session.id, "idle");
  await t.owner.api(`/api/workspaces/${t.ws}/sessions/${session.id}/messages`, { body: { text: "/tool" } });
  await eventually(
    () => transcriptOf(t.owner, t.ws, session.id),
    (messages) => messages.some((m) => m.blocks.some((b) => b.type === "tool_use" && b.status === "done")),
  );
  return { ...t, session, base: `/api/workspaces/${t.ws}/sessions/${session.id}/export` };
}

const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;

describe("export routes", () => {
  afterEach(() => vi.restoreAllMocks());

  it("lets a viewer download Markdown and PDF", async () => {
    const { owner, viewer, session, base } = await sessionWithTool();
    const md = await viewer.api(`${base}?format=markdown`);
    expect(md.status).toBe(200);
    expect(md.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    // Named from its prompt, the file keeps the name's script (UTF-8), with an ASCII name for old clients.
    expect(session.displayName).toBe("héllo → 世界");
    const disposition = md.headers.get("content-disposition") ?? "";
    expect(disposition).toMatch(
      /^attachment; filename="hello \.md"; filename\*=UTF-8''[A-Za-z0-9%._~!$&+^`|-]+$/,
    );
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe("héllo → 世界.md");
    const markdown = await md.text();
    expect(markdown).toContain(`### ${owner.user.name} · `);
    expect(markdown).toContain("héllo → 世界");
    expect(markdown).toContain("echo: héllo → 世界");
    expect(markdown).toContain("**Tool `bash`** (done");
    expect(markdown).toContain("README.md");
    expect(markdown).toContain("phase → Running");

    const pdf = await viewer.api(`${base}?format=pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    const { text } = await pdfText(new Uint8Array(await pdf.arrayBuffer()));
    expect(text).toContain("echo: héllo -> ??");
    expect(text).toContain("Tool bash (done");
    expect(text).toContain("README.md");
  });

  it("defaults to Markdown and refuses unknown formats, strangers and unknown sessions", async () => {
    const { owner, stranger, ws } = await team();
    const session = await createSession(owner, ws);
    const base = `/api/workspaces/${ws}/sessions/${session.id}/export`;
    expect((await owner.api(base)).headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const bad = await owner.api(`${base}?format=docx`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).field).toBe("format");
    expect((await stranger.api(base)).status).toBe(404);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/nope/export`)).status).toBe(404);
  });
});

describe("export to Google Drive", () => {
  afterEach(() => vi.restoreAllMocks());

  /** Answers Google's upload URL with `reply`; everything else (the agent host) goes out as usual. */
  function mockDrive(reply: () => Response) {
    const original = globalThis.fetch;
    const calls: { url: string; method: string; headers: Headers; body: string }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.startsWith("https://www.googleapis.com/")) return original(input, init);
      // Read here: the body belongs to the Worker's request context.
      calls.push({
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: await request.text(),
      });
      return reply();
    });
    return calls;
  }

  it("uploads the Markdown as a Google Doc with the workspace's token and returns its link", async () => {
    const { owner, viewer, ws, base } = await sessionWithTool();
    await owner.api(`/api/workspaces/${ws}/secrets/GOOGLE_DRIVE_TOKEN`, {
      method: "PUT",
      body: { value: "ya29.drive-token" },
    });
    const calls = mockDrive(() =>
      Response.json({ id: "file-1", webViewLink: "https://docs.google.com/document/d/file-1/edit" }),
    );

    const res = await viewer.api(base, { body: { format: "gdrive" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      url: "https://docs.google.com/document/d/file-1/edit",
      fileId: "file-1",
    });

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.url).toBe(DRIVE_UPLOAD_URL);
    expect(call.url).toBe(
      "https://www.googleapis.com/upload/drive/v3/files?uploadType=multipart&fields=id,webViewLink",
    );
    expect(call.method).toBe("POST");
    expect(call.headers.get("authorization")).toBe("Bearer ya29.drive-token");
    const boundary = /^multipart\/related; boundary=(.+)$/.exec(call.headers.get("content-type") ?? "")?.[1];
    expect(boundary).toBeTruthy();
    const body = call.body;
    const parts = body.split(`--${boundary}`);
    expect(parts[0]).toBe("");
    expect(parts[3]).toBe("--\r\n");
    const [metaHead, meta] = parts[1].split("\r\n\r\n");
    expect(metaHead).toBe("\r\nContent-Type: application/json; charset=UTF-8");
    const markdown = await (await owner.api(`${base}?format=markdown`)).text();
    const session = (await (await owner.api(base.replace(/\/export$/, ""))).json()) as {
      session: { displayName: string };
    };
    expect(JSON.parse(meta)).toEqual({
      name: `${session.session.displayName} (Tandem transcript)`,
      mimeType: "application/vnd.google-apps.document",
    });
    // The session is Running: its active time is a clock, a second on between the two exports on a busy run.
    const activeTime = /^\| Active time \| \d+ s \|$/m;
    expect(parts[2]).toMatch(activeTime);
    const clockless = (text: string) => text.replace(activeTime, "| Active time | (running) |");
    expect(clockless(parts[2])).toBe(
      clockless(`\r\nContent-Type: text/markdown; charset=UTF-8\r\n\r\n${markdown}\r\n`),
    );
  });

  it("gives a clear 4xx when the token is missing or rejected, and 502 when Drive fails", async () => {
    const { owner, ws } = await team();
    const session = await createSession(owner, ws);
    const base = `/api/workspaces/${ws}/sessions/${session.id}/export`;

    const missing = await owner.api(base, { body: { format: "gdrive" } });
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).code).toBe("gdrive_not_configured");

    await owner.api(`/api/workspaces/${ws}/secrets/GOOGLE_DRIVE_TOKEN`, {
      method: "PUT",
      body: { value: "expired-token" },
    });
    mockDrive(() => Response.json({ error: { code: 401, message: "Invalid Credentials" } }, { status: 401 }));
    const rejected = await owner.api(base, { body: { format: "gdrive" } });
    expect(rejected.status).toBe(400);
    const error = await errorOf(rejected);
    expect(error.code).toBe("gdrive_token_rejected");
    expect(error.message).toContain("Invalid Credentials");
    expect(error.message).not.toContain("expired-token");

    vi.restoreAllMocks();
    mockDrive(() => new Response("oops", { status: 503 }));
    const failed = await owner.api(base, { body: { format: "gdrive" } });
    expect(failed.status).toBe(502);
    expect((await errorOf(failed)).code).toBe("gdrive_failed");
  });

  it("validates the body", async () => {
    const { owner, ws } = await team();
    const session = await createSession(owner, ws);
    const base = `/api/workspaces/${ws}/sessions/${session.id}/export`;
    for (const body of [{ format: "pdf" }, {}, "nope", { format: "gdrive", extra: 1 }]) {
      expect((await owner.api(base, { body })).status).toBe(400);
    }
  });
});
