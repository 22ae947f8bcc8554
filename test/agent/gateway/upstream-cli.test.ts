/**
 * The real Claude Code CLI through the gateway to the strict fake Messages API (which refuses what the real
 * API refuses and accepts only the real key): the session's settings on every request, usage exactly as the
 * API sent it, the API's refusals back to the CLI, and no real key anywhere the agent can see.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type GatewayError,
  type GatewayRoute,
  type GatewayUsage,
  type ModelGateway,
  startModelGateway,
} from "../../../containers/agent/gateway";
import {
  type FakeAnthropic,
  type FakeResponse,
  type RecordedRequest,
  SDK_API_VERSION,
  fake,
  startFakeAnthropic,
} from "../../fakes/anthropic";
import { liveModel, liveModelThinking } from "../../fakes/catalog";
import { type Cli, assistantTexts, startCli, toolResults } from "./cli";

const REAL_KEY = `sk-ant-api03-real-${randomBytes(12).toString("hex")}`;
const session = liveModelThinking("budget");
const told = liveModel((entry) => entry.id !== session.id);
const withEffort = liveModel((entry) => entry.thinking.mode === "adaptive" && entry.effort.levels.length > 0);

let workspace: string;
let api: FakeAnthropic;
let gateway: ModelGateway;
let route: GatewayRoute;
let cli: Cli;
const usage: GatewayUsage[] = [];
const errors: GatewayError[] = [];
const logs: string[] = [];
/** What the fake answers next; each test sets it. */
let respond: (request: RecordedRequest) => FakeResponse = () => fake.message(fake.text("unscripted"));

beforeAll(async () => {
  workspace = await mkdtemp(path.join(os.tmpdir(), "tandem-gateway-upstream-"));
  api = await startFakeAnthropic({ apiKeys: [REAL_KEY] });
  for (let i = 0; i < 500; i++) api.enqueue((request) => respond(request));
  gateway = await startModelGateway({ log: (line) => logs.push(line) });
  route = gateway.open({
    settings: { model: session.id, maxTokens: 2000, thinking: true },
    upstream: { apiKey: REAL_KEY, baseURL: api.url },
    workspace,
    onUsage: (u) => usage.push(u),
    onError: (e) => errors.push(e),
    log: (line) => logs.push(line),
  });
  // Told another model, and its own thinking off (then it sends `temperature: 1`, which the API refuses): the
  // gateway makes every request the session's. One retry, so the overloaded case takes a second, not
  // Claude Code's ten (about three minutes).
  cli = await startCli({
    baseURL: route.baseURL,
    cwd: workspace,
    model: told.id,
    thinking: { type: "disabled" },
    env: { CLAUDE_CODE_MAX_RETRIES: "1" },
  });
}, 60_000);

afterAll(async () => {
  await cli?.close();
  await gateway?.close();
  await api?.close();
  await rm(workspace, { recursive: true, force: true });
});

beforeEach(() => {
  usage.length = 0;
  errors.length = 0;
  api.requests.length = 0;
});

const resultOf = (turn: SDKMessage[]) => {
  const result = turn.find((m) => m.type === "result");
  if (result?.type !== "result") throw new Error("the turn has no result");
  return result;
};

