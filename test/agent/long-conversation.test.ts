/**
 * Conversations longer than the context window, through the real SDK against the fake Messages API with a
 * small window: tool results are cut, older turns summarised, an overflow the estimate missed is retried
 * once after a harder trim, and one that persists ends the turn, not the session. Prints its figures.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/anthropic";
import { type FakeAnthropic, type FakeResponse, fake, fakeTokens, startFakeAnthropic } from "../fakes/anthropic";
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
  expect(api.refusals).toEqual([]);
  api.requests.length = 0;
  api.contextWindow = null;
  api.countScale = 1;
});

const WINDOW = 8000;
const SMALL = { ...CONFIG, maxTokens: 1000 };
const isSummary = (req: RecordedRequest) => JSON.stringify(req.body.system ?? "").includes("You condense");
const lastUser = (req: RecordedRequest) => req.body.messages.at(-1);
const answersTool = (req: RecordedRequest) => {
  const content = lastUser(req)?.content;
  return Array.isArray(content) && content.some((b) => b.type === "tool_result");
};

/** The model as a function of the request: summaries when asked, a reply after a tool result, else a tool call. */
function model(command: (n: number) => string) {
  let calls = 0;
  return (req: RecordedRequest): FakeResponse => {
    if (isSummary(req)) return fake.message(fake.text("Earlier: the people asked for build logs; the agent printed them and reported each step."));
    if (answersTool(req)) return fake.message(fake.text("Read the log; next step?"));
    calls++;
    return fake.message(fake.toolUse(`toolu_${calls}`, "bash", { command: command(calls) }));
  };
}

function script(responder: (req: RecordedRequest) => FakeResponse, n: number) {
  for (let i = 0; i < n; i++) api.enqueue(responder);
}

/** Every tool_use in the conversation has its tool_result right after it, and no result is orphaned. */
function expectPaired(messages: { role: string; content: unknown }[]) {
  messages.forEach((message, i) => {
    if (!Array.isArray(message.content)) return;
    for (const block of message.content as { type: string; id?: string; tool_use_id?: string }[]) {
      if (block.type === "tool_use") {
        const next = messages[i + 1]?.content as { type: string; tool_use_id?: string }[] | undefined;
        expect(next?.some((b) => b.type === "tool_result" && b.tool_use_id === block.id), `result of ${block.id}`).toBe(true);
      }
      if (block.type === "tool_result") {
        const previous = messages[i - 1]?.content as { type: string; id?: string }[] | undefined;
        expect(previous?.some((b) => b.type === "tool_use" && b.id === block.tool_use_id), `use of ${block.tool_use_id}`).toBe(true);
      }
    }
  });
}

