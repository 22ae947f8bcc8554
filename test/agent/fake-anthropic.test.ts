/**
 * The strict fake Messages API refuses what the real API refuses, with its status, error shape and message,
 * and speaks the protocol the real clients speak (the SDK here; Claude Code's `?beta=true` and bearer key).
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CATALOG, isRetired, type ModelEntry } from "@tandem/protocol/models";
import { type FakeAnthropic, SDK_API_VERSION, fake, startFakeAnthropic } from "../fakes/anthropic";
import { liveModel } from "../fakes/catalog";

let api: FakeAnthropic;
beforeAll(async () => {
  api = await startFakeAnthropic({ apiKeys: ["sk-ant-good"] });
});
afterAll(() => api.close());
afterEach(() => {
  api.refusals.length = 0;
  api.requests.length = 0;
});

const always = liveModel((m) => m.thinking.mode === "always");
const adaptiveOnly = liveModel(
  (m) => m.thinking.mode !== "budget" && !m.thinking.accepts.includes("enabled"),
);
const budgetOnly = liveModel((m) => m.thinking.mode === "budget");
const noEffort = liveModel((m) => m.effort.levels.length === 0);
const noXhigh = liveModel((m) => m.effort.levels.length > 0 && !m.effort.levels.includes("xhigh"));
const offCapped = liveModel(
  (m) => m.thinking.offMaxEffort === "high" && m.thinking.accepts.includes("disabled"),
);
const oldSamplingOnly = liveModel((m) => m.sampling === "default-only");

async function post(body: unknown, headers: Record<string, string> = {}, path = "/v1/messages") {
  const res = await fetch(`${api.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": "sk-ant-good",
      "anthropic-version": SDK_API_VERSION,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      type: string;
      error?: { type: string; message: string };
      request_id?: string;
    },
  };
}

const turn = (model: ModelEntry | string, extra: Record<string, unknown> = {}) => ({
  model: typeof model === "string" ? model : model.id,
  max_tokens: 2000,
  messages: [{ role: "user", content: "hi" }],
  ...extra,
});

function expectRefusal(
  answer: Awaited<ReturnType<typeof post>>,
  status: number,
  type: string,
  message: string | RegExp,
) {
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ type: "error", error: { type } });
  expect(answer.body.request_id).toMatch(/^req_/);
  if (typeof message === "string") expect(answer.body.error?.message).toBe(message);
  else expect(answer.body.error?.message).toMatch(message);
}

describe("the strict fake Messages API refuses what the real API refuses", () => {
  it("sampling parameters under 2026-10-21, even at their defaults", async () => {
    for (const [field, value] of [
      ["temperature", 1],
      ["top_p", 0.9],
      ["top_k", 5],
    ] as const) {
      expectRefusal(
        await post(turn(budgetOnly, { [field]: value })),
        400,
        "invalid_request_error",
        `${field}: Extra inputs are not permitted`,
      );
    }
    // count_tokens too.
    const counted = await post(
      { model: budgetOnly.id, messages: [], temperature: 0.5 },
      {},
      "/v1/messages/count_tokens",
    );
    expectRefusal(counted, 400, "invalid_request_error", "temperature: Extra inputs are not permitted");
  });

  it("under 2023-06-01, a non-default temperature only where the model takes none, or with thinking on", async () => {
    const old = { "anthropic-version": "2023-06-01" };
    api.enqueue(fake.message(fake.text("ok")));
    expect((await post(turn(budgetOnly, { temperature: 0.3 }), old)).status).toBe(200);
    expectRefusal(
      await post(turn(oldSamplingOnly, { temperature: 0.3 }), old),
      400,
      "invalid_request_error",
      "temperature is deprecated for this model.",
    );
    const thinking = { type: "enabled", budget_tokens: 1024 };
    expectRefusal(
      await post(turn(budgetOnly, { temperature: 0.3, thinking }), old),
      400,
      "invalid_request_error",
      /may only be set to 1 when thinking is enabled/,
    );
  });

  it("thinking disabled on an always-thinking model, a budget on an adaptive-only one, adaptive on a budget-only one", async () => {
    const disabled = await post(turn(always, { thinking: { type: "disabled" } }));
    expectRefusal(
      disabled,
      400,
      "invalid_request_error",
      `"thinking.type.disabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`,
    );
    const budget = await post(turn(adaptiveOnly, { thinking: { type: "enabled", budget_tokens: 1024 } }));
    expectRefusal(
      budget,
      400,
      "invalid_request_error",
      `"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`,
    );
    expectRefusal(
      await post(turn(budgetOnly, { thinking: { type: "adaptive" } })),
      400,
      "invalid_request_error",
      /"thinking.type.adaptive" is not supported for this model/,
    );
    expectRefusal(
      await post(turn(budgetOnly, { thinking: { type: "enabled", budget_tokens: 512 } })),
      400,
      "invalid_request_error",
      /budget_tokens: Input should be greater than or equal to 1024/,
    );
    expectRefusal(
      await post(turn(budgetOnly, { thinking: { type: "enabled", budget_tokens: 2000 } })),
      400,
      "invalid_request_error",
      /`max_tokens` must be greater than `thinking.budget_tokens`/,
    );
  });

  it("max_tokens over the model's maximum output", async () => {
    const answer = await post(turn(budgetOnly, { max_tokens: budgetOnly.maxOutputTokens + 1 }));
    expectRefusal(
      answer,
      400,
      "invalid_request_error",
      `max_tokens: ${budgetOnly.maxOutputTokens + 1} > ${budgetOnly.maxOutputTokens}, which is the maximum allowed number of output tokens for ${budgetOnly.id}`,
    );
  });

  it("an unknown or a retired model: 404 naming it", async () => {
    expectRefusal(await post(turn("claude-made-up-9")), 404, "not_found_error", "model: claude-made-up-9");
    const retired = CATALOG.find((m) => isRetired(m, Date.now()));
    if (retired) expectRefusal(await post(turn(retired)), 404, "not_found_error", `model: ${retired.id}`);
    const clocked = await startFakeAnthropic({ now: () => Date.parse("2099-01-01") });
    const withEnd = CATALOG.find((m) => m.endOfLife !== null)!;
    const res = await fetch(`${clocked.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "anthropic-version": SDK_API_VERSION },
      body: JSON.stringify(turn(withEnd)),
    });
    expect(res.status).toBe(404);
    await clocked.close();
  });

  it("an effort the model does not take: none at all, a level it lacks, or above its limit with thinking off", async () => {
    expectRefusal(
      await post(turn(noEffort, { output_config: { effort: "high" } })),
      400,
      "invalid_request_error",
      "This model does not support the effort parameter.",
    );
    expectRefusal(
      await post(turn(noXhigh, { output_config: { effort: "xhigh" } })),
      400,
      "invalid_request_error",
      /output_config.effort 'xhigh' is not supported by this model/,
    );
    const off = await post(
      turn(offCapped, { thinking: { type: "disabled" }, output_config: { effort: "max" } }),
    );
    expectRefusal(
      off,
      400,
      "invalid_request_error",
      "output_config.effort 'max' is not supported when thinking is disabled on this model. Use effort 'high' or below, or enable thinking.",
    );
  });

  it("a request without a key, with a wrong key, or without an API version", async () => {
    const noKey = await fetch(`${api.url}/v1/messages`, {
      method: "POST",
      headers: { "anthropic-version": SDK_API_VERSION },
      body: JSON.stringify(turn(budgetOnly)),
    });
    expect(noKey.status).toBe(401);
    expectRefusal(
      await post(turn(budgetOnly), { "x-api-key": "sk-ant-wrong" }),
      401,
      "authentication_error",
      "invalid x-api-key",
    );
    expectRefusal(
      await post(turn(budgetOnly), { "anthropic-version": "" }),
      400,
      "invalid_request_error",
      "anthropic-version: header is required",
    );
    expect(api.refusals.map((r) => r.status)).toEqual([401, 401, 400]);
  });

  it("the SDK sees the API's error: its status, type and message", async () => {
    const client = new Anthropic({ apiKey: "sk-ant-good", baseURL: api.url, maxRetries: 0 });
    const error = await client.messages
      .create({
        model: always.id,
        max_tokens: 2000,
        messages: [{ role: "user", content: "hi" }],
        thinking: { type: "disabled" },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ status: 400, type: "invalid_request_error" });
    expect((error as InstanceType<typeof Anthropic.APIError>).apiMessage).toContain(
      '"thinking.type.disabled" is not supported',
    );
  });
});

describe("the strict fake speaks the protocol real clients speak", () => {
  it("takes Claude Code's /v1/messages?beta=true with a bearer key, and streams the API's events", async () => {
    api.enqueue(fake.message(fake.thinking("Let me see.", "sig"), fake.text("Hello there")));
    const res = await fetch(`${api.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: {
        authorization: "Bearer sk-ant-good",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "interleaved-thinking-2025-05-14",
      },
      body: JSON.stringify(
        turn(adaptiveOnly, {
          stream: true,
          thinking: { type: "adaptive" },
          output_config: { effort: "low" },
        }),
      ),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.slice(0, 2)).toEqual(["message_start", "ping"]);
    expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);
    expect(names.filter((n) => n === "content_block_start")).toHaveLength(2);
    expect(names.filter((n) => n === "content_block_stop")).toHaveLength(2);
    expect(text).toContain('"type":"signature_delta","signature":"sig"');
    expect(api.requests.at(-1)?.path).toBe("/v1/messages?beta=true");
  });

  it("answers a request without `stream` with one JSON message, and count_tokens with its count", async () => {
    const client = new Anthropic({ apiKey: "sk-ant-good", baseURL: api.url, maxRetries: 0 });
    api.enqueue(fake.message(fake.text("Plain answer")));
    const message = await client.messages.create({
      model: budgetOnly.id,
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: budgetOnly.id,
      stop_reason: "end_turn",
      content: [{ type: "text", text: "Plain answer" }],
    });
    const counted = await client.messages.countTokens({
      model: budgetOnly.id,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(api.refusals).toEqual([]);
  });
});