describe("the real Claude Code CLI through the gateway to the Messages API", () => {
  it("runs a Bash turn; printenv in the agent's shell shows the dummy key, never the real one", async () => {
    const answers = [
      fake.message(
        fake.toolUse("toolu_printenv", "Bash", { command: "printenv", description: "Show the environment" }),
      ),
      fake.message(fake.text("The environment is shown.")),
    ];
    respond = () => answers.shift() ?? fake.message(fake.text("extra"));
    const turn = await cli.turn("show me the environment");
    const printed = toolResults(turn).join("\n");
    expect(printed).toContain(`ANTHROPIC_API_KEY=${cli.dummyKey}`);
    expect(printed).toContain(`ANTHROPIC_BASE_URL=${route.baseURL}`);
    expect(printed).not.toContain(REAL_KEY);
    expect(assistantTexts(turn).at(-1)).toBe("The environment is shown.");
    expect(api.refusals).toEqual([]);
    expect(JSON.stringify(turn)).not.toContain(REAL_KEY);
    expect(logs.join("\n")).not.toContain(REAL_KEY);
  });

  it("applies the session's settings to every request: model forced, max_tokens capped, thinking as the model takes it, no sampling", async () => {
    respond = () => fake.message(fake.text("ok"));
    await cli.turn("hello");
    expect(api.requests.length).toBeGreaterThan(0);
    for (const { body, headers, path: calledPath } of api.requests) {
      expect(body.model).toBe(session.id);
      expect(body.max_tokens).toBe(2000);
      expect(body.thinking).toEqual({ type: "enabled", budget_tokens: 1500 });
      expect(body).not.toHaveProperty("temperature");
      expect(body).not.toHaveProperty("top_p");
      expect(body).not.toHaveProperty("top_k");
      expect(calledPath).toBe("/v1/messages?beta=true");
      // The real key, the way the installed SDK sends it, and its API version; the CLI's betas passed on.
      expect([headers["x-api-key"], headers.authorization]).toContain(
        headers["x-api-key"] ? REAL_KEY : `Bearer ${REAL_KEY}`,
      );
      expect(JSON.stringify(headers)).not.toContain(cli.dummyKey);
      expect(headers["anthropic-version"]).toBe(SDK_API_VERSION);
      expect(headers["anthropic-beta"]).toContain("claude-code-20250219");
    }
    expect(api.refusals).toEqual([]);
  });

  it("switches model, thinking and effort live, from the next request", async () => {
    const effort = withEffort.effort.levels[0];
    route.update({ model: withEffort.id, effort, thinking: true });
    respond = () => fake.message(fake.text("switched"));
    try {
      await cli.turn("after the switch");
      const [request] = api.requests;
      expect(request.body.model).toBe(withEffort.id);
      expect(request.body.thinking?.type).toBe("adaptive");
      expect(request.body.output_config?.effort).toBe(effort);
      expect(api.refusals).toEqual([]);
      expect(usage.every((u) => u.model === withEffort.id)).toBe(true);
    } finally {
      route.update({ model: session.id, effort: undefined, thinking: true });
    }
  });

  it.each(["budget", "adaptive", "always"] as const)(
    "shapes thinking as a model that thinks by %s takes it, on and off, and the API takes it",
    async (mode) => {
      const entry = liveModelThinking(mode);
      respond = () => fake.message(fake.text("shaped"));
      try {
        for (const thinking of [true, false]) {
          route.update({ model: entry.id, thinking });
          api.requests.length = 0;
          await cli.turn(`thinking ${thinking ? "on" : "off"}`);
          const sent = api.requests[0].body;
          expect(sent.model).toBe(entry.id);
          const thinks = sent.thinking?.type === "enabled" || sent.thinking?.type === "adaptive";
          expect(thinks).toBe(thinking || mode === "always");
        }
        expect(api.refusals).toEqual([]);
      } finally {
        route.update({ model: session.id, thinking: true });
      }
    },
  );

  it("turns thinking on from the next turn when the session turns it on in the middle of one (one thinking configuration per turn)", async () => {
    route.update({ thinking: false });
    const answers = [
      fake.message(fake.toolUse("toolu_slow", "Bash", { command: "sleep 1", description: "Wait a second" })),
      fake.message(fake.text("Waited.")),
    ];
    respond = () =>
      answers.shift() ?? fake.message(fake.thinking("Now I think.", "sig-thinking"), fake.text("Thought."));
    try {
      cli.push("wait a second");
      await expect.poll(() => api.requests.length, { timeout: 10_000 }).toBe(1);
      route.update({ thinking: true });
      await cli.nextResult();
      expect(api.requests.map((request) => request.body.thinking?.type)).toEqual([undefined, undefined]);
      await cli.turn("and now think");
      expect(api.requests[2].body.thinking).toEqual({ type: "enabled", budget_tokens: 1500 });
      expect(api.refusals).toEqual([]);
    } finally {
      route.update({ thinking: true });
    }
  });

  it("reports each request's usage exactly as the API streamed it, cache reads and writes included", async () => {
    const figures = [
      {
        input_tokens: 1234,
        output_tokens: 56,
        cache_read_input_tokens: 7000,
        cache_creation_input_tokens: 890,
      },
      {
        input_tokens: 1300,
        output_tokens: 12,
        cache_read_input_tokens: 8100,
        cache_creation_input_tokens: 0,
      },
    ];
    const answers: FakeResponse[] = [
      {
        kind: "message",
        content: [
          fake.toolUse("toolu_count", "Bash", { command: "echo counted", description: "Print a word" }),
        ],
        usage: figures[0],
      },
      { kind: "message", content: [fake.text("Counted.")], usage: figures[1] },
    ];
    respond = () => answers.shift() ?? fake.message(fake.text("extra"));
    const turn = await cli.turn("count this");
    expect(
      usage.map(({ inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, failed }) => ({
        inputTokens,
        outputTokens,
        cacheReadTokens,
        cacheWriteTokens,
        failed,
      })),
    ).toEqual(
      figures.map((f) => ({
        inputTokens: f.input_tokens,
        outputTokens: f.output_tokens,
        cacheReadTokens: f.cache_read_input_tokens,
        cacheWriteTokens: f.cache_creation_input_tokens,
        failed: false,
      })),
    );
    const result = resultOf(turn);
    expect(result.usage.output_tokens).toBe(56 + 12);
    expect(result.usage.cache_read_input_tokens).toBe(7000 + 8100);
  });

  it("hands the API's 400 back as the API's error: the turn ends showing it, the driver hears it, a retry works", async () => {
    respond = () => fake.error(400, "messages.0: scripted refusal for this test");
    const failedTurn = await cli.turn("this one is refused");
    const shown = JSON.stringify(failedTurn);
    expect(shown).toContain("scripted refusal for this test");
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.every(
        (e) =>
          e.status === 400 &&
          e.type === "invalid_request_error" &&
          e.message === "messages.0: scripted refusal for this test",
      ),
    ).toBe(true);
    expect(usage.length).toBe(api.requests.length);
    expect(usage.every((u) => u.failed && u.outputTokens === 0)).toBe(true);
    respond = () => fake.message(fake.text("Fine now."));
    const retried = await cli.turn("try again");
    expect(assistantTexts(retried).at(-1)).toBe("Fine now.");
  });

  it("hands an overloaded API's 529 back: Claude Code retries it, then ends the turn showing it", async () => {
    respond = () => fake.error(529, "Overloaded", "overloaded_error");
    const turn = await cli.turn("while the API is overloaded");
    expect(api.requests).toHaveLength(2);
    expect(turn.some((m) => m.type === "system" && m.subtype === "api_retry")).toBe(true);
    expect(JSON.stringify(resultOf(turn))).toContain("529");
    expect(errors).toEqual([
      { status: 529, type: "overloaded_error", message: "Overloaded" },
      { status: 529, type: "overloaded_error", message: "Overloaded" },
    ]);
    respond = () => fake.message(fake.text("Back."));
    expect(assistantTexts(await cli.turn("and now?")).at(-1)).toBe("Back.");
  });
});
