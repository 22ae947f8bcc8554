/**
 * The lifecycle's clocks through the API, in real time (SPEC §3): idle stop after the workspace's
 * idleStopMinutes, a timeout that fails a run and a Resume that starts a new one, and a non-interactive
 * session that completes. The three run side by side (the first two take a minute each).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, textOf, toolResults, until } from "./api";
import { count, worst } from "./figures";
import { Stack } from "./stack";

let stack: Stack;
let api: Api;
beforeAll(async () => {
  stack = await Stack.start({ tokenDelayMs: 1 });
  api = await Api.signIn(() => stack.baseURL, "reliability");
});
afterAll(async () => {
  await stack?.close();
});

/** What Claude Code's Read shows of a file, without its line numbers (`1\tthe first line`). */
const fileContent = (result: string | undefined) => (result ?? "").replace(/^\s*\d+\t/gm, "");

describe.concurrent("the session's clocks", () => {
  it("stops a session idle for idleStopMinutes (1): Stopping → Stopped, reason idle; Resume continues it", async () => {
    const ws = await api.workspace({ idleStopMinutes: 1 });
    const session = await api.createSession(ws, { timeoutSeconds: 1800 });
    await session.waitForPhase("Running");
    await session.turn("/write notes.md written before the idle stop");
    const idleFrom = Date.now();
    const stopped = await session.waitForPhase("Stopped", 120_000);
    const waited = Date.now() - idleFrom;
    expect(waited).toBeGreaterThan(55_000);
    const phases = (await session.events()).filter((e) => e.type === "phase").slice(-2);
    expect(phases).toEqual([
      expect.objectContaining({ phase: "Stopping", reason: "idle" }),
      expect.objectContaining({ phase: "Stopped", reason: "idle" }),
    ]);
    expect(stopped.savedWorkspace).not.toBeNull();

    await session.op("resume");
    await session.waitForPhase("Running");
    expect(fileContent(toolResults(await session.turn("/read notes.md")).at(-1))).toBe(
      "written before the idle stop",
    );
    worst("idle stop: agent idle → Stopped (idleStopMinutes 1)", waited);
  });

  it("fails a run at its timeout (60 s), with its command stopped, and a Resume starts a new run", async () => {
    const ws = await api.workspace();
    const session = await api.createSession(ws, { timeoutSeconds: 60 });
    const created = Date.now();
    await session.waitForPhase("Running");
    // Busy until the timeout, which stops what runs (a command runs at most 30 s: three of them, the last cut).
    await session.turn("/run sleep 20", 40_000);
    await session.turn("/run sleep 20", 40_000);
    await session.say("/run sleep 29");
    const failed = await session.waitForPhase("Failed", 120_000);
    const ranFor = Date.now() - created;
    expect(ranFor).toBeGreaterThan(59_000);
    expect((await session.events()).filter((e) => e.type === "phase").at(-1)).toMatchObject({
      phase: "Failed",
      reason: "timeout",
    });
    expect(failed.runSeconds).toBeGreaterThanOrEqual(60);
    const tools = (await session.transcript()).flatMap((m) => m.blocks).filter((b) => b.type === "tool_use");
    expect(tools.map((b) => b.type === "tool_use" && b.status)).toEqual(["done", "done", "stopped"]);

    await session.op("resume");
    const resumed = await session.waitForPhase("Running");
    expect(resumed.runSeconds).toBeLessThan(10);
    expect(textOf((await session.turn("back again")).at(-1)!)).toContain("back again");
    worst("timeout 60 s: created → Failed", ranFor);
  });

  it("completes a non-interactive session when its turn ends with nothing queued", async () => {
    const ws = await api.workspace();
    const session = await api.createSession(ws, {
      interactive: false,
      prompt: "/write result.md the job is done",
    });
    const completed = await session.waitForPhase("Completed", 30_000);
    expect(completed.interactive).toBe(false);
    expect(completed.savedWorkspace).not.toBeNull();
    expect((await session.events()).filter((e) => e.type === "phase").map((e) => e.phase)).toEqual([
      "Creating",
      "Running",
      "Completed",
    ]);
    // Completed can be resumed, with its files; its next turn completes it again.
    await session.op("resume");
    await session.waitForPhase("Running");
    await session.say("/read result.md");
    await until(
      () => session.transcript(),
      (m) => toolResults(m).length === 2,
      "the second turn",
      30_000,
    );
    await session.waitForPhase("Completed", 30_000);
    expect(fileContent(toolResults(await session.transcript()).at(-1))).toBe("the job is done");
    count("sessions taken through idle stop, timeout and completion by the clock", 3);
  });
});