describe("a conversation longer than the context window", () => {
  it("goes on for 30 turns: the oldest tool results are cut, the transcript's frames keep them whole", async () => {
    api.contextWindow = WINDOW;
    const h = await loopHarness(api, SMALL, { contextWindow: WINDOW });
    script(model(() => "printf 'line %s of the build log, with enough words to make it long\\n' $(seq 1 80)"), 200);
    const TURNS = 30;
    for (let turn = 1; turn <= TURNS; turn++) {
      h.say(`step ${turn}: print the build log`);
      expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    }
    const sent = api.requests.filter((r) => !isSummary(r));
    const sizes = sent.map((r) => fakeTokens(r.body));
    const untrimmed = fakeTokens({ system: sent[0].body.system, tools: sent[0].body.tools, messages: rebuiltFromFrames(h.frames) });
    const stats = h.loop.contextStats;
    console.log(
      [
        "long conversation figures:",
        `  turns ${TURNS}, model requests ${sent.length} (+${api.requests.length - sent.length} summaries), count_tokens calls ${api.counts}`,
        `  context window ${WINDOW} tokens, ${SMALL.maxTokens} kept for the answer`,
        `  the whole conversation untrimmed: ${untrimmed} tokens (${(untrimmed / WINDOW).toFixed(1)}× the window)`,
        `  largest context before trimming ${stats.largestBefore}, after ${stats.largestAfter}; largest request sent ${Math.max(...sizes)}`,
        `  trims ${stats.trims}, tool results cut ${stats.resultsCut}, summaries ${stats.summaries}, overflows refused ${api.overflows}`,
      ].join("\n"),
    );
    expect(api.overflows).toBe(0);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(WINDOW);
    expect(untrimmed).toBeGreaterThan(3 * WINDOW);
    expect(h.of("turn_error")).toEqual([]);
    const trims = h.of("notice").filter((n) => n.kind === "context_trimmed");
    expect(trims.length).toBeGreaterThan(0);
    expect(trims[0].detail).toMatch(/^cut \d+ tool results? \([\d,]+ characters\) to fit the context window: about [\d,]+ → [\d,]+ tokens of 7,000$/);
    // The people's transcript comes from the frames: every tool result went out whole.
    const results = h.of("tool_result");
    expect(results).toHaveLength(TURNS);
    for (const result of results) expect(result.output.length).toBeGreaterThan(4000);
    // The agent's copy: cut results carry a marker and keep their tool_use ids.
    expect(sent.some((r) => JSON.stringify(r.body.messages).includes("[cut to fit the context window:"))).toBe(true);
    for (const request of sent) expectPaired(request.body.messages);
  });

  it("summarises older turns with the same model when cutting tool results is not enough", async () => {
    api.contextWindow = WINDOW;
    const h = await loopHarness(api, SMALL, { contextWindow: WINDOW });
    script(model(() => "echo ok"), 200);
    const TURNS = 14;
    for (let turn = 1; turn <= TURNS; turn++) {
      h.say(`step ${turn}: ${"please keep this long requirement in mind. ".repeat(40)}`);
      expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    }
    const summaries = api.requests.filter(isSummary);
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.every((r) => r.body.model === SMALL.model)).toBe(true);
    const notices = h.of("notice").filter((n) => n.kind === "context_summarised");
    expect(notices.length).toBe(summaries.length);
    expect(notices[0].detail).toMatch(/^summarised \d+ earlier messages to fit the context window/);
    const last = api.requests.filter((r) => !isSummary(r)).at(-1)!.body.messages;
    expect(JSON.stringify(last[0])).toContain("[Summary of the earlier conversation");
    expectPaired(last);
    expect(api.overflows).toBe(0);
    console.log(`summarising figures: turns ${TURNS}, summaries ${summaries.length}, largest before ${h.loop.contextStats.largestBefore}, after ${h.loop.contextStats.largestAfter}`);
  });

  it("retries an overflow the estimate missed once, after a harder trim, and the turn goes on", async () => {
    const h = await loopHarness(api, SMALL, { contextWindow: WINDOW });
    script(model(() => "printf 'line %s of the build log, with enough words to make it long\\n' $(seq 1 80)"), 200);
    api.contextWindow = WINDOW;
    for (let turn = 1; turn <= 4; turn++) {
      h.say(`step ${turn}`);
      expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    }
    // The API now enforces a window the agent under-estimates: count_tokens says a third of the truth.
    api.contextWindow = 4000;
    api.countScale = 0.3;
    h.say("step 5");
    const outcome = await h.loop.runTurn();
    expect(outcome, JSON.stringify({ errors: h.of("turn_error"), fits: h.loop.contextStats.fits.slice(-3), sizes: api.requests.slice(-4).map((r) => fakeTokens(r.body)) })).toEqual({ kind: "ended" });
    expect(api.overflows).toBe(1);
    expect(h.of("turn_error")).toEqual([]);
    expect(h.of("notice").some((n) => n.kind === "context_trimmed")).toBe(true);
  });

  it("an overflow that a harder trim cannot fix ends the turn, not the session", async () => {
    const h = await loopHarness(api, SMALL, { contextWindow: WINDOW });
    script(model(() => "echo ok"), 50);
    api.contextWindow = 500; // smaller than the tool definitions alone
    h.say("hello");
    expect(await h.loop.runTurn()).toEqual({ kind: "turn_error" });
    // The request and its one retry; nothing more (a summary the trim asked for is refused too).
    expect(api.requests.filter((r) => !isSummary(r))).toHaveLength(2);
    expect(h.of("turn_error")[0].message).toMatch(/400 invalid_request_error: prompt is too long: \d+ tokens > 500 maximum/);
    api.contextWindow = WINDOW;
    h.say("and now?");
    expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
  });
});

/** The conversation as the frames tell it (the people's transcript): every result whole. */
function rebuiltFromFrames(frames: { type: string; [key: string]: unknown }[]) {
  return frames.filter((f) => f.type === "tool_result" || f.type === "tool_use" || f.type === "text_delta").map((f) => ({ ...f }));
}
