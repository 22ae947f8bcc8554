/** The agent's outbox redacts over a real socket, with the real SDK streaming a secret split across deltas. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { Outbox } from "../../containers/agent/outbox";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { FRAME_LIMITS, FromAgentFrameSchema, parseFrame } from "@tandem/protocol/agent";
import { Redaction } from "@tandem/protocol/redaction";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { DoClient, HOST_KEY, removeTempDirs, startFrame, tempDir } from "./helpers";

const VALUE = "tok/4f9a2c+e=Z q8!";
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("the agent's outbox", () => {
  let host: AgentHost;
  let api: FakeAnthropic;
  beforeAll(async () => {
    api = await startFakeAnthropic();
    host = await startAgentHost({
      key: HOST_KEY,
      port: 0,
      stateRoot: await tempDir("tandem-state-"),
      workspaceRoot: await tempDir("tandem-redact-"),
      graceMs: 200,
      log: () => {},
    });
  });
  afterAll(async () => {
    expect(api.refusals).toEqual([]);
    await host.close();
    await api.close();
    await removeTempDirs();
  });

  it("never sends a secret the model streams split across deltas, base64 or URL-encoded; a held tail goes out before turn_end", async () => {
    const encoded = b64(`user:${VALUE}`);
    const url = encodeURIComponent(VALUE);
    const chunks = [
      "The token is ",
      VALUE.slice(0, 5),
      VALUE.slice(5, 11),
      `${VALUE.slice(11)} and `,
      encoded.slice(0, 9),
      encoded.slice(9),
      " or ",
      url.slice(0, 7),
      `${url.slice(7)}. See tok/`,
    ];
    api.enqueue(fake.message(fake.text(chunks.join(""), chunks)));
    const id = "redact-1";
    const client = await DoClient.connect(host.url, id);
    client.send(
      startFrame(id, {
        secrets: {
          ANTHROPIC_API_KEY: "sk-ant-test-key-123456",
          ANTHROPIC_BASE_URL: api.url,
          DEPLOY_TOKEN: VALUE,
        },
      }),
    );
    await client.waitForStatus("idle");
    client.send({ type: "user_message", seq: 1, text: "what is the token?", author: "alice" });
    await client.waitForStatus("idle", 2);

    const text = client.textOf(client.of("message_start")[0].id);
    expect(text).toBe(new Redaction([VALUE]).text(chunks.join("")));
    expect(text).toMatch(
      /^The token is \[redacted\] and dXNlcj.{0,3}\[redacted\].{0,4} or \[redacted\]\. See tok\/$/,
    );
    for (const raw of client.raw)
      for (const form of [VALUE, encoded, url, VALUE.slice(0, 8)]) expect(raw).not.toContain(form);
    const types = client.frames.map((f) => f.type);
    expect(types.lastIndexOf("text_delta")).toBeLessThan(types.indexOf("turn_end"));
    expect(client.frames.map((f) => f.seq)).toEqual(client.frames.map((_, i) => i + 1));
    await client.close();
  });
});

describe("a secret in a command's output", () => {
  // 60 characters, like a long API key: its base64 runs past one 76-column line of `base64`'s output.
  const LONG = "lk_live_9Qv2XwT7bN4mZp8Rc1Ls6Hd3Fy5Gj0Ka2Ue7Wq9Tz4Vx6Nb8Mr1Py3";
  let host: AgentHost;
  beforeAll(async () => {
    host = await startAgentHost({
      key: HOST_KEY,
      port: 0,
      stateRoot: await tempDir("tandem-state-"),
      workspaceRoot: await tempDir("tandem-redact-out-"),
      graceMs: 200,
      log: () => {},
    });
  });
  afterAll(async () => {
    await host.close();
    await removeTempDirs();
  });

  async function runInSession(id: string, command: string): Promise<DoClient> {
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id, { secrets: { LONG_KEY: LONG } }));
    await client.waitForStatus("idle");
    client.send({ type: "user_message", seq: 1, text: `/run ${command}`, author: "alice" });
    await client.waitFor((f) => f.type === "turn_end", "turn_end");
    return client;
  }

  /** Every stretch of `length` characters of `text`: none may show, wherever a frame was cut. */
  const pieces = (text: string, length: number) =>
    Array.from({ length: text.length - length + 1 }, (_, i) => text.slice(i, i + length));

  it("is redacted in base64 that `base64` wraps at 76 columns, wherever the line break falls", async () => {
    // Each prefix length moves the secret's encoding across the line break; one session runs them all in turn.
    const pads = [0, 1, 2, 20, 21, 22, 40];
    const client = await DoClient.connect(host.url, "wrapped");
    client.send(startFrame("wrapped", { secrets: { LONG_KEY: LONG } }));
    await client.waitForStatus("idle");
    for (const [index, pad] of pads.entries()) {
      client.send({
        type: "user_message",
        seq: index + 1,
        text: `/run printf '%s%s' "${"p".repeat(pad)}" "$LONG_KEY" | base64`,
        author: "alice",
      });
      await client.waitFor((f) => f.type === "turn_end", `turn_end #${index + 1}`, index + 1);
      expect(client.of("tool_result")[index]?.output, `pad ${pad}`).toContain("[redacted]");
    }
    const joined = client.raw.join("").replace(/\\n|\n/g, "");
    for (const piece of pieces(Buffer.from(LONG).toString("base64"), 24)) expect(joined).not.toContain(piece);
    await client.close();
  });

  it("leaves no head of a secret that Claude Code's preview of a long output cut in two", async () => {
    // 1,980 characters of padding: the 2,000-character preview Claude Code keeps of a long output ends inside the secret.
    const client = await runInSession(
      "capped",
      `head -c 1980 /dev/zero | tr '\\0' x; printf '%s' "$LONG_KEY"; head -c 40000 /dev/zero | tr '\\0' y`,
    );
    const output = client.of("tool_result")[0].output;
    expect(output).toContain("</persisted-output>");
    for (const raw of client.raw) for (const piece of pieces(LONG, 8)) expect(raw).not.toContain(piece);
    await client.close();
  });
});

