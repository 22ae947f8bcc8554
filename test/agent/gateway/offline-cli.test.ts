/**
 * The offline model carries the real Claude Code CLI through whole turns, one per rule, with Claude Code's
 * own tools; one CLI serves the file. Usage is reported once per request, as the CLI itself counted it.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type GatewayRoute,
  type GatewayUsage,
  type ModelGateway,
  OFFLINE_LABEL,
  startModelGateway,
} from "../../../containers/agent/gateway";
import { liveModelThinking } from "../../fakes/catalog";
import { type Cli, assistantTexts, startCli, toolCalls, toolResults } from "./cli";

const model = liveModelThinking("budget");
let workspace: string;
let gateway: ModelGateway;
let route: GatewayRoute;
let cli: Cli;
const usage: GatewayUsage[] = [];

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "tandem-gateway-offline-"));
  await writeFile(path.join(workspace, "notes.txt"), "first line\nsecond line\n");
  gateway = await startModelGateway({ offlineTokenDelayMs: 0 });
  route = gateway.open({
    settings: { model: model.id, maxTokens: 4000, thinking: false },
    upstream: null,
    workspace,
    onUsage: (u) => usage.push(u),
  });
  cli = await startCli({ baseURL: route.baseURL, cwd: workspace, model: model.id });
}, 60_000);

afterAll(async () => {
  await cli?.close();
  await gateway?.close();
  await rm(workspace, { recursive: true, force: true });
});

beforeEach(() => {
  usage.length = 0;
});

const lastText = (turn: SDKMessage[]) => assistantTexts(turn).at(-1) ?? "";

describe("the offline model through the real Claude Code CLI", () => {
  it("answers plain words by quoting them and listing the workspace, labelled", async () => {
    const turn = await cli.turn("what can you do?");
    const text = lastText(turn);
    expect(text.startsWith(OFFLINE_LABEL)).toBe(true);
    expect(text).toContain("> what can you do?");
    expect(text).toContain("`notes.txt`");
    expect(toolCalls(turn)).toEqual([]);
  });

  it("/ls lists a folder with Bash, then shows the listing", async () => {
    const turn = await cli.turn("/ls");
    expect(toolCalls(turn).map((call) => call.name)).toEqual(["Bash"]);
    expect(lastText(turn)).toMatch(/finished:[\s\S]*notes\.txt/);
  });

  it("/read reads a file with Read (an absolute path in the workspace), then shows it", async () => {
    const turn = await cli.turn("/read notes.txt");
    expect(toolCalls(turn)).toEqual([
      { name: "Read", input: { file_path: path.join(workspace, "notes.txt") }, parent: null },
    ]);
    expect(lastText(turn)).toContain("second line");
  });

  it("/run runs a command with Bash, then shows its output", async () => {
    const turn = await cli.turn("/run echo offline-$((40 + 2))");
    expect(toolCalls(turn).map((call) => call.name)).toEqual(["Bash"]);
    expect(lastText(turn)).toContain("offline-42");
  });

  it("/steps runs each command with Bash in turn, saying nothing between the calls", async () => {
    const turn = await cli.turn("/steps echo one; echo two; echo three");
    expect(toolCalls(turn).map((call) => call.input)).toEqual(
      ["echo one", "echo two", "echo three"].map((command) => ({
        command,
        description: "Run one of the commands a person gave",
      })),
    );
    // Words before the first call and after the last; between them, the calls alone.
    expect(assistantTexts(turn)).toEqual([
      `${OFFLINE_LABEL} Running 3 commands, one after another.`,
      `${OFFLINE_LABEL} Done.`,
    ]);
  });

  it("/write creates a file with Write, and reads an existing one before writing over it", async () => {
    const created = await cli.turn("/write made.txt made by the offline model");
    expect(toolCalls(created).map((call) => call.name)).toEqual(["Write"]);
    expect(await readFile(path.join(workspace, "made.txt"), "utf8")).toBe("made by the offline model");
    const replaced = await cli.turn("/write made.txt replaced");
    expect(toolCalls(replaced).map((call) => call.name)).toEqual(["Read", "Write"]);
    expect(await readFile(path.join(workspace, "made.txt"), "utf8")).toBe("replaced");
  });

  it("/edit reads the file, then changes it with Edit", async () => {
    const turn = await cli.turn("/edit notes.txt second => 2nd");
    expect(toolCalls(turn).map((call) => call.name)).toEqual(["Read", "Edit"]);
    expect(await readFile(path.join(workspace, "notes.txt"), "utf8")).toBe("first line\n2nd line\n");
    expect(lastText(turn)).toContain("Editing `notes.txt` done");
  });

  it("/ask asks with AskUserQuestion and its options, then quotes the answer", async () => {
    const turn = await cli.turn("/ask Which colour? | Teal | Amber");
    const [asked] = toolCalls(turn);
    expect(asked.name).toBe("AskUserQuestion");
    expect(asked.input).toMatchObject({
      questions: [{ question: "Which colour?", options: [{ label: "Teal" }, { label: "Amber" }] }],
    });
    expect(lastText(turn)).toContain("You answered:\n\n> Teal");
  });

  // Claude Code answers a bare "/plan" itself ("/plan isn't available in this environment") and never asks the
  // model: "/plan" works with its author's name before it, as people's messages carry it; "/todo" works bare.
  it.each([
    "[ann] /plan read the code; fix the bug; run the tests",
    "/todo read the code; fix the bug; run the tests",
  ])("%s sets a plan with TodoWrite, the first step in progress", async (message) => {
    const turn = await cli.turn(message);
    const plan = toolCalls(turn).find((call) => call.name === "TodoWrite");
    expect(plan?.input).toEqual({
      todos: [
        { content: "read the code", status: "in_progress", activeForm: "Working on: read the code" },
        { content: "fix the bug", status: "pending", activeForm: "Working on: fix the bug" },
        { content: "run the tests", status: "pending", activeForm: "Working on: run the tests" },
      ],
    });
    expect(lastText(turn)).toContain("The plan is set.");
  });

  it("/task hands a prompt to a subagent (Agent), whose own requests the same rules answer", async () => {
    const turn = await cli.turn("/task /run echo from-the-subagent");
    const calls = toolCalls(turn);
    const agent = turn
      .flatMap((m) => (m.type === "assistant" ? m.message.content : []))
      .find((block) => block.type === "tool_use" && block.name === "Agent");
    expect(agent && agent.type === "tool_use" ? agent.input : null).toMatchObject({
      prompt: "/run echo from-the-subagent",
      run_in_background: false,
    });
    const inner = calls.find((call) => call.name === "Bash");
    expect(inner?.parent).toBe(agent && agent.type === "tool_use" ? agent.id : "no Agent call");
    expect(lastText(turn)).toMatch(/The subagent finished:[\s\S]*from-the-subagent/);
  });

  it("runs a command people send while a tool runs right after that tool, and quotes plain words", async () => {
    cli.push("/run sleep 1.5; echo first-done");
    await new Promise((resolve) => setTimeout(resolve, 700));
    cli.push("[ann] just saying hello");
    cli.push("[bob] /run echo second-done");
    const turn = await cli.nextResult();
    const commands = toolCalls(turn).map((call) => call.input);
    expect(commands).toEqual([
      expect.objectContaining({ command: "sleep 1.5; echo first-done" }),
      expect.objectContaining({ command: "echo second-done" }),
    ]);
    const texts = assistantTexts(turn).join("\n");
    expect(texts).toContain("> just saying hello");
    expect(texts).toContain("second-done");
  });

  it("reports each request's usage once, the same figures the CLI counted", async () => {
    const turn = await cli.turn("/run echo counted");
    const result = turn.find((m) => m.type === "result");
    const requests = new Set(turn.flatMap((m) => (m.type === "assistant" ? [m.message.id] : [])));
    expect(usage).toHaveLength(requests.size);
    expect(usage.every((u) => !u.failed && u.model === model.id)).toBe(true);
    expect(new Set(usage.map((u) => u.requestId)).size).toBe(usage.length);
    expect(result?.type === "result" ? result.usage.output_tokens : -1).toBe(
      usage.reduce((sum, u) => sum + u.outputTokens, 0),
    );
    expect(result?.type === "result" ? result.usage.input_tokens : -1).toBe(
      usage.reduce((sum, u) => sum + u.inputTokens, 0),
    );
  });

  it("thinks aloud when the session's settings turn thinking on, from the next request", async () => {
    route.update({ thinking: true });
    const thinking = await cli.turn("think about it");
    const blocks = thinking.flatMap((m) => (m.type === "assistant" ? m.message.content : []));
    expect(blocks.some((block) => block.type === "thinking")).toBe(true);
    route.update({ thinking: false });
    const plain = await cli.turn("no thinking now");
    expect(
      plain
        .flatMap((m) => (m.type === "assistant" ? m.message.content : []))
        .some((block) => block.type === "thinking"),
    ).toBe(false);
  });

  it("in plan mode writes the plan and asks for its approval (ExitPlanMode) before changing anything, then carries it out", async () => {
    await cli.setPermissionMode("plan");
    const turn = await cli.turn("/write planned.txt after approval");
    const names = toolCalls(turn).map((call) => call.name);
    expect(names.indexOf("ExitPlanMode")).toBeGreaterThan(names.indexOf("Write"));
    expect(names.at(-1)).toBe("Write");
    expect(await readFile(path.join(workspace, "planned.txt"), "utf8")).toBe("after approval");
    expect(lastText(turn)).toContain("Writing `planned.txt` done");
  });

  it("in plan mode stops where people refuse the plan, and changes nothing", async () => {
    await cli.setPermissionMode("plan");
    cli.refused.set("ExitPlanMode", "not this one");
    try {
      const turn = await cli.turn("/run touch refused.txt");
      expect(toolCalls(turn).map((call) => call.name)).not.toContain("Bash");
      expect(lastText(turn)).toMatch(/The plan was not approved:[\s\S]*not this one/);
      await expect(readFile(path.join(workspace, "refused.txt"))).rejects.toThrow();
    } finally {
      cli.refused.clear();
      await cli.setPermissionMode("default");
    }
  });

  it("shows what the tool gave, not the reminders Claude Code adds for the model", async () => {
    const turn = await cli.turn("/run echo plain-output");
    expect(toolResults(turn).join("\n")).toContain("plain-output");
    expect(lastText(turn)).not.toContain("system-reminder");
  });
});
