/**
 * The room's side of "nothing lost", against the scriptable fake agent: agent incarnations, the workspace
 * archive in R2 (saved, restored on resume, capped, deleted), and stop's deadline.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SAVE_PROGRESS_STEP } from "@tandem/protocol/agent";
import { ENDING_DEADLINE_MS, ENDING_MAX_MS } from "../../worker/session/clock";
import { TURN_LOST_TEXT } from "../../worker/session/transcript-doc";
import { workspaceArchiveKey } from "../../worker/session/workspace-archive";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  eventsOf,
  eventually,
  fakeAgent,
  getSession,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";

const roomStub = (id: string) => env.SessionRoom.get(env.SessionRoom.idFromName(id));

async function runningSession(body: Record<string, unknown> = {}) {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  const { id } = await createSession(owner, ws, body);
  await waitForPhase(owner, ws, id, "Running");
  await waitForAgentStatus(owner, ws, id, "idle");
  const say = (text: string) =>
    owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } });
  const post = (op: string) => owner.api(`/api/workspaces/${ws}/sessions/${id}/${op}`, { method: "POST" });
  return { owner, ws, id, say, post };
}

describe("agent incarnations", () => {
  it("takes a new incarnation's frames (numbered from 1 again), reports the lost turn, and goes on", async () => {
    const { owner, ws, id, say } = await runningSession();
    for (let i = 1; i <= 4; i++) await say(`before the restart, message ${i} of a few words`);
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: before the restart, message 4"),
    );

    await say("/hold");
    await waitForAgentStatus(owner, ws, id, "working");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("holding"),
    );
    const old = await eventually(
      () => fakeAgent(id),
      (a) => a.acked === a.sent.at(-1)?.seq,
    );
    // The host restarts: the session it ran is gone, and a message waits unread.
    await fakeAgent(id, "restart");
    await say("sent while it was down");

    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: sent while it was down"),
    );
    const events = await eventsOf(owner, ws, id);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["agent_restarted", "turn_lost"]));
    const messages = await transcriptOf(owner, ws, id);
    expect(messages.find((m) => m.role === "system")?.blocks[0]).toMatchObject({
      type: "error",
      text: TURN_LOST_TEXT,
    });
    // The new incarnation numbered its frames from 1, far below what the room had applied: none was dropped.
    const fresh = await fakeAgent(id);
    expect(fresh.incarnation).not.toBe(old.incarnation);
    expect(fresh.sent[0].seq).toBe(1);
    expect(fresh.sent.at(-1)!.seq).toBeLessThan(old.acked);
    const start = fresh.received.find((f) => f.type === "start")!;
    expect(start).toMatchObject({ incarnation: old.incarnation });
    // What the old agent had consumed is in the history; what it had not is sent again.
    // (sent on connect and again on ready: the agent takes each seq once)
    expect(new Set(fresh.received.filter((f) => f.type === "user_message").map((f) => f.text))).toEqual(
      new Set(["sent while it was down"]),
    );
    expect((await getSession(owner, ws, id)).phase).toBe("Running");
    await waitForAgentStatus(owner, ws, id, "idle");
  });
});

describe("the workspace archive", () => {
  it("is stored in R2 after a turn that changed files, restored on resume instead of a clone, and deleted with the session", async () => {
    const { owner, ws, id, say, post } = await runningSession({
      repos: [{ url: "https://example.com/app.git" }],
    });
    // The clone was saved before Running.
    const cloned = await eventually(
      () => getSession(owner, ws, id),
      (s) => s.savedWorkspace !== null,
    );
    await say("/write notes.md uncommitted work");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("wrote notes.md"),
    );
    const saved = await eventually(
      () => getSession(owner, ws, id),
      (s) =>
        (s.savedWorkspace as { savedAt: number } | null)!.savedAt >
        (cloned.savedWorkspace as { savedAt: number }).savedAt,
    );
    const stored = await env.ARTIFACTS.get(workspaceArchiveKey(id));
    expect(stored?.size).toBe((saved.savedWorkspace as { size: number }).size);
    expect(JSON.parse(await stored!.text())).toEqual({
      "repo-1/README.md": "cloned from https://example.com/app.git",
      "notes.md": "uncommitted work",
    });

    expect((await post("stop")).status).toBe(202);
    await waitForPhase(owner, ws, id, "Stopped");
    expect((await post("resume")).status).toBe(202);
    await waitForPhase(owner, ws, id, "Running");
    const agent = await fakeAgent(id);
    expect(agent.received.find((f) => f.type === "start")).toMatchObject({
      incarnation: null,
      restore: true,
    });
    expect(agent.sent.map((f) => f.type)).not.toContain("workspace_archive");
    expect(agent.files).toEqual({
      "repo-1/README.md": "cloned from https://example.com/app.git",
      "notes.md": "uncommitted work",
    });
    const progress = (await eventsOf(owner, ws, id))
      .filter((e) => e.type === "progress")
      .map((e) => e.reason);
    expect(progress.filter((p) => p?.startsWith("cloning"))).toHaveLength(1);

    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}`, { method: "DELETE" })).status).toBe(204);
    expect(await env.ARTIFACTS.head(workspaceArchiveKey(id))).toBeNull();
  });

  it("fails a resume whose saved workspace is gone from storage, and the next resume clones afresh", async () => {
    const { owner, ws, id, post } = await runningSession({ repos: [{ url: "https://example.com/app.git" }] });
    await eventually(
      () => getSession(owner, ws, id),
      (s) => s.savedWorkspace !== null,
    );
    await post("stop");
    await waitForPhase(owner, ws, id, "Stopped");
    await env.ARTIFACTS.delete(workspaceArchiveKey(id));
    await post("resume");
    const failed = await waitForPhase(owner, ws, id, "Failed");
    expect(failed.savedWorkspace).toBeNull();
    expect(
      (await eventsOf(owner, ws, id)).find((e) => e.type === "workspace_restore_failed")?.reason,
    ).toContain("missing from storage");
    await post("resume");
    await waitForPhase(owner, ws, id, "Running");
    expect((await fakeAgent(id)).received.find((f) => f.type === "start")).toMatchObject({ restore: false });
  });

  it("reports an archive over the 1 GiB cap as an event and keeps the last one", async () => {
    const { owner, ws, id, say } = await runningSession();
    await say("/huge");
    const events = await eventually(
      () => eventsOf(owner, ws, id),
      (e) => e.some((x) => x.type === "workspace_not_saved"),
    );
    expect(events.find((e) => e.type === "workspace_not_saved")?.reason).toMatch(
      /2 GiB, over the 1 GiB cap: not saved/,
    );
    expect((await getSession(owner, ws, id)).savedWorkspace).toBeNull();
    expect(await env.ARTIFACTS.head(workspaceArchiveKey(id))).toBeNull();
  });
});

describe("ending a run", () => {
  it("a stop the agent never answers ends Stopped at the deadline, with an event saying so", async () => {
    const { owner, ws, id, post } = await runningSession();
    await fakeAgent(id, "deaf");
    await post("stop");
    expect((await getSession(owner, ws, id)).phase).toBe("Stopping");
    await runInDurableObject(roomStub(id), (_room, state) => {
      const row = state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one();
      const record = JSON.parse(String(row.value));
      record.ending.deadline = Date.now() - 1;
      state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
    });
    await runInDurableObject(roomStub(id), (_room, state) => state.abort("restart")).catch(() => undefined);
    expect(await runDurableObjectAlarm(roomStub(id))).toBe(true);
    const stopped = await waitForPhase(owner, ws, id, "Stopped");
    expect(stopped.agentStatus).toBe("idle");
    const events = await eventsOf(owner, ws, id);
    expect(events.some((e) => e.type === "agent_unresponsive")).toBe(true);
  });

  it("waits past the deadline for an agent that is still saving its workspace, and keeps what it saved", async () => {
    const { owner, ws, id, say, post } = await runningSession();
    // The turn's work, then an archive as slow as a large workspace's (tar of node_modules and a build).
    await say("/slow-save report.md the turn's work");
    await eventually(
      () => fakeAgent(id),
      (agent) => agent.sent.some((f) => f.type === "progress" && f.step === SAVE_PROGRESS_STEP),
    );
    await post("stop");
    // As if the stop came 11.5 s ago, past the 10 s an agent that does not answer gets, and this agent last
    // said it was saving 2 s ago (its deadline 8 s away): the room starts again from that record.
    const rewritten = await rewriteEnding(id, (ending) => ({
      ...ending,
      since: Date.now() - (ENDING_DEADLINE_MS + 1500),
      deadline: Date.now() + 8000,
    }));
    await runInDurableObject(roomStub(id), (_room, state) => state.abort("restart")).catch(() => undefined);
    // It goes on saying it saves: each time its deadline moves 10 s on, so the alarm does not end it.
    await eventually(
      () => rewriteEnding(id, (ending) => ending),
      (ending) => (ending?.deadline ?? 0) > rewritten.deadline,
      10_000,
    );
    await runDurableObjectAlarm(roomStub(id));
    expect((await getSession(owner, ws, id)).phase).toBe("Stopping");
    await fakeAgent(id, "release");
    const stopped = await waitForPhase(owner, ws, id, "Stopped");
    expect(stopped.savedWorkspace).not.toBeNull();
    const events = await eventsOf(owner, ws, id);
    expect(events.map((e) => e.type)).not.toContain("agent_unresponsive");
    // Saying it saves is not news: no event for each time it said so.
    expect(events.filter((e) => e.type === "progress" && /sav/.test(e.reason ?? ""))).toEqual([]);
    const saved = await env.ARTIFACTS.get(workspaceArchiveKey(id));
    expect(await saved?.text()).toContain("the turn's work");
  });

  it("lets an agent that keeps saying it saves go at the longest a save may take", async () => {
    const { owner, ws, id, say, post } = await runningSession();
    await say("/slow-save report.md never finished");
    await eventually(
      () => fakeAgent(id),
      (agent) => agent.sent.some((f) => f.type === "progress" && f.step === SAVE_PROGRESS_STEP),
    );
    await post("stop");
    // The ending began longer ago than any save may take: the next alarm lets it go.
    await runInDurableObject(roomStub(id), (_room, state) => {
      const row = state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one();
      const record = JSON.parse(String(row.value));
      record.ending.since = Date.now() - ENDING_MAX_MS - 1;
      record.ending.deadline = Date.now() - 1;
      state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
    });
    await runInDurableObject(roomStub(id), (_room, state) => state.abort("restart")).catch(() => undefined);
    await runDurableObjectAlarm(roomStub(id));
    await waitForPhase(owner, ws, id, "Stopped");
    expect((await eventsOf(owner, ws, id)).map((e) => e.type)).toContain("agent_unresponsive");
    await fakeAgent(id, "release");
  });

  it("a non-interactive session completes when its turn ends with nothing queued", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { interactive: false, prompt: "do the job" });
    await waitForPhase(owner, ws, id, "Completed");
    expect((await eventsOf(owner, ws, id)).filter((e) => e.type === "phase").map((e) => e.phase)).toEqual([
      "Creating",
      "Running",
      "Completed",
    ]);
    const session = await getSession(owner, ws, id);
    expect(session.interactive).toBe(false);
    expect(textOf(await transcriptOf(owner, ws, id))).toContain("echo: do the job");
  });
});

/** Reads the stored record's ending and writes back what `change` makes of it (the room reads it at its next start). */
async function rewriteEnding(
  id: string,
  change: (ending: { since: number; deadline: number }) => { since: number; deadline: number },
) {
  return runInDurableObject(roomStub(id), (_room, state) => {
    const record = JSON.parse(
      String(state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one().value),
    );
    record.ending = change(record.ending);
    state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
    return record.ending as { since: number; deadline: number };
  });
}
