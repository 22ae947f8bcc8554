/**
 * The gateway's HTTP surface, through real clients (fetch, the installed Anthropic SDK) against the strict
 * fake Messages API: what it refuses and how, what it forwards, and how it counts.
 */
import { randomBytes } from "node:crypto";
import { type IncomingMessage, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type GatewayError,
  type GatewayRoute,
  type GatewayUsage,
  type ModelGateway,
  OFFLINE_LABEL,
  startModelGateway,
} from "../../../containers/agent/gateway";
import {
  type FakeAnthropic,
  type FakeResponse,
  fake,
  fakeTokens,
  startFakeAnthropic,
} from "../../fakes/anthropic";
import { liveModelThinking } from "../../fakes/catalog";

const REAL_KEY = `sk-ant-api03-real-${randomBytes(12).toString("hex")}`;
const model = liveModelThinking("budget");
const settings = { model: model.id, maxTokens: 1000, thinking: false };
const NOT_FOUND = { type: "error", error: { type: "not_found_error", message: "Not found" } };

let api: FakeAnthropic;
let gateway: ModelGateway;
let route: GatewayRoute;
let offline: GatewayRoute;
const usage: GatewayUsage[] = [];
const errors: GatewayError[] = [];
const logs: string[] = [];
let respond: () => FakeResponse = () => fake.message(fake.text("unscripted"));

beforeAll(async () => {
  api = await startFakeAnthropic({ apiKeys: [REAL_KEY] });
  for (let i = 0; i < 200; i++) api.enqueue(() => respond());
  gateway = await startModelGateway({
    maxBodyBytes: 64 * 1024,
    offlineTokenDelayMs: 0,
    log: (line) => logs.push(line),
  });
  const report = {
    onUsage: (u: GatewayUsage) => usage.push(u),
    onError: (e: GatewayError) => errors.push(e),
    log: (line: string) => logs.push(line),
  };
  route = gateway.open({ settings, upstream: { apiKey: REAL_KEY, baseURL: api.url }, ...report });
  offline = gateway.open({ settings, upstream: null, workspace: os.tmpdir(), ...report });
});

afterAll(async () => {
  await gateway?.close();
  await api?.close();
});

