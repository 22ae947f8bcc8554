/** Whose key goes where: the host's Anthropic key never follows a workspace's ANTHROPIC_BASE_URL. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { DoClient, HOST_KEY, removeTempDirs, startFrame, tempDir } from "./helpers";

const HOST_API_KEY = "sk-ant-host-own-key-000111";
const SESSION_API_KEY = "sk-ant-session-key-222333";
let host: AgentHost;
/** The host's own Anthropic endpoint, and one a workspace secret points at. */
let hostApi: FakeAnthropic;
let elsewhere: FakeAnthropic;
let counter = 0;

beforeAll(async () => {
  [hostApi, elsewhere] = await Promise.all([startFakeAnthropic(), startFakeAnthropic()]);
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    workspaceRoot: await tempDir("tandem-host-"),
    graceMs: 200,
    anthropic: { apiKey: HOST_API_KEY, baseURL: hostApi.url },
    stateRoot: await tempDir("tandem-state-"),
    log: () => {},
  });
});
afterAll(async () => {
  expect([...hostApi.refusals, ...elsewhere.refusals]).toEqual([]);
  await host.close();
  await Promise.all([hostApi.close(), elsewhere.close()]);
  await removeTempDirs();
});

async function oneTurn(secrets: Record<string, string>) {
  const id = `key-${++counter}`;
  const client = await DoClient.connect(host.url, id);
  client.send(startFrame(id, { secrets }));
  await client.waitForStatus("idle");
  client.send({ type: "user_message", seq: 1, text: "hi", author: "alice" });
  await client.waitForStatus("idle", 2);
  await client.close();
}

const keyOf = (api: FakeAnthropic) =>
  api.requests.map(({ headers }) => String(headers["x-api-key"] ?? headers.authorization));

describe("the host's Anthropic key", () => {
  it("goes only to the host's base URL, whatever ANTHROPIC_BASE_URL a workspace sets", async () => {
    hostApi.enqueue(fake.message(fake.text("from the host's endpoint")));
    await oneTurn({ ANTHROPIC_BASE_URL: elsewhere.url });
    expect(elsewhere.requests).toHaveLength(0);
    expect(keyOf(hostApi)).toEqual([expect.stringContaining(HOST_API_KEY)]);
    hostApi.requests.length = 0;
    elsewhere.requests.length = 0;
  });

  it("a workspace's base URL is used with the workspace's own key", async () => {
    elsewhere.enqueue(fake.message(fake.text("the workspace's endpoint")));
    await oneTurn({ ANTHROPIC_API_KEY: SESSION_API_KEY, ANTHROPIC_BASE_URL: elsewhere.url });
    expect(hostApi.requests).toHaveLength(0);
    expect(keyOf(elsewhere)).toEqual([expect.stringContaining(SESSION_API_KEY)]);
    expect(keyOf(elsewhere).join()).not.toContain(HOST_API_KEY);
  });
});
