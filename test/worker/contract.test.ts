/**
 * The API answers in the protocol's shapes (worker/protocol), exactly: every field the schema names, of
 * its type, and no field it does not name (zod drops unknown keys, so a parse that differs from the body
 * means the server sent something the web app and the OpenAPI document do not know of).
 */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  ArtifactSchema,
  MessageAcceptedSchema,
  RoomTicketSchema,
  SessionEventSchema,
  SessionPageSchema,
  SessionViewSchema,
} from "@tandem/protocol/session";
import { DeliverySchema, TriggerSchema, WorkspaceCallbackSchema } from "@tandem/protocol/triggers";
import { MemberSchema, SecretSchema, UserSchema, WorkspaceSchema } from "@tandem/protocol/workspace";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { waitForPhase } from "./session-helpers";

async function answer(client: Client, path: string, init: { method?: string; body?: unknown } = {}): Promise<Record<string, unknown>> {
  const res = await client.api(path, init);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

/** The value parses with `schema` and parsing keeps every field: nothing missing, mistyped or extra. */
function exactly<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.parse(value);
  expect(parsed).toEqual(value);
  return parsed;
}

describe("the API speaks worker/protocol", () => {
  it("users, workspaces and members", async () => {
    const owner = await signIn(uniqueName("Contract owner"));
    const editor = await signIn(uniqueName("Contract editor"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
    exactly(UserSchema, (await answer(owner, "/api/me")).user);
    for (const workspace of (await answer(owner, "/api/workspaces")).workspaces as unknown[]) exactly(WorkspaceSchema, workspace);
    exactly(WorkspaceSchema, (await answer(owner, `/api/workspaces/${ws}`, { method: "PATCH", body: { idleStopMinutes: 30 } })).workspace);
    const members = (await answer(owner, `/api/workspaces/${ws}/members`)).members as unknown[];
    expect(members).toHaveLength(2);
    for (const member of members) exactly(MemberSchema, member);
    exactly(MemberSchema, (await answer(owner, `/api/workspaces/${ws}/members/${editor.user.id}`, { method: "PATCH", body: { role: "viewer" } })).member);
  });

  it("a session, its list row, events, artifacts, messages and ticket", async () => {
    const owner = await signIn(uniqueName("Contract sessions"));
    const ws = await workspaceWith(owner);
    const created = exactly(SessionViewSchema, (await answer(owner, `/api/workspaces/${ws}/sessions`, { body: { repos: [{ url: "https://github.com/example/repo.git" }] } })).session);
    // createdBy is the Actor the code keeps: an object, never a bare id.
    expect(created.createdBy).toEqual({ id: owner.user.id, name: owner.user.name });
    await waitForPhase(owner, ws, created.id, "Running");
    exactly(SessionViewSchema, (await answer(owner, `/api/workspaces/${ws}/sessions/${created.id}`)).session);

    const page = exactly(SessionPageSchema, await answer(owner, `/api/workspaces/${ws}/sessions`));
    // The list row is the index's summary: no settings, repos or clock.
    expect(Object.keys(page.sessions[0]).sort()).toEqual(
      ["agentStatus", "awaitingApproval", "createdAt", "createdBy", "displayName", "id", "model", "origin", "phase", "pullRequestUrl", "updatedAt", "workspaceId"],
    );

    exactly(MessageAcceptedSchema, await answer(owner, `/api/workspaces/${ws}/sessions/${created.id}/messages`, { body: { text: "hello" } }));
    exactly(RoomTicketSchema, await answer(owner, `/api/workspaces/${ws}/sessions/${created.id}/ticket`));
    const events = (await answer(owner, `/api/workspaces/${ws}/sessions/${created.id}/events`)).events as unknown[];
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) exactly(SessionEventSchema, event);
    for (const artifact of (await answer(owner, `/api/workspaces/${ws}/sessions/${created.id}/artifacts`)).artifacts as unknown[]) {
      exactly(ArtifactSchema, artifact);
    }
    exactly(SessionViewSchema, (await answer(owner, `/api/workspaces/${ws}/sessions/${created.id}/stop`, { method: "POST" })).session);
  });

  it("secrets, triggers, deliveries and the workspace callback", async () => {
    const owner = await signIn(uniqueName("Contract integrations"));
    const ws = await workspaceWith(owner);
    expect((await owner.api(`/api/workspaces/${ws}/secrets/API_KEY`, { method: "PUT", body: { value: "a-long-enough-secret-value" } })).status).toBe(204);
    const secrets = (await answer(owner, `/api/workspaces/${ws}/secrets`)).secrets as unknown[];
    expect(secrets).toHaveLength(1);
    for (const secret of secrets) exactly(SecretSchema, secret);

    const body = { name: "triage", session: { model: "claude-haiku-4-5" }, promptTemplate: "Look at {{issue.title}}" };
    const trigger = exactly(TriggerSchema, (await answer(owner, `/api/workspaces/${ws}/triggers`, { body })).trigger);
    expect(trigger.createdBy).toEqual({ id: owner.user.id, name: owner.user.name });
    for (const listed of (await answer(owner, `/api/workspaces/${ws}/triggers`)).triggers as unknown[]) exactly(TriggerSchema, listed);
    for (const delivery of (await answer(owner, `/api/workspaces/${ws}/triggers/${trigger.id}/deliveries`)).deliveries as unknown[]) {
      exactly(DeliverySchema, delivery);
    }

    expect((await answer(owner, `/api/workspaces/${ws}/callback`)).callback).toBeNull();
    exactly(WorkspaceCallbackSchema, (await answer(owner, `/api/workspaces/${ws}/callback`, { method: "PUT", body: { url: "https://ops.example.com/hooks" } })).callback);
    exactly(WorkspaceCallbackSchema, (await answer(owner, `/api/workspaces/${ws}/callback`)).callback);
  });

  it("the OpenAPI document states Session as the protocol does", async () => {
    const owner = await signIn(uniqueName("Contract openapi"));
    const doc = (await answer(owner, "/api/openapi.json")) as { components: { schemas: Record<string, { properties: Record<string, { type?: unknown }>; required: string[] }> } };
    const { Session, SessionSummary } = doc.components.schemas;
    expect(Session.properties.createdBy.type).toBe("object");
    expect(Object.keys(Session.properties).sort()).toEqual(Object.keys(SessionViewSchema.shape).sort());
    expect(SessionSummary.properties.temperature).toBeUndefined();
  });
});
