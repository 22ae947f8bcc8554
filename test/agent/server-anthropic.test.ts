/** The agent host with the anthropic model against the fake Messages API: errors, resume, workflows. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { WORKFLOWS } from "../../containers/agent/workflows";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { DoClient, removeTempDirs, startFrame, tempDir, HOST_KEY } from "./helpers";

const API_KEY = "sk-ant-test-key-123456";
let host: AgentHost;
let api: FakeAnthropic;
let counter = 0;

beforeAll(async () => {
  api = await startFakeAnthropic();
  host = await startAgentHost({ key: HOST_KEY, port: 0, workspaceRoot: await tempDir("tandem-host-"), graceMs: 1000, log: () => {} });
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
  client.send(startFrame(id, { secrets: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: api.url }, ...overrides }));
  await client.waitForStatus("idle");
  return { id, client };
}

describe("agent host with the anthropic model", () => {
  it("uses the key from the session's secrets and never echoes it", async () => {
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

  it("a transient error that persists ends the turn (turn_error, idle); the next message works", async () => {
    const { client } = await open();
    api.enqueue(fake.error(529, "Overloaded"), fake.error(529, "Overloaded"), fake.error(529, "Overloaded"));
    client.send({ type: "user_message", seq: 1, text: "first", author: "alice" });
    await client.waitForStatus("idle", 2);
    expect(client.of("turn_error")[0].message).toContain("Overloaded");
    expect(client.frames.slice(-2).map((f) => f.type)).toEqual(["turn_error", "status"]);

    api.enqueue(fake.message(fake.text("Working again.")));
    client.send({ type: "user_message", seq: 2, text: "second", author: "alice" });
    await client.waitForStatus("idle", 3);
    expect(client.of("turn_end")).toHaveLength(1);
    expect(client.textOf(client.of("message_start")[0].id)).toBe("Working again.");
    expect(client.of("error")).toHaveLength(0);
    await client.close();
  });

  it("a permanent error (bad key) sends an error frame with the API's message", async () => {
    const { client } = await open();
    api.enqueue(fake.error(401, "invalid x-api-key"));
    client.send({ type: "user_message", seq: 1, text: "hi", author: "alice" });
    const error = await client.waitFor((f) => f.type === "error", "error frame");
    expect(error.type === "error" && error.message).toContain("invalid x-api-key");
    // Further input is not run: the DO fails the session.
    client.send({ type: "user_message", seq: 2, text: "again", author: "alice" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests).toHaveLength(1);
    await client.close();
  });

  it("resumes with the history and the workflow's system prompt", async () => {
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
    const body = api.requests[0].body;
    expect(body.system).toContain("Tandem session");
    expect(body.system).toContain(WORKFLOWS["bug-fix"].systemPrompt);
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "[alice] the login fails" }] },
      { role: "assistant", content: [{ type: "text", text: "I found the cause." }] },
      { role: "user", content: [{ type: "text", text: "[bob] go on" }] },
    ]);
    await client.close();
  });
});
