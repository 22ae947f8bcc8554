/** A cloned repository's AGENTS.md / CLAUDE.md reaches the model's system prompt (Tandem's append to Claude Code's): capped, marked with its source. */
import { symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INSTRUCTIONS_MAX_BYTES } from "../../containers/agent/instructions";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { DoClient, HOST_KEY, makeBareRepo, removeTempDirs, startFrame, tempDir } from "./helpers";

let host: AgentHost;
let api: FakeAnthropic;
let counter = 0;

beforeAll(async () => {
  api = await startFakeAnthropic();
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    stateRoot: await tempDir("tandem-state-"),
    workspaceRoot: await tempDir("tandem-host-"),
    graceMs: 1000,
    log: () => {},
  });
});
afterAll(async () => {
  expect(api.refusals).toEqual([]);
  await host.close();
  await api.close();
  await removeTempDirs();
});

/** Starts a session on these repositories and returns the system prompt of its first model request. */
async function systemPromptFor(repos: { url: string }[]): Promise<{ system: string; progress: string[] }> {
  const id = `instructions-${++counter}`;
  const client = await DoClient.connect(host.url, id);
  client.send(
    startFrame(id, {
      repos,
      secrets: { ANTHROPIC_API_KEY: "sk-ant-test-key-123456", ANTHROPIC_BASE_URL: api.url },
    }),
  );
  await client.waitForStatus("idle");
  const before = api.requests.length;
  api.enqueue(fake.message(fake.text("ok")));
  client.send({ type: "user_message", seq: 1, text: "hi", author: "alice" });
  await client.waitForStatus("idle", 2);
  const progress = client.of("progress").map((f) => f.detail ?? "");
  await client.close();
  // Claude Code sends its system prompt as text blocks; Tandem's append is in them.
  const system = api.requests[before].body.system as { text: string }[];
  return { system: system.map((block) => block.text).join("\n"), progress };
}

describe("repository instructions", () => {
  it("AGENTS.md of one repository and CLAUDE.md of another are both in the system prompt, each marked with its source", async () => {
    const app = await makeBareRepo("app", { "AGENTS.md": "Run `make check` before you finish.\n" });
    const lib = await makeBareRepo("lib", { "CLAUDE.md": "Never edit generated/ by hand.\n" });
    const { system, progress } = await systemPromptFor([{ url: app.url }, { url: lib.url }]);
    expect(system).toContain(
      `<repository-instructions source="${app.url} (app/AGENTS.md)">\nRun \`make check\` before you finish.`,
    );
    expect(system).toContain(
      `<repository-instructions source="${lib.url} (lib/CLAUDE.md)">\nNever edit generated/ by hand.`,
    );
    expect(system.indexOf("make check")).toBeLessThan(system.indexOf("generated/"));
    expect(progress.some((p) => p.includes("instructions of") && p.includes("app/AGENTS.md"))).toBe(true);
  });

  it("a file over 32 KB is cut at the cap with a marker; a CLAUDE.md linked to AGENTS.md is given once", async () => {
    const big = `${"é".repeat(INSTRUCTIONS_MAX_BYTES)}TAIL-NEVER-SENT`;
    const repo = await makeBareRepo("big", { "AGENTS.md": big }, (work) =>
      symlinkSync("AGENTS.md", path.join(work, "CLAUDE.md")),
    );
    const { system } = await systemPromptFor([{ url: repo.url }]);
    expect(system).not.toContain("TAIL-NEVER-SENT");
    expect(system).toContain(
      `[… AGENTS.md cut here: it is ${Buffer.byteLength(big)} bytes, only the first ${INSTRUCTIONS_MAX_BYTES} are included]`,
    );
    expect(system).not.toContain("\uFFFD"); // cut on a character boundary
    expect(system.match(/<repository-instructions /g)).toHaveLength(1);
    const included = system.split('big/AGENTS.md)">\n')[1].split("\n[… AGENTS.md cut here")[0];
    expect(Buffer.byteLength(included)).toBeLessThanOrEqual(INSTRUCTIONS_MAX_BYTES);
    expect(Buffer.byteLength(included)).toBeGreaterThan(INSTRUCTIONS_MAX_BYTES - 2);
  });

  it("an instructions file that links out of its repository is not read; no file, no section", async () => {
    const outside = path.join(await tempDir("tandem-outside-"), "private.txt");
    writeFileSync(outside, "HOST-PRIVATE-CONTENT");
    const linked = await makeBareRepo("linked", {}, (work) =>
      symlinkSync(outside, path.join(work, "AGENTS.md")),
    );
    const plain = await makeBareRepo("plain");
    const { system } = await systemPromptFor([{ url: linked.url }, { url: plain.url }]);
    expect(system).not.toContain("HOST-PRIVATE-CONTENT");
    expect(system).not.toContain("<repository-instructions");
  });
});
