/**
 * Settings a model cannot take are refused wherever a session's settings are given, naming the field:
 * triggers and schedules when they are saved (`session.effort`, `session.thinking`), and a clone keeps the
 * effort of its source. A running session's model switched (PATCH {model}) is the model its list row, its
 * summary and the workspace feed show. GET /api/models shows each model's capabilities.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { catalogOf } from "../../worker/models/catalog";
import type { ModelView } from "@tandem/protocol/models";
import { effortOptions, settingsProblems } from "@tandem/protocol/model-settings";
import { liveModel } from "../fakes/catalog";
import type { SessionPage } from "../../worker/protocol/session";
import { connectFeed } from "./feed-client";
import { request, signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventsOf, waitForPhase } from "./session-helpers";

const catalog = catalogOf(env);
const always = liveModel((m) => m.thinking.mode === "always", catalog);
const noEffort = liveModel((m) => m.effort.levels.length === 0, catalog);
const withEffort = liveModel((m) => m.effort.levels.includes("low") && m.thinking.mode !== "always", catalog);

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string; field?: string } }).error;
}

describe("the settings check, as a pure function", () => {
  it("says why a model cannot take a setting, naming the field", () => {
    expect(settingsProblems(always, { thinking: false, effort: null, maxTokens: 4000 })).toEqual([
      { field: "thinking", message: `${always.label} always thinks: thinking cannot be turned off` },
    ]);
    expect(settingsProblems(noEffort, { thinking: false, effort: "low", maxTokens: 4000 })).toEqual([
      { field: "effort", message: `${noEffort.label} takes no effort setting` },
    ]);
    expect(settingsProblems(withEffort, { thinking: false, effort: "low", maxTokens: 4000 })).toEqual([]);
    // The web dialog lists every level with the reason it is disabled.
    const options = effortOptions(noEffort, false);
    expect(options.map((o) => o.level)).toEqual(["low", "medium", "high", "xhigh", "max"]);
    expect(options.every((o) => o.reason !== null)).toBe(true);
  });
});

describe("triggers, schedules and clones check a session's model settings", () => {
  it("refuses a trigger whose session turns off an always-thinking model: 400 naming session.thinking", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const res = await owner.api(`/api/workspaces/${ws}/triggers`, {
      body: { name: "t", session: { model: always.id, thinking: false }, promptTemplate: "Go" },
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "invalid_input", field: "session.thinking" });
    const listed = (await (await owner.api(`/api/workspaces/${ws}/triggers`)).json()) as {
      triggers: unknown[];
    };
    expect(listed.triggers).toEqual([]);
  });

  it("refuses a schedule, made or changed, whose session names an effort its model does not take: 400 naming session.effort", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const base = { name: "nightly", cron: "0 3 * * *", prompt: "Triage" };
    const refused = await owner.api(`/api/workspaces/${ws}/schedules`, {
      body: { ...base, session: { model: noEffort.id, effort: "high" } },
    });
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({ code: "invalid_input", field: "session.effort" });
    const made = await owner.api(`/api/workspaces/${ws}/schedules`, {
      body: { ...base, session: { model: withEffort.id, effort: "low" } },
    });
    expect(made.status).toBe(201);
    const { schedule } = (await made.json()) as { schedule: { id: string; session: { effort: string } } };
    expect(schedule.session.effort).toBe("low");
    const patched = await owner.api(`/api/workspaces/${ws}/schedules/${schedule.id}`, {
      method: "PATCH",
      body: { session: { model: noEffort.id, effort: "low" } },
    });
    expect(patched.status).toBe(400);
    expect(await errorOf(patched)).toMatchObject({ field: "session.effort" });
  });

  it("a clone keeps its source's effort and thinking", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const source = await createSession(owner, ws, {
      model: withEffort.id,
      effort: "low",
      thinking: true,
      maxTokens: 3000,
    });
    const res = await owner.api(`/api/workspaces/${ws}/sessions/${source.id}/clone`, { method: "POST" });
    expect(res.status).toBe(201);
    const { session } = (await res.json()) as { session: Record<string, unknown> };
    expect(session).toMatchObject({ model: withEffort.id, effort: "low", thinking: true, maxTokens: 3000 });
  });
});

describe("a model switched while the session runs", () => {
  it("is the model the list shows and the workspace feed sends, as the room runs it", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const session = await createSession(owner, ws, { model: withEffort.id });
    await waitForPhase(owner, ws, session.id, "Running");
    const other = liveModel((m) => m.id !== withEffort.id && m.thinking.mode !== "always", catalog);
    const watching = await connectFeed(ws, { cookie: owner.cookie });
    if (watching instanceof Response) throw new Error(`feed refused: ${watching.status}`);

    const patched = await owner.api(`/api/workspaces/${ws}/sessions/${session.id}`, {
      method: "PATCH",
      body: { model: other.id },
    });
    expect(patched.status).toBe(200);
    const sent = await watching.next(
      (e) => e.type === "session" && e.session.id === session.id && e.session.model === other.id,
    );
    expect(sent).toMatchObject({ session: { model: other.id } });
    // The feed hears the row after it is written: a list loaded now reads the same model from D1.
    const listed = (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as SessionPage;
    expect(listed.sessions.find((s) => s.id === session.id)?.model).toBe(other.id);
    const events = await eventsOf(owner, ws, session.id);
    expect(events.find((e) => e.type === "model_switched")).toMatchObject({
      actor: owner.user.name,
      reason: `${withEffort.id} → ${other.id}`,
    });
    watching.socket.close();
  });
});

describe("GET /api/models", () => {
  it("shows each model's capabilities: thinking mode, effort levels and default, limits and prices", async () => {
    const person = await signIn(uniqueName("reader"));
    const { models } = (await (await person.api("/api/models")).json()) as { models: ModelView[] };
    const shown = models.find((m) => m.id === always.id)!;
    expect(shown).toMatchObject({
      thinking: { mode: "always", accepts: always.thinking.accepts },
      effort: { levels: always.effort.levels, default: always.effort.default },
      maxOutputTokens: always.maxOutputTokens,
      pricing: always.pricing,
    });
    expect(models.find((m) => m.id === noEffort.id)?.effort).toEqual({ levels: [], default: null });
  });

  it("is in the OpenAPI document, with the create body's effort", async () => {
    const doc = (await (await request("/api/openapi.json")).json()) as {
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const { CreateSession, Model } = doc.components.schemas;
    expect(JSON.stringify(CreateSession.properties.effort)).toContain('"xhigh"');
    expect(Object.keys(Model.properties)).toEqual(
      expect.arrayContaining(["thinking", "effort", "sampling", "maxOutputTokens", "pricing"]),
    );
  });
});