beforeEach(() => {
  usage.length = 0;
  errors.length = 0;
  api.requests.length = 0;
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const hello = { model: "any-model", max_tokens: 64, messages: [{ role: "user", content: "hello" }] };

describe("what the gateway answers", () => {
  it("listens on loopback only", async () => {
    expect(new URL(gateway.url).hostname).toBe("127.0.0.1");
    const outside = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address && address.family === "IPv4" && !address.internal);
    if (!outside) return;
    const reached = await fetch(gateway.url.replace("127.0.0.1", outside.address)).then(
      () => true,
      () => false,
    );
    expect(reached).toBe(false);
  });

  it("refuses a wrong, absent or closed token, another path or method, and a browser, all with the same 404", async () => {
    const closed = gateway.open({ settings, upstream: null, onUsage: () => {} });
    closed.close();
    const wrongToken = `${gateway.url}/${randomBytes(32).toString("base64url")}`;
    const answers = await Promise.all([
      post(`${wrongToken}/v1/messages`, hello),
      post(`${gateway.url}/v1/messages`, hello),
      post(`${closed.baseURL}/v1/messages`, hello),
      post(`${route.baseURL}/v1/models`, hello),
      post(`${route.baseURL}/v1/messages/batches`, hello),
      post(`${route.baseURL}/../v1/messages`, hello),
      fetch(`${route.baseURL}/v1/messages`),
      post(`${route.baseURL}/v1/messages`, hello, { origin: "https://evil.example" }),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(await answer.json()).toEqual(NOT_FOUND);
    }
    expect(api.requests).toHaveLength(0);
    expect(usage).toHaveLength(0);
  });

  it("refuses a body over the limit with 413, announced or streamed", async () => {
    const big = JSON.stringify({ ...hello, messages: [{ role: "user", content: "x".repeat(70 * 1024) }] });
    const announced = await post(`${offline.baseURL}/v1/messages`, big);
    expect(announced.status).toBe(413);
    expect(await announced.json()).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${offline.baseURL}/v1/messages`,
        { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 70; i++) req.write("x".repeat(1024));
      req.end();
    });
    expect(streamed).toBe(413);
    expect(errors.map((e) => [e.status, e.type])).toEqual([
      [413, "request_too_large"],
      [413, "request_too_large"],
    ]);
  });

  it("refuses a body that is not a Messages request with the API's 400, and tells the driver", async () => {
    const notJSON = await post(`${offline.baseURL}/v1/messages`, "{not json");
    expect(notJSON.status).toBe(400);
    expect(await notJSON.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    const noMessages = await post(`${route.baseURL}/v1/messages`, { model: "m", max_tokens: 10 });
    expect(noMessages.status).toBe(400);
    expect(((await noMessages.json()) as { error: { message: string } }).error.message).toMatch(/^messages:/);
    expect(api.requests).toHaveLength(0);
    expect(errors.map((e) => e.status)).toEqual([400, 400]);
    // Refused before the API or the offline model saw them: no usage to report.
    expect(usage).toEqual([]);
  });

  it("rejects settings that are not a session's", () => {
    expect(() => route.update({ maxTokens: -1 })).toThrow();
    expect(() =>
      gateway.open({
        settings: { ...settings, model: "claude-nonexistent" as typeof model.id },
        upstream: null,
        onUsage: () => {},
      }),
    ).toThrow();
  });
});

describe("forwarding, through the installed SDK as the client", () => {
  const client = () => new Anthropic({ apiKey: "dummy", baseURL: route.baseURL, maxRetries: 0 });

  it("sends the session's settings with the real key, and passes the API's JSON answer back with its usage", async () => {
    respond = () => ({
      kind: "message",
      content: [fake.text("Hi there.")],
      usage: {
        input_tokens: 21,
        output_tokens: 4,
        cache_read_input_tokens: 3,
        cache_creation_input_tokens: 2,
      },
    });
    const body = {
      ...hello,
      max_tokens: 9000,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 5,
    } as Anthropic.MessageCreateParamsNonStreaming;
    const message = await client().messages.create(body);
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: "Hi there." })]);
    const [sent] = api.requests;
    expect(sent.body).toMatchObject({ model: model.id, max_tokens: 1000 });
    expect(sent.body).not.toHaveProperty("temperature");
    expect(sent.body).not.toHaveProperty("top_p");
    expect(sent.body).not.toHaveProperty("top_k");
    expect(api.refusals).toEqual([]);
    expect(usage).toEqual([
      {
        requestId: expect.any(String),
        model: model.id,
        inputTokens: 21,
        outputTokens: 4,
        cacheReadTokens: 3,
        cacheWriteTokens: 2,
        failed: false,
      },
    ]);
  });

  it("leaves the offline model's thinking out of a conversation going upstream (a session resumed with a key)", async () => {
    respond = () => fake.message(fake.text("Online now."));
    offline.update({ thinking: true, maxTokens: 2000 });
    const offlineReply = await new Anthropic({
      apiKey: "dummy",
      baseURL: offline.baseURL,
      maxRetries: 0,
    }).messages
      .create({ ...hello, max_tokens: 2000 } as Anthropic.MessageCreateParamsNonStreaming)
      .finally(() => offline.update(settings));
    expect(offlineReply.content.map((block) => block.type)).toEqual(["thinking", "text"]);
    const earlier = {
      role: "assistant" as const,
      content: [
        { type: "thinking", thinking: "real", signature: "sig-from-the-api" },
        ...offlineReply.content,
      ],
    };
    const messages = [hello.messages[0], earlier, { role: "user", content: "and now?" }];
    await client().messages.create({ ...hello, messages } as Anthropic.MessageCreateParamsNonStreaming);
    expect(api.requests[0].body.messages[1].content).toEqual([
      { type: "thinking", thinking: "real", signature: "sig-from-the-api" },
      expect.objectContaining({ type: "text" }),
    ]);
  });

  it("passes on Claude Code's beta switch and no other query parameter", async () => {
    respond = () => fake.message(fake.text("ok"));
    await post(`${route.baseURL}/v1/messages?beta=true&other=1`, hello);
    expect(api.requests[0].path).toBe("/v1/messages?beta=true");
  });

  it("forwards count_tokens with the session's model", async () => {
    // The fake refuses an unknown model with a 404, count_tokens too: only the session's gets through.
    const counted = await client().messages.countTokens({
      model: "any-model",
      messages: [{ role: "user", content: "count me" }],
    });
    expect(counted.input_tokens).toBe(fakeTokens({ messages: [{ role: "user", content: "count me" }] }));
    expect(api.refusals).toEqual([]);
    expect(usage).toEqual([]);
  });

  it("ends a stream the API broke with an `error` event as the API does: counted as failed, the driver told", async () => {
    respond = () => ({ kind: "stream_error", type: "overloaded_error", message: "Overloaded" });
    const stream = client().messages.stream(hello as Anthropic.MessageCreateParams);
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    expect(usage).toEqual([expect.objectContaining({ failed: true })]);
    expect(errors).toEqual([{ status: 529, type: "overloaded_error", message: "Overloaded" }]);
  });

  it("closing a route cuts a stream its CLI stopped reading, and counts the request as failed", async () => {
    // An API that sends far more at once than the loopback sockets hold, so the gateway waits on the CLI.
    const deltas = Array.from({ length: 2_000 }, (_, i) =>
      sse("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: `${"x".repeat(10_000)}${i}` },
      }),
    );
    const flood = [
      sse("message_start", {
        type: "message_start",
        message: {
          id: "msg_flood",
          type: "message",
          role: "assistant",
          model: model.id,
          content: [],
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      }),
      ...deltas,
    ].join("");
    const fastAPI = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(flood);
    });
    await new Promise<void>((resolve) => fastAPI.listen(0, "127.0.0.1", resolve));
    const paused = gateway.open({
      settings,
      upstream: { apiKey: REAL_KEY, baseURL: `http://127.0.0.1:${(fastAPI.address() as AddressInfo).port}` },
      onUsage: (u) => usage.push(u),
    });
    const client = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(
        `${paused.baseURL}/v1/messages`,
        { method: "POST", headers: { "content-type": "application/json" } },
        (res) => {
          res.pause();
          resolve(res);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ ...hello, stream: true }));
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(usage).toEqual([]);
    paused.close();
    await expect
      .poll(() => usage, { timeout: 5000 })
      .toEqual([expect.objectContaining({ inputTokens: 5, failed: true })]);
    client.destroy();
    fastAPI.closeAllConnections();
    fastAPI.close();
  });

  it("answers 502 in the API's shape when the API cannot be reached", async () => {
    const unreachable = gateway.open({
      settings,
      upstream: { apiKey: REAL_KEY, baseURL: "http://127.0.0.1:9" },
      onUsage: (u) => usage.push(u),
      onError: (e) => errors.push(e),
    });
    const answer = await post(`${unreachable.baseURL}/v1/messages`, hello);
    expect(answer.status).toBe(502);
    expect(await answer.json()).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(errors).toEqual([expect.objectContaining({ status: 502, type: "api_error" })]);
    expect(usage).toEqual([expect.objectContaining({ failed: true })]);
    unreachable.close();
  });

  it("never shows the real key: not in an answer, not in a log line", async () => {
    respond = () => fake.error(401, "invalid x-api-key", "authentication_error");
    const refused = await post(`${route.baseURL}/v1/messages`, hello);
    expect(await refused.text()).not.toContain(REAL_KEY);
    expect(logs.join("\n")).not.toContain(REAL_KEY);
  });
});

