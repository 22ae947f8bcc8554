import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { roomOf } from "../../worker/sessions/rooms";
import { insertSession } from "../../worker/db/sessions";
import { catalogOf } from "../../worker/models/catalog";
import {
  CATALOG,
  costUsd,
  dayOf,
  defaultModel,
  isRetired,
  liveSuccessor,
  modelViews,
  withOverride,
  type ModelView,
} from "@tandem/protocol/models";
import { request, signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventsOf, eventually, transcriptOf, waitForPhase } from "./session-helpers";

const at = (day: string) => Date.parse(`${day}T12:00:00Z`);
/** The model this project's MODEL_CATALOG retires early names as its successor. */
const OPUS_45_SUCCESSOR = CATALOG.find((m) => m.id === "claude-opus-4-5")!.successor!;

describe("the catalog, by date", () => {
  it("holds the seed's four models with a source for each fact, and only live successors", () => {
    const ids = CATALOG.map((m) => m.id);
    expect(ids.slice(0, 4)).toEqual([
      "claude-sonnet-4-5",
      "claude-opus-4-6",
      "claude-opus-4-5",
      "claude-haiku-4-5",
    ]);
    for (const model of CATALOG) {
      if (model.successor === null) continue;
      const successor = CATALOG.find((m) => m.id === model.successor)!;
      expect(successor.endOfLife === null || successor.endOfLife > model.endOfLife!).toBe(true);
    }
    // The SDK's deprecation table: Sonnet 4.5 on 2026-11-30, Opus 4.5 on 2027-01-22.
    expect(CATALOG.find((m) => m.id === "claude-sonnet-4-5")).toMatchObject({
      endOfLife: "2026-11-30",
      successor: "claude-sonnet-4-6",
    });
    expect(CATALOG.find((m) => m.id === "claude-opus-4-5")).toMatchObject({
      endOfLife: "2027-01-22",
      successor: "claude-opus-5-5",
    });
  });

  it("keeps a model through its last day and retires it the day after", () => {
    const sonnet = CATALOG[0];
    expect(isRetired(sonnet, at("2026-11-27"))).toBe(false);
    expect(isRetired(sonnet, Date.parse("2026-11-30T23:59:59Z"))).toBe(false);
    expect(isRetired(sonnet, Date.parse("2026-12-01T00:00:00Z"))).toBe(true);
  });

  it("moves the default to the retired first model's successor, never merely the next model of the list", () => {
    expect(defaultModel(CATALOG, at("2026-11-27")).id).toBe("claude-sonnet-4-5");
    expect(defaultModel(CATALOG, at("2026-12-01")).id).toBe("claude-sonnet-4-6");
    const views = modelViews(CATALOG, at("2026-12-01"));
    expect(views.filter((m) => m.default).map((m) => m.id)).toEqual(["claude-sonnet-4-6"]);
    expect(views.find((m) => m.id === "claude-sonnet-4-5")).toMatchObject({ retired: true, default: false });
  });

  it("names a live successor, following a chain past retired ones", () => {
    expect(liveSuccessor(CATALOG, "claude-sonnet-4-5", at("2026-12-01")).id).toBe("claude-sonnet-4-6");
    const chain = withOverride(CATALOG, {
      "claude-sonnet-4-6": { endOfLife: "2026-11-01", successor: "claude-opus-4-6" },
    });
    expect(liveSuccessor(chain, "claude-sonnet-4-5", at("2026-12-01")).id).toBe("claude-opus-4-6");
  });

  it("prices usage from the catalog", () => {
    const sonnet = CATALOG[0];
    const usage = {
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cacheReadTokens: 2_000_000,
      cacheWriteTokens: 400_000,
    };
    expect(costUsd(sonnet.pricing, usage)).toBeCloseTo(3 + 1.5 + 0.6 + 1.5, 10);
  });

  it("applies a deployment override and ignores a malformed one", () => {
    expect(
      catalogOf({ MODEL_CATALOG: '{"claude-haiku-4-5":{"pricing":{"inputPerMTok":2}}}' }).find(
        (m) => m.id === "claude-haiku-4-5",
      )?.pricing,
    ).toEqual({
      inputPerMTok: 2,
      outputPerMTok: 5,
      cacheReadPerMTok: 0.1,
      cacheWritePerMTok: 1.25,
    });
    expect(catalogOf({ MODEL_CATALOG: '{"claude-unknown":{"label":"x"}}' })).toBe(CATALOG);
    expect(catalogOf({ MODEL_CATALOG: "not json" })).toBe(CATALOG);
    expect(catalogOf({})).toBe(CATALOG);
  });
});

async function errorOf(res: Response) {
  return (
    (await res.json()) as { error: { code: string; message: string; field?: string; successor?: string } }
  ).error;
}

/** A session made before its model's end of life: written straight to the index and its room, as the API did then. */
async function sessionMadeEarlier(owner: Client, ws: string, model: "claude-opus-4-5"): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  const createdBy = { id: owner.user.id, name: owner.user.name };
  await insertSession(env.DB, {
    id,
    workspaceId: ws,
    name: "earlier",
    prompt: "",
    model,
    createdBy: owner.user.id,
    origin: { kind: "person" },
    createdAt: now,
    awaitingApproval: false,
  });
  const config = {
    model,
    temperature: 0.7,
    maxTokens: 4000,
    timeoutSeconds: 300,
    thinking: false,
    effort: null,
    interactive: true,
    permissionMode: "auto" as const,
  };
  const created = await (
    await roomOf(env, id)
  ).create({
    id,
    workspaceId: ws,
    displayName: "earlier",
    config,
    repos: [],
    workflow: null,
    origin: { kind: "person" },
    createdBy,
    createdAt: now,
    awaitingApproval: false,
  });
  expect(created.ok).toBe(true);
  return id;
}

