/**
 * The API answers as its published OpenAPI document (GET /api/openapi.json) says, on real answers: every
 * operation with a documented answer is called, and its status, content type and body (the component
 * schemas are made from worker/protocol's zod schemas and allow no field they do not name) are checked
 * against the document. Every response schema of the document is seen filled with data at least once (an
 * empty list proves nothing), and a route added without a call here fails the coverage check below.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../../worker/secrets/hmac";
import { answerSchema, componentsFilled, undocumented, type PublishedDocument } from "../harness/documented";
import { request, signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { eventually, transcriptOf, waitForAgentStatus, waitForPhase } from "./session-helpers";

/** Operations no test here can answer for real, and why. */
const NOT_CALLED: Record<string, string> = {
  "POST /api/workspaces/{ws}/sessions/{id}/export":
    "the upload goes to Google Drive, which no test reaches (its refusal is the attack suite's)",
};

let doc: PublishedDocument;
const called = new Set<string>();
const filled = new Set<string>();

/** Calls `method template` (its {params} filled in) and checks the answer against the document; returns its JSON. */
async function call<T = Record<string, unknown>>(
  who: Client | null,
  method: string,
  template: string,
  params: Record<string, string>,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(params[name] ?? `{${name}}`),
  );
  // A query (…?format=pdf) is the same operation of the document.
  template = template.split("?")[0];
  const init = { method, body, headers };
  const res = who ? await who.api(path, init) : await request(path, init);
  const text = await res.text();
  const answer = { status: res.status, contentType: res.headers.get("content-type") ?? "", text };
  expect(res.status, `${method} ${path}: ${text.slice(0, 500)}`).toBeLessThan(300);
  expect(undocumented(doc, method, template, answer), `${method} ${path}: ${text.slice(0, 500)}`).toEqual([]);
  called.add(`${method} ${template}`);
  const schema = answerSchema(doc, method, template, res.status);
  const json: unknown = schema ? JSON.parse(text) : null;
  if (schema) componentsFilled(doc, schema, json, filled);
  return json as T;
}

beforeAll(async () => {
  doc = (await (await request("/api/openapi.json")).json()) as PublishedDocument;
  called.add("GET /api/openapi.json");
});