describe("the offline model, through the installed SDK", () => {
  const client = () => new Anthropic({ apiKey: "dummy", baseURL: offline.baseURL, maxRetries: 0 });

  it("streams a message the SDK assembles, and answers JSON and count_tokens", async () => {
    const bash = {
      name: "Bash",
      description: "Runs a command",
      input_schema: { type: "object" as const, properties: { command: { type: "string" } } },
    };
    const streamed = await client()
      .messages.stream({
        ...hello,
        messages: [{ role: "user", content: "/run echo hi" }],
        tools: [bash],
      } as Anthropic.MessageCreateParams)
      .finalMessage();
    expect(streamed.stop_reason).toBe("tool_use");
    expect(streamed.content).toEqual([
      expect.objectContaining({ type: "text", text: `${OFFLINE_LABEL} Running \`echo hi\`.` }),
      expect.objectContaining({
        type: "tool_use",
        name: "Bash",
        input: { command: "echo hi", description: "Run the command a person gave" },
      }),
    ]);
    const notOffered = await client().messages.create({
      ...hello,
      messages: [{ role: "user", content: "/run echo hi" }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(notOffered.content).toEqual([
      expect.objectContaining({ text: expect.stringContaining("does not offer the Bash tool") }),
    ]);
    const whole = await client().messages.create(hello as Anthropic.MessageCreateParamsNonStreaming);
    expect(whole.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("> hello") });
    const counted = await client().messages.countTokens({
      model: "any-model",
      messages: [{ role: "user", content: "count me" }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
    expect(usage.map((u) => u.failed)).toEqual([false, false, false]);
  });

  it("closing the route cuts the stream in flight and refuses what follows", async () => {
    const slowGateway = await startModelGateway({ offlineTokenDelayMs: 200 });
    const cutShort: GatewayUsage[] = [];
    const slow = slowGateway.open({ settings, upstream: null, onUsage: (u) => cutShort.push(u) });
    const answer = await post(`${slow.baseURL}/v1/messages`, { ...hello, stream: true });
    const reader = answer.body!.getReader();
    await reader.read();
    slow.close();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
    expect(cutShort).toEqual([expect.objectContaining({ failed: true })]);
    expect((await post(`${slow.baseURL}/v1/messages`, hello)).status).toBe(404);
    await slowGateway.close();
  });
});