describe("GET /api/models and refusals of a retired model", () => {
  // This project's MODEL_CATALOG (vitest.config.ts) retires Opus 4.5 on 2026-01-01.
  it("lists the catalog with the default and end-of-life dates, for anyone signed in", async () => {
    expect((await request("/api/models")).status).toBe(401);
    const person = await signIn(uniqueName("reader"));
    const res = await person.api("/api/models");
    expect(res.status).toBe(200);
    const { models } = (await res.json()) as { models: ModelView[] };
    expect(models.map((m) => m.id)).toEqual(CATALOG.map((m) => m.id));
    expect(models.filter((m) => m.default)).toHaveLength(1);
    expect(models.find((m) => m.default)?.id).toBe(defaultModel(catalogOf(env), Date.now()).id);
    expect(models.find((m) => m.id === "claude-opus-4-5")).toMatchObject({
      endOfLife: "2026-01-01",
      successor: OPUS_45_SUCCESSOR,
      retired: true,
      default: false,
    });
    expect(models.find((m) => m.id === "claude-haiku-4-5")).toMatchObject({
      endOfLife: null,
      contextWindow: 200_000,
      pricing: { inputPerMTok: 1, outputPerMTok: 5 },
    });
    expect(dayOf(Date.now()) >= "2026-01-02").toBe(true);
  });

  it("refuses create with a retired model: 400 model_retired naming the successor, nothing created", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const res = await owner.api(`/api/workspaces/${ws}/sessions`, { body: { model: "claude-opus-4-5" } });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toMatchObject({ code: "model_retired", field: "model", successor: OPUS_45_SUCCESSOR });
    expect(error.message).toContain(OPUS_45_SUCCESSOR);
    const list = (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as {
      sessions: unknown[];
    };
    expect(list.sessions).toHaveLength(0);
  });

  it("refuses clone and resume of a session whose model retired since, and lets its successor run", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const id = await sessionMadeEarlier(owner, ws, "claude-opus-4-5");
    const clone = await owner.api(`/api/workspaces/${ws}/sessions/${id}/clone`, { method: "POST" });
    expect(clone.status).toBe(400);
    expect(await errorOf(clone)).toMatchObject({ code: "model_retired", successor: OPUS_45_SUCCESSOR });
    const resume = await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" });
    expect(resume.status).toBe(400);
    expect(await errorOf(resume)).toMatchObject({ code: "model_retired", successor: OPUS_45_SUCCESSOR });
    const successor = await createSession(owner, ws, { model: OPUS_45_SUCCESSOR });
    expect(successor.model).toBe(OPUS_45_SUCCESSOR);
  });

  it("runs a trigger's retired model as its successor, with an event saying so (a person still gets model_retired)", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const made = await owner.api(`/api/workspaces/${ws}/triggers`, {
      body: { name: "old model", session: { model: "claude-opus-4-5" }, promptTemplate: "Go" },
    });
    expect(made.status).toBe(201);
    const { trigger, secret } = (await made.json()) as { trigger: { id: string }; secret: string };
    const payload = JSON.stringify({ action: "opened" });
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = Buffer.from(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload)),
    ).toString("hex");
    const res = await request(`/webhooks/${trigger.id}`, {
      body: payload,
      headers: {
        "x-hub-signature-256": `sha256=${mac}`,
        "x-github-event": "issues",
        "x-github-delivery": crypto.randomUUID(),
      },
    });
    expect(res.status).toBe(202);
    const { sessionId } = (await res.json()) as { sessionId: string };
    const session = (await (await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}`)).json()) as {
      session: { model: string };
    };
    expect(session.session.model).toBe(OPUS_45_SUCCESSOR);
    const events = await eventsOf(owner, ws, sessionId);
    expect(events.find((e) => e.type === "model_succeeded")?.reason).toContain(
      `claude-opus-4-5 reached its end of life on 2026-01-01: this trigger's session runs as its successor ${OPUS_45_SUCCESSOR}`,
    );
    const byPerson = await owner.api(`/api/workspaces/${ws}/sessions`, {
      body: { model: "claude-opus-4-5" },
    });
    expect(await errorOf(byPerson)).toMatchObject({ code: "model_retired", successor: OPUS_45_SUCCESSOR });
  });
});

describe("the agent's notice of a deprecated model", () => {
  it("becomes one event of the session, however often the agent says it", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const session = await createSession(owner, ws, {
      prompt: "/notice claude-x reaches its end of life on 2026-11-30",
    });
    await waitForPhase(owner, ws, session.id, "Running");
    await eventually(
      () => eventsOf(owner, ws, session.id),
      (events) => events.some((e) => e.type === "model_deprecated"),
    );
    const said = await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/messages`, {
      body: { text: "/notice again" },
    });
    expect(said.status).toBe(202);
    await eventually(
      () => transcriptOf(owner, ws, session.id),
      (messages) => messages.length >= 4,
    );
    const events = (await eventsOf(owner, ws, session.id)).filter((e) => e.type === "model_deprecated");
    expect(events).toEqual([
      expect.objectContaining({ reason: "claude-x reaches its end of life on 2026-11-30" }),
    ]);
  });
});