describe("every answer of the API, as its document publishes it", () => {
  it("people, tokens, workspaces, members, models and usage", async () => {
    const owner = await signIn(uniqueName("Contract owner"));
    const editor = await signIn(uniqueName("Contract editor"));
    const target = await signIn(uniqueName("Contract member"));
    await call(null, "POST", "/api/auth/dev", {}, { name: owner.user.name });
    await call(owner, "GET", "/api/me", {});
    const token = await call<{ id: string }>(owner, "POST", "/api/tokens", {}, { name: "contract" });
    await call(owner, "GET", "/api/tokens", {});
    await call(owner, "DELETE", "/api/tokens/{id}", { id: token.id });
    const { workspace } = await call<{ workspace: { id: string } }>(
      owner,
      "POST",
      "/api/workspaces",
      {},
      { name: "Contract" },
    );
    const ws = workspace.id;
    await call(owner, "GET", "/api/workspaces", {});
    await call(owner, "GET", "/api/workspaces/{ws}", { ws });
    await call(owner, "PATCH", "/api/workspaces/{ws}", { ws }, { idleStopMinutes: 30, monthlyBudgetUsd: 50 });
    await call(
      owner,
      "POST",
      "/api/workspaces/{ws}/members",
      { ws },
      { user: editor.user.email, role: "editor" },
    );
    await call(
      owner,
      "POST",
      "/api/workspaces/{ws}/members",
      { ws },
      { user: target.user.email, role: "viewer" },
    );
    await call(
      owner,
      "POST",
      "/api/workspaces/{ws}/members",
      { ws },
      { user: "not-yet@example.com", role: "viewer" },
    );
    // Invited people become members when they come.
    await editor.api(`/api/workspaces/${ws}`);
    await target.api(`/api/workspaces/${ws}`);
    await call(owner, "GET", "/api/workspaces/{ws}/members", { ws });
    await call(owner, "DELETE", "/api/workspaces/{ws}/invitations/{email}", {
      ws,
      email: "not-yet@example.com",
    });
    await call(
      owner,
      "PATCH",
      "/api/workspaces/{ws}/members/{userId}",
      { ws, userId: target.user.id },
      { role: "editor" },
    );
    await call(owner, "DELETE", "/api/workspaces/{ws}/members/{userId}", { ws, userId: target.user.id });
    await call(owner, "GET", "/api/models", {});
    // A turn that reports usage, so the usage answer has a day and a model in it.
    const { session } = await call<{ session: { id: string } }>(
      editor,
      "POST",
      "/api/workspaces/{ws}/sessions",
      { ws },
      { prompt: "/usage 1000 200 30 40" },
    );
    await waitForPhase(owner, ws, session.id, "Running");
    await eventually(
      async () =>
        ((await (await owner.api(`/api/workspaces/${ws}/usage`)).json()) as { days: unknown[] }).days,
      (days) => days.length > 0,
    );
    await call(owner, "GET", "/api/workspaces/{ws}/usage", { ws });
    await call(owner, "POST", "/api/auth/signout", {});
  });

  it("a session: its views, transcript, events, artifacts, messages, ticket, exports, shares and lifecycle", async () => {
    const owner = await signIn(uniqueName("Contract sessions"));
    const ws = await workspaceWith(owner);
    const repos = [{ url: "https://github.com/acme/app.git", branch: "main" }];
    const { session } = await call<{ session: { id: string } }>(
      owner,
      "POST",
      "/api/workspaces/{ws}/sessions",
      { ws },
      { displayName: "Contract", repos, prompt: "/artifact notes/summary.md" },
    );
    const p = { ws, id: session.id };
    await waitForPhase(owner, ws, session.id, "Running");
    await eventually(
      async () =>
        (await (await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/artifacts`)).json()) as {
          artifacts: unknown[];
        },
      (a) => a.artifacts.length > 0,
    );
    await waitForAgentStatus(owner, ws, session.id, "idle");
    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/seen", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions", { ws });
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/transcript", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/events", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/artifacts", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/artifacts/{name}", {
      ...p,
      name: "notes/summary.md",
    });
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/ticket", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/export", p);
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/export?format=pdf", p);

    // The agent's changes and their push (the fake host's git, agent-git.ts).
    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/messages", p, {
      text: "/write repo-1/src/login.ts export const fixed = true;",
    });
    await waitForAgentStatus(owner, ws, session.id, "idle");
    const changes = await call<{ repos: unknown[] }>(
      owner,
      "GET",
      "/api/workspaces/{ws}/sessions/{id}/changes",
      p,
    );
    expect(changes.repos.length).toBeGreaterThan(0);
    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/push", p, {
      pullRequest: { title: "Fix login" },
    });

    // An approval the agent asks for, decided through its route.
    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/messages", p, { text: "/approval Bash" });
    const asked = await eventually(
      () => transcriptOf(owner, ws, session.id),
      (m) => m.some((x) => x.blocks.some((b) => b.type === "approval")),
    );
    const approvalId = asked.flatMap((m) => m.blocks).find((b) => b.type === "approval")!.id as string;
    await call(
      owner,
      "POST",
      "/api/workspaces/{ws}/sessions/{id}/approvals/{approvalId}",
      { ...p, approvalId },
      { decision: "allow" },
    );
    await waitForAgentStatus(owner, ws, session.id, "idle");

    const { share } = await call<{ share: { id: string; url: string } }>(
      owner,
      "POST",
      "/api/workspaces/{ws}/sessions/{id}/shares",
      p,
      {},
    );
    await call(owner, "GET", "/api/workspaces/{ws}/sessions/{id}/shares", p);
    const token = share.url.split("/share/")[1]!;
    await call(null, "GET", "/api/shares/{token}", { token });
    await call(null, "GET", "/api/shares/{token}/export", { token });
    await call(owner, "DELETE", "/api/workspaces/{ws}/sessions/{id}/shares/{shareId}", {
      ...p,
      shareId: share.id,
    });

    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/stop", p);
    await waitForPhase(owner, ws, session.id, "Stopped");
    await call(owner, "PATCH", "/api/workspaces/{ws}/sessions/{id}", p, { displayName: "Contract, edited" });
    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/resume", p);
    await waitForPhase(owner, ws, session.id, "Running");
    const { session: clone } = await call<{ session: { id: string } }>(
      owner,
      "POST",
      "/api/workspaces/{ws}/sessions/{id}/clone",
      p,
    );
    await call(owner, "DELETE", "/api/workspaces/{ws}/sessions/{id}", { ws, id: clone.id });

    // A session a trigger started and holds for approval.
    const held = await call<{ trigger: { id: string }; secret: string }>(
      owner,
      "POST",
      "/api/workspaces/{ws}/triggers",
      { ws },
      { name: "held", session: {}, promptTemplate: "do {{n}}", requireApproval: true },
    );
    const body = JSON.stringify({ n: 1 });
    const delivered = await call<{ sessionId: string }>(
      null,
      "POST",
      "/webhooks/{triggerId}",
      { triggerId: held.trigger.id },
      body,
      {
        "content-type": "application/json",
        "x-hub-signature-256": await signBody(held.secret, body),
      },
    );
    await call(owner, "POST", "/api/workspaces/{ws}/sessions/{id}/approve", { ws, id: delivered.sessionId });
  });

  it("secrets, triggers and their deliveries, the workspace callback, schedules and their runs, workflows", async () => {
    const owner = await signIn(uniqueName("Contract integrations"));
    const ws = await workspaceWith(owner);
    await call(
      owner,
      "PUT",
      "/api/workspaces/{ws}/secrets/{name}",
      { ws, name: "API_KEY" },
      { value: "a-long-enough-secret-value" },
    );
    await call(owner, "GET", "/api/workspaces/{ws}/secrets", { ws });
    await call(owner, "DELETE", "/api/workspaces/{ws}/secrets/{name}", { ws, name: "API_KEY" });

    const created = await call<{ trigger: { id: string }; secret: string }>(
      owner,
      "POST",
      "/api/workspaces/{ws}/triggers",
      { ws },
      { name: "triage", session: {}, promptTemplate: "Look at {{issue.title}}" },
    );
    const t = { ws, id: created.trigger.id };
    const body = JSON.stringify({ issue: { title: "Login fails" } });
    await call(null, "POST", "/webhooks/{triggerId}", { triggerId: t.id }, body, {
      "content-type": "application/json",
      "x-hub-signature-256": await signBody(created.secret, body),
    });
    await call(owner, "GET", "/api/workspaces/{ws}/triggers", { ws });
    await call(owner, "GET", "/api/workspaces/{ws}/triggers/{id}", t);
    const deliveries = await call<{ deliveries: unknown[] }>(
      owner,
      "GET",
      "/api/workspaces/{ws}/triggers/{id}/deliveries",
      t,
    );
    expect(deliveries.deliveries.length).toBeGreaterThan(0);
    await call(owner, "DELETE", "/api/workspaces/{ws}/triggers/{id}", t);

    await call(owner, "GET", "/api/workspaces/{ws}/callback", { ws });
    await call(
      owner,
      "PUT",
      "/api/workspaces/{ws}/callback",
      { ws },
      { url: "https://ops.example.com/hooks" },
    );
    await call(owner, "GET", "/api/workspaces/{ws}/callback", { ws });
    await call(owner, "DELETE", "/api/workspaces/{ws}/callback", { ws });

    const { schedule } = await call<{ schedule: { id: string } }>(
      owner,
      "POST",
      "/api/workspaces/{ws}/schedules",
      { ws },
      { name: "daily", cron: "0 9 * * *", timezone: "UTC", session: {}, prompt: "report" },
    );
    const s = { ws, id: schedule.id };
    await call(owner, "GET", "/api/workspaces/{ws}/schedules", { ws });
    await call(owner, "POST", "/api/workspaces/{ws}/schedules/{id}/run", s);
    await call(owner, "PATCH", "/api/workspaces/{ws}/schedules/{id}", s, { enabled: false });
    const detail = await call<{ runs: unknown[] }>(owner, "GET", "/api/workspaces/{ws}/schedules/{id}", s);
    expect(detail.runs.length).toBeGreaterThan(0);
    await call(owner, "DELETE", "/api/workspaces/{ws}/schedules/{id}", s);

    const workflow = {
      name: "release-notes",
      title: "Release notes",
      systemPrompt: "Write RELEASE.md.",
      firstMessage: "{{prompt}}",
    };
    await call(owner, "POST", "/api/workspaces/{ws}/workflows", { ws }, workflow);
    await call(owner, "GET", "/api/workspaces/{ws}/workflows", { ws });
    await call(owner, "GET", "/api/workspaces/{ws}/workflows/{name}", { ws, name: workflow.name });
    const { name: _name, ...change } = workflow;
    await call(
      owner,
      "PUT",
      "/api/workspaces/{ws}/workflows/{name}",
      { ws, name: workflow.name },
      { ...change, title: "Release notes, edited" },
    );
    await call(owner, "DELETE", "/api/workspaces/{ws}/workflows/{name}", { ws, name: workflow.name });
    await call(
      owner,
      "PUT",
      "/api/workspaces/{ws}/environment",
      { ws },
      { setupScript: "npm ci", env: { NODE_ENV: "test" } },
    );
    await call(owner, "GET", "/api/workspaces/{ws}/environment", { ws });

    await call(
      owner,
      "PUT",
      "/api/workspaces/{ws}/secrets/{name}",
      { ws, name: "MCP_TOKEN" },
      { value: "a-long-enough-mcp-token" },
    );
    const mcp = {
      name: "docs",
      url: "https://mcp.example.com/mcp",
      transport: "http",
      headers: { Authorization: "secret:MCP_TOKEN", "X-Team": "contract" },
    };
    await call(owner, "POST", "/api/workspaces/{ws}/mcp-servers", { ws }, mcp);
    await call(owner, "GET", "/api/workspaces/{ws}/mcp-servers", { ws });
    await call(
      owner,
      "PUT",
      "/api/workspaces/{ws}/mcp-servers/{name}",
      { ws, name: mcp.name },
      { url: "https://mcp.example.com/sse", transport: "sse" },
    );
    await call(owner, "DELETE", "/api/workspaces/{ws}/mcp-servers/{name}", { ws, name: mcp.name });
  });

  // Last, once every test above has run (a file's tests run in order): a failure above already says what broke.
  it("covers every operation of the document, and sees every response schema filled with data", () => {
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const missing = operations.filter((op) => !called.has(op) && !(op in NOT_CALLED));
    const bodies = new Set(
      Object.values(doc.paths).flatMap((methods) =>
        Object.values(methods).map((op) => bodyName(op.requestBody)),
      ),
    );
    // Error is the attack suite's (thousands of refusals); DriveExport the Google Drive upload's, not called here.
    const answers = Object.keys(doc.components.schemas).filter(
      (name) => !bodies.has(name) && name !== "Error" && name !== "DriveExport",
    );
    expect(missing, "operations of the document no test here calls").toEqual([]);
    expect(
      answers.filter((name) => !filled.has(name)),
      "response schemas never seen filled with data",
    ).toEqual([]);
  });
});

/** The component a request body refers to (`#/components/schemas/<name>`). */
function bodyName(requestBody: unknown): string | undefined {
  const ref = (requestBody as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)
    ?.content?.["application/json"]?.schema?.$ref;
  return ref?.split("/").pop();
}
