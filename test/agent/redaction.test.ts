/** The agent's outbox redacts over a real socket, with the real SDK streaming a secret split across deltas. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { Redaction } from "../../worker/protocol/redaction";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { DoClient, HOST_KEY, removeTempDirs, startFrame, tempDir } from "./helpers";

const VALUE = "tok/4f9a2c+e=Z q8!";
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("the agent's outbox", () => {
  let host: AgentHost;
  let api: FakeAnthropic;
  beforeAll(async () => {
    api = await startFakeAnthropic();
    host = await startAgentHost({ key: HOST_KEY, port: 0, workspaceRoot: await tempDir("tandem-redact-"), graceMs: 200, log: () => {} });
  });
  afterAll(async () => {
    await host.close();
    await api.close();
    await removeTempDirs();
  });

  it("never sends a secret the model streams split across deltas, base64 or URL-encoded; a held tail goes out before turn_end", async () => {
    const encoded = b64(`user:${VALUE}`);
    const url = encodeURIComponent(VALUE);
    const chunks = ["The token is ", VALUE.slice(0, 5), VALUE.slice(5, 11), `${VALUE.slice(11)} and `, encoded.slice(0, 9), encoded.slice(9), " or ", url.slice(0, 7), `${url.slice(7)}. See tok/`];
    api.enqueue(fake.message(fake.text(chunks.join(""), chunks)));
    const id = "redact-1";
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id, { secrets: { ANTHROPIC_API_KEY: "sk-ant-test-key-123456", ANTHROPIC_BASE_URL: api.url, DEPLOY_TOKEN: VALUE } }));
    await client.waitForStatus("idle");
    client.send({ type: "user_message", seq: 1, text: "what is the token?", author: "alice" });
    await client.waitForStatus("idle", 2);

    const text = client.textOf(client.of("message_start")[0].id);
    expect(text).toBe(new Redaction([VALUE]).text(chunks.join("")));
    expect(text).toMatch(/^The token is \[redacted\] and dXNlcj.{0,3}\[redacted\].{0,4} or \[redacted\]\. See tok\/$/);
    for (const raw of client.raw) for (const form of [VALUE, encoded, url, VALUE.slice(0, 8)]) expect(raw).not.toContain(form);
    const types = client.frames.map((f) => f.type);
    expect(types.lastIndexOf("text_delta")).toBeLessThan(types.indexOf("turn_end"));
    expect(client.frames.map((f) => f.seq)).toEqual(client.frames.map((_, i) => i + 1));
    await client.close();
  });
});
