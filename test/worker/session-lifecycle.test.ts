import { describe, expect, it } from "vitest";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  cutOffUpgrades,
  eventsOf,
  eventually,
  fakeAgent,
  getSession,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
  FAILED_WITHIN_MS,
  STOPPED_WITHIN_MS,
} from "./session-helpers";

async function setup() {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  return { owner, ws };
}

/** A session that ran and was stopped: its Resume opens a new connection to the agent. */
async function stoppedSession() {
  const { owner, ws } = await setup();
  const { id } = await createSession(owner, ws);
  await waitForPhase(owner, ws, id, "Running");
  await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
  await waitForPhase(owner, ws, id, "Stopped");
  return { owner, ws, id };
}

describe("session lifecycle with an agent", () => {
  it("goes Pending → Creating → Running and streams a reply into the transcript", async () => {
    const { owner, ws } = await setup();
    const created = await createSession(owner, ws, { prompt: "hello there" });
    expect(created.phase).toBe("Pending");
    await waitForPhase(owner, ws, created.id, "Running");
    const messages = await eventually(
      () => transcriptOf(owner, ws, created.id),
      (m) => textOf(m).includes("echo: hello there"),
    );
    expect(messages[0]).toMatchObject({ role: "user", author: owner.user.name });
    expect(messages[1]).toMatchObject({ role: "assistant" });
    await waitForAgentStatus(owner, ws, created.id, "idle");
    const after = await transcriptOf(owner, ws, created.id);
    expect(after[0].queued).toBe(false);

    const events = (await (
      await owner.api(`/api/workspaces/${ws}/sessions/${created.id}/events`)
    ).json()) as {
      events: { seq: number; type: string; phase?: string; reason?: string }[];
    };
    const phases = events.events.filter((e) => e.type === "phase").map((e) => e.phase);
    expect(phases).toEqual(["Creating", "Running"]);
    expect(events.events.map((e) => e.seq)).toEqual(
      [...events.events.map((e) => e.seq)].sort((a, b) => a - b),
    );
    expect(events.events.some((e) => e.type === "progress" && e.reason === "starting agent")).toBe(true);
  });

  it("gives a new agent each person's message once: a queued one comes as a message, never also in its history", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws, { prompt: "the first prompt" });
    await waitForPhase(owner, ws, id, "Running");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: the first prompt"),
    );
    const agent = await fakeAgent(id);
    const start = agent.received.find((f) => f.type === "start") as unknown as { history: unknown[] };
    expect(start.history).toEqual([]);
    expect(agent.received.filter((f) => f.type === "user_message").map((f) => f.text)).toEqual([
      "the first prompt",
    ]);
  });

  it("stop cancels the turn in flight, keeps what was streamed, and resumes with the history", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running");
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "/hold" } });
    await waitForAgentStatus(owner, ws, id, "working");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("holding"),
    );

    const stop = await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
    expect(stop.status).toBe(202);
    expect(((await stop.json()) as { session: { phase: string } }).session.phase).toBe("Stopping");
    // No release: the stop itself ends the turn.
    await waitForPhase(owner, ws, id, "Stopped", STOPPED_WITHIN_MS);
    expect(textOf(await transcriptOf(owner, ws, id))).toContain("holding");

    const again = await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "invalid_transition", phase: "Stopped" } });

    const resume = await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" });
    expect(resume.status).toBe(202);
    await waitForPhase(owner, ws, id, "Running");
    const agent = await fakeAgent(id);
    const start = agent.received.find((f) => f.type === "start") as unknown as {
      incarnation: string | null;
      history: { role: string; blocks: { text?: string }[] }[];
    };
    expect(start.incarnation).toBeNull();
    expect(start.history.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(start.history[0].blocks[0].text).toBe("/hold");
    expect(start.history[1].blocks[0].text).toBe("holding ");

    const phases = (
      (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
        events: { type: string; phase?: string; actor?: string }[];
      }
    ).events.filter((e) => e.type === "phase");
    expect(phases.map((e) => e.phase)).toEqual([
      "Creating",
      "Running",
      "Stopping",
      "Stopped",
      "Pending",
      "Creating",
      "Running",
    ]);
    expect(phases.find((e) => e.phase === "Stopping")?.actor).toBe(owner.user.name);
  });

  it("fails with the agent's message on a fatal error", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws, { prompt: "/fail the API key was rejected" });
    await waitForPhase(owner, ws, id, "Failed");
    const { events } = (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; phase?: string; reason?: string }[];
    };
    expect(events.at(-1)).toMatchObject({
      type: "phase",
      phase: "Failed",
      reason: "the API key was rejected",
    });
  });

  it("fails during Creating when a repository cannot be cloned", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws, { repos: [{ url: "https://example.com/missing.git" }] });
    await waitForPhase(owner, ws, id, "Failed");
    const { events } = (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; phase?: string; reason?: string }[];
    };
    expect(events.map((e) => e.phase).filter(Boolean)).toEqual(["Pending", "Creating", "Failed"]);
    expect(events.at(-1)?.reason).toContain("not found");
  });

  it("completes when the agent finishes on its own, and resumes from Completed", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws, { prompt: "/complete" });
    await waitForPhase(owner, ws, id, "Completed");
    const msg = await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "more" } });
    expect(msg.status).toBe(409);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Running");
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "more" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: more"),
    );
  });

  it("survives a dropped agent socket without losing a frame", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running");
    await fakeAgent(id, "drop");
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "after the blip" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: after the blip"),
    );
    expect((await getSession(owner, ws, id)).phase).toBe("Running");
    const agent = await fakeAgent(id);
    expect(agent.received.filter((f) => f.type === "start")).toHaveLength(2);
  });

  it("ends in Stopped, not Failed, when the agent is gone for good while the session stops", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running");
    await fakeAgent(id, "kill");
    const stop = await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
    expect(stop.status).toBe(202);
    await waitForPhase(owner, ws, id, "Stopped", 12_000);
    const { events } = (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; phase?: string }[];
    };
    expect(events.filter((e) => e.type === "phase").map((e) => e.phase)).toEqual([
      "Creating",
      "Running",
      "Stopping",
      "Stopped",
    ]);
    await fakeAgent(id, "restart");
  });

  it("fails within 5 s when the agent is gone for good", async () => {
    const { owner, ws } = await setup();
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running");
    const killedAt = Date.now();
    await fakeAgent(id, "kill");
    await waitForPhase(owner, ws, id, "Failed", FAILED_WITHIN_MS);
    expect(Date.now() - killedAt).toBeLessThan(FAILED_WITHIN_MS);
    // Failed is not the end: once an agent can be reached again, Resume starts a new run.
    await fakeAgent(id, "restart");
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Running");
  });

  it("reaches its agent when the first connections are cut off unanswered (a passing fault, not a lost agent)", async () => {
    const { owner, ws, id } = await stoppedSession();
    await cutOffUpgrades(id, 2);
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Running");
    expect((await fakeAgent(id)).unanswered, "both cut-off upgrades were tried").toBe(0);
    const events = await eventsOf(owner, ws, id);
    expect(events.filter((e) => e.type === "agent_lost")).toEqual([]);
    expect(events.filter((e) => e.type === "phase").map((e) => e.phase)).toEqual([
      "Creating",
      "Running",
      "Stopping",
      "Stopped",
      "Pending",
      "Creating",
      "Running",
    ]);
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "still here" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: still here"),
    );
  });

  it("fails within 5 s, saying the agent was unreachable, when no connection is ever answered", async () => {
    const { owner, ws, id } = await stoppedSession();
    await cutOffUpgrades(id, 1000);
    const resumedAt = Date.now();
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Failed", FAILED_WITHIN_MS);
    expect(Date.now() - resumedAt).toBeLessThan(FAILED_WITHIN_MS);
    const lost = (await eventsOf(owner, ws, id)).filter((e) => e.type === "agent_lost");
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toMatch(/^agent unreachable/);
    expect((await fakeAgent(id)).unanswered, "it tried more than once").toBeLessThan(999);
    await cutOffUpgrades(id, 0);
  });
});