describe("a usage report in the middle of a streamed secret", () => {
  it("does not release the held head of the secret: the outbox sends no piece of it (a flush there leaked it)", () => {
    const secret = "lk_live_9Qv2XwT7bN4mZp8Rc1Ls6Hd3Fy5Gj0Ka";
    const sent: string[] = [];
    const socket = { readyState: 1, send: (data: string) => sent.push(data) } as unknown as WebSocket;
    const outbox = new Outbox(new Redaction([secret]));
    outbox.attach(socket, 0);
    outbox.send({ type: "message_start", id: "m" });
    outbox.send({ type: "text_delta", id: "m", text: `the key is ${secret.slice(0, 20)}` });
    // The gateway reports the request's usage as the response ends, before the CLI's last deltas.
    outbox.send({
      type: "usage",
      requestId: "r1",
      model: "claude-haiku-4-5",
      inputTokens: 10,
      outputTokens: 5,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      failed: false,
    });
    outbox.send({ type: "progress", step: "save", detail: "saving the workspace" });
    outbox.send({ type: "text_delta", id: "m", text: `${secret.slice(20)} ok` });
    outbox.send({ type: "turn_end" });
    const joined = sent.join("");
    for (let i = 0; i + 8 <= secret.length; i++) expect(joined).not.toContain(secret.slice(i, i + 8));
    const text = sent
      .map((raw) => parseFrame(FromAgentFrameSchema, raw))
      .flatMap((f) => (f?.type === "text_delta" ? [f.text] : []))
      .join("");
    expect(text).toBe("the key is [redacted] ok");
  });
});

describe("a frame that redaction makes longer", () => {
  it("is cut to its limit, so the room does not drop it as invalid (an error frame lost would strand its session)", () => {
    const secret = "short-k8"; // 8 characters, replaced by the 10 of "[redacted]"
    const sent: string[] = [];
    const socket = { readyState: 1, send: (data: string) => sent.push(data) } as unknown as WebSocket;
    const outbox = new Outbox(new Redaction([secret]));
    outbox.attach(socket, 0);
    const message = `${"x".repeat(3000)}${` ${secret}`.repeat(100)}`.slice(0, FRAME_LIMITS.message);
    outbox.send({ type: "error", message });
    outbox.send({
      type: "progress",
      step: "clone",
      detail: `cloning ${secret}`.repeat(200).slice(0, FRAME_LIMITS.detail),
    });
    expect(sent).toHaveLength(2);
    for (const raw of sent) {
      expect(raw).not.toContain(secret);
      const frame = parseFrame(FromAgentFrameSchema, raw);
      expect(frame, raw.slice(0, 80)).not.toBeNull();
    }
    const error = parseFrame(FromAgentFrameSchema, sent[0]);
    expect(error?.type === "error" && error.message.length).toBe(FRAME_LIMITS.message);
  });
});
