/** The tool loop through the real SDK against the fake Messages API. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SessionConfig } from "../../worker/protocol/session-config";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { liveModelThinking } from "../fakes/catalog";
import { CONFIG, removeTempDirs } from "./helpers";
import { loopHarness } from "./loop-harness";

let api: FakeAnthropic;
beforeAll(async () => {
  api = await startFakeAnthropic();
});
afterAll(async () => {
  await api.close();
  await removeTempDirs();
});
afterEach(() => {
  // Nothing the agent sent is what the real API refuses.
  expect(api.refusals).toEqual([]);
  api.requests.length = 0;
  expect(api.pending).toBe(0);
});

const harness = (config: SessionConfig = CONFIG) => loopHarness(api, config);

describe("agent loop against the fake Messages API", () => {
  it("streams a text reply as deltas and records usage", async () => {
    const h = await harness();
    api.enqueue({ kind: "message", content: [fake.text("Hello there, alice!")], usage: { input_tokens: 42, output_tokens: 7, cache_read_input_tokens: 300, cache_creation_input_tokens: 50 } });
    h.say("hello");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });

    expect(h.types()).toEqual(["status", "input_consumed", "message_start", ...h.of("text_delta").map(() => "text_delta"), "turn_end"]);
    expect(h.of("text_delta").length).toBeGreaterThan(1);
    expect(h.of("text_delta").map((f) => f.text).join("")).toBe("Hello there, alice!");
    expect(h.of("turn_end")[0].usage).toEqual({ inputTokens: 42, outputTokens: 7, cacheReadTokens: 300, cacheWriteTokens: 50 });
    expect(h.of("input_consumed")[0].upTo).toBe(1);

    const body = api.requests[0].body;
    expect(body.model).toBe(CONFIG.model);
    expect(body.stream).toBe(true);
    expect(body.system).toBe("You are a test agent.");
    expect(body.tools?.map((t) => t.name).sort()).toEqual(["ask_user", "bash", "edit_file", "grep", "list", "read_file", "write_file"]);
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "[alice] hello" }] }]);
  });

  it("runs a two-tool turn and feeds both results back in order", async () => {
    const h = await harness();
    api.enqueue(
      fake.message(
        fake.text("Writing the report, then checking it."),
        fake.toolUse("toolu_1", "write_file", { path: "artifacts/report.md", content: "# Report\n" }),
        fake.toolUse("toolu_2", "bash", { command: "cat artifacts/report.md" }),
      ),
      fake.message(fake.text("Done.")),
    );
    h.say("write a report");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });

    expect(await readFile(path.join(h.workspace, "artifacts/report.md"), "utf8")).toBe("# Report\n");
    expect(h.of("tool_use").map((f) => [f.id, f.name])).toEqual([["toolu_1", "write_file"], ["toolu_2", "bash"]]);
    expect(h.of("tool_use")[0].input).toEqual({ path: "artifacts/report.md", content: "# Report\n" });
    expect(h.of("tool_result").map((f) => [f.id, f.isError])).toEqual([["toolu_1", false], ["toolu_2", false]]);
    expect(h.of("tool_result")[1].output).toBe("# Report\n");
    expect(h.of("artifact")).toEqual([{ type: "artifact", name: "report.md", size: 9 }]);
    expect(h.of("message_start")).toHaveLength(2);
    expect(new Set(h.of("message_start").map((f) => f.id)).size).toBe(2);

    expect(api.requests).toHaveLength(2);
    const [, assistant, results] = api.requests[1].body.messages;
    expect(assistant.role).toBe("assistant");
    expect((assistant.content as { type: string }[]).map((b) => b.type)).toEqual(["text", "tool_use", "tool_use"]);
    expect(results).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: "wrote 9 bytes to artifacts/report.md", is_error: false },
        { type: "tool_result", tool_use_id: "toolu_2", content: "# Report\n", is_error: false },
      ],
    });
  });

  it("adds a message sent while working right after the current tool result", async () => {
    const h = await harness();
    api.enqueue(fake.message(fake.toolUse("toolu_a", "bash", { command: "echo step one" })), fake.message(fake.text("Adjusted.")));
    // The interrupt arrives while the tool call is in flight.
    h.setOnFrame((frame) => {
      if (frame.type === "tool_use") h.say("actually, use step two", "bob");
    });
    h.say("do step one");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });

    const last = api.requests[1].body.messages.at(-1);
    expect(last).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_a", content: "step one\n", is_error: false },
        { type: "text", text: "[bob] actually, use step two" },
      ],
    });
    const order = h.types().filter((t) => ["tool_result", "input_consumed", "message_start"].includes(t));
    expect(order).toEqual(["input_consumed", "message_start", "tool_result", "input_consumed", "message_start"]);
    expect(h.of("input_consumed").map((f) => f.upTo)).toEqual([1, 2]);
  });

  it("passes max_tokens through and never a temperature: the session's is stored, not sent", async () => {
    const h = await harness({ ...CONFIG, maxTokens: 1234, temperature: 0.2 });
    api.enqueue(fake.message(fake.text("ok")));
    h.say("hi");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    const body = api.requests[0].body;
    expect(body).toMatchObject({ model: CONFIG.model, max_tokens: 1234 });
    expect(body).not.toHaveProperty("temperature");
    expect(body.thinking).toBeUndefined();
  });

  it("with thinking on: a budget below max_tokens, no temperature, signed thinking sent back", async () => {
    const h = await harness({ ...CONFIG, thinking: true, maxTokens: 2000 });
    api.enqueue(
      fake.message(fake.thinking("Let me look at the files first.", "sig-abc123"), fake.toolUse("toolu_t", "list", {})),
      fake.message(fake.thinking("Now I know.", "sig-def456"), fake.text("There are no files.")),
    );
    h.say("what is here?");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });

    const first = api.requests[0].body;
    expect(first.temperature).toBeUndefined();
    expect(first.thinking?.type).toBe("enabled");
    expect(first.thinking?.budget_tokens).toBeGreaterThanOrEqual(1024);
    expect(first.thinking?.budget_tokens).toBeLessThan(2000);

    const assistant = api.requests[1].body.messages[1];
    expect((assistant.content as Record<string, unknown>[])[0]).toEqual({ type: "thinking", thinking: "Let me look at the files first.", signature: "sig-abc123" });
    const thinking = h.of("thinking_delta");
    expect(thinking.filter((f) => f.signature).map((f) => f.signature)).toEqual(["sig-abc123", "sig-def456"]);
    const firstId = h.of("message_start")[0].id;
    expect(thinking.filter((f) => f.id === firstId).map((f) => f.text).join("")).toBe("Let me look at the files first.");
  });

  it("with thinking on for an adaptive model: adaptive thinking (a fixed budget is deprecated or refused there), no temperature", async () => {
    const h = await harness({ ...CONFIG, model: liveModelThinking("adaptive").id, thinking: true, maxTokens: 2000 });
    api.enqueue(fake.message(fake.thinking("Hmm.", "sig-1"), fake.text("Hi.")));
    h.say("hi");
    await h.loop.runTurn();
    expect(api.requests[0].body.thinking).toEqual({ type: "adaptive" });
    expect(api.requests[0].body.temperature).toBeUndefined();
  });

  it.each([
    [429, "rate_limit_error"],
    [500, "api_error"],
    [529, "overloaded_error"],
  ])("a %i that persists past the SDK's retries ends the turn; the next message works", async (status, type) => {
    const h = await harness();
    api.enqueue(fake.error(status, "try later"), fake.error(status, "try later"), fake.error(status, "try later"));
    h.say("first");
    expect(await h.loop.runTurn()).toEqual({ kind: "turn_error" });
    expect(api.requests).toHaveLength(3); // 1 + maxRetries
    const [error] = h.of("turn_error");
    expect(error.message).toContain(type);
    expect(error.message).toContain("try later");
    expect(h.of("turn_end")).toHaveLength(0);

    api.enqueue(fake.message(fake.text("Back again.")));
    h.say("second");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    expect(api.requests[3].body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "[alice] first" }, { type: "text", text: "[alice] second" }] },
    ]);
  });

  it("an overloaded error in the middle of a stream ends the turn", async () => {
    const h = await harness();
    api.enqueue({ kind: "stream_error", type: "overloaded_error", message: "Overloaded" });
    h.say("hi");
    expect(await h.loop.runTurn()).toEqual({ kind: "turn_error" });
    expect(h.of("turn_error")[0].message).toContain("Overloaded");
  });

  it.each([
    [401, "invalid x-api-key"],
    [403, "not allowed"],
    [400, "messages: field required"],
  ])("a %i is fatal: the outcome carries the API's message (the session sends the error), no retries", async (status, message) => {
    const h = await harness();
    api.enqueue(fake.error(status, message));
    h.say("hi");
    const outcome = await h.loop.runTurn();
    expect(outcome.kind).toBe("fatal");
    expect(outcome.kind === "fatal" && outcome.message).toContain(message);
    expect(api.requests).toHaveLength(1);
    expect(h.of("turn_error")).toHaveLength(0);
  });
});
