/**
 * The agent host with a workspace's own Anthropic key, through the real CLI and the gateway to the fake
 * Messages API: the key stays out of every frame and of the CLI, failures end the turn and the session goes
 * on, and a session with no Claude conversation of its own continues with its transcript and its workflow.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { BUILTIN_WORKFLOW_DEFINITIONS as WORKFLOWS } from "@tandem/protocol/workflows";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { DoClient, removeTempDirs, startFrame, tempDir, HOST_KEY } from "./helpers";

const API_KEY = "sk-ant-test-key-123456";
let host: AgentHost;
let api: FakeAnthropic;
let counter = 0;

beforeAll(async () => {
  api = await startFakeAnthropic();
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    workspaceRoot: await tempDir("tandem-host-"),
    stateRoot: await tempDir("tandem-state-"),
    graceMs: 1000,
    log: () => {},
  });
});
afterAll(async () => {
  await host.close();
  await api.close();
  await removeTempDirs();
});
afterEach(() => {
  expect(api.refusals).toEqual([]);
  api.requests.length = 0;
});

async function open(overrides: Parameters<typeof startFrame>[1] = {}) {
  const id = `anthropic-${++counter}`;
  const client = await DoClient.connect(host.url, id);
  client.send(
    startFrame(id, { secrets: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: api.url }, ...overrides }),
  );
  await client.waitForStatus("idle");
  return { id, client };
}

describe("agent host with a workspace's Anthropic key", () => {
  it("sends the session's key (from the gateway, never the CLI) and never echoes it", async () => {
    const { client } = await open();
    expect(client.of("ready")[0].model).toBe("anthropic");
    api.enqueue(fake.message(fake.text("Hi alice.")));
    client.send({ type: "user_message", seq: 1, text: "hi", author: "alice" });
    await client.waitForStatus("idle", 2);
    const { headers } = api.requests[0];
    expect(headers["x-api-key"] ?? headers.authorization).toContain(API_KEY); // this SDK sends a Bearer header
    expect(client.textOf(client.of("message_start")[0].id)).toBe("Hi alice.");
    expect(client.raw.some((frame) => frame.includes(API_KEY))).toBe(false);
    await client.close();
  });

  it("an overload that outlasts Claude Code's retries ends the turn (turn_error, idle); the next message works", async () => {
    const { client } = await open();
    // One try and two retries (CLAUDE_CODE_MAX_RETRIES).
    api.enqueue(fake.error(529, "Overloaded"), fake.error(529, "Overloaded"), fake.error(529, "Overloaded"));
    client.send({ type: "user_message", seq: 1, text: "first", author: "alice" });
    await client.waitForStatus("idle", 2);
    expect(client.of("turn_error")[0].message).toContain("Overloaded");
    expect(api.requests).toHaveLength(3);

    api.enqueue(fake.message(fake.text("Working again.")));
    client.send({ type: "user_message", seq: 2, text: "second", author: "alice" });
    await client.waitForStatus("idle", 3);
    expect(client.textOf(client.of("message_start").at(-1)!.id)).toBe("Working again.");
    expect(client.of("error")).toHaveLength(0);
    await client.close();
  });

  it("a refused key ends the turn with the API's message; the session goes on", async () => {
    // An API that knows another key: it refuses this one as the real API does, however often it is asked.
    const strict = await startFakeAnthropic({ apiKeys: ["sk-ant-some-other-key"] });
    const { client } = await open({
      secrets: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: strict.url },
    });
    client.send({ type: "user_message", seq: 1, text: "hi", author: "alice" });
    await client.waitForStatus("idle", 2);
    expect(client.of("turn_error")[0].message).toMatch(/authentication_error \(401\)/);
    expect(client.of("error")).toHaveLength(0);
    expect(client.raw.some((frame) => frame.includes(API_KEY))).toBe(false);
    await client.close();
    await strict.close();
  });

  it("continues with the transcript as context and the workflow's system prompt when there is no conversation to resume", async () => {
    const { client } = await open({
      workflow: WORKFLOWS["bug-fix"],
      history: [
        { role: "user", author: "alice", blocks: [{ type: "text", text: "the login fails" }] },
        { role: "assistant", blocks: [{ type: "text", text: "I found the cause." }] },
      ],
    });
    api.enqueue(fake.message(fake.text("Continuing.")));
    client.send({ type: "user_message", seq: 1, text: "go on", author: "bob" });
    await client.waitForStatus("idle", 2);
    const body = api.requests.at(-1)!.body;
    const system = JSON.stringify(body.system);
    expect(system).toContain("Tandem session");
    expect(system).toContain(JSON.stringify(WORKFLOWS["bug-fix"].systemPrompt).slice(1, -1));
    // The transcript so far is context in Tandem's append; the person's words are the message.
    expect(system).toContain("[alice] the login fails");
    expect(system).toContain("Agent: I found the cause.");
    expect(JSON.stringify(body.messages)).toContain("[bob] go on");
    expect(JSON.stringify(body.messages)).not.toContain("the login fails");
    await client.close();
  });
});
