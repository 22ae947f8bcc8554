/**
 * Sessions end to end: the Worker and its SessionRoom (in workerd), the real agent host (a Node process)
 * running Claude Code, whose model gateway forwards to a fake Messages API scripted per step.
 */
import { env } from "cloudflare:test";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { CATALOG, defaultModel } from "@tandem/protocol/models";
import type { FakeResponse } from "../fakes/anthropic";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import {
  createSession,
  eventually,
  getSession,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
  FAILED_WITHIN_MS,
} from "../worker/session-helpers";
import { connectRoom, docText, type RoomClient } from "../worker/yjs-client";

type SentMessage = {
  role: "user" | "assistant";
  content: string | { type: string; text?: string; tool_use_id?: string; content?: unknown }[];
};

const control = (path: string, body?: unknown) =>
  fetch(`${env.TEST_CONTROL_URL}${path}`, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const script = (...responses: FakeResponse[]) => control("/anthropic/enqueue", responses);
const sentRequests = async () =>
  (
    (await (await control("/anthropic/requests")).json()) as {
      requests: {
        model: string;
        max_tokens: number;
        temperature?: number;
        system?: unknown;
        messages: SentMessage[];
      }[];
    }
  ).requests;

const text = (value: string, chunks?: string[]): FakeResponse => ({
  kind: "message",
  content: [{ type: "text", text: value, chunks }],
  eventDelayMs: 5,
});
const toolCall = (id: string, name: string, input: unknown): FakeResponse => ({
  kind: "message",
  content: [{ type: "tool_use", id, name, input }],
});

const say = (client: Client, ws: string, id: string, message: string) =>
  client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: message } });

describe("a session with the real agent and the Anthropic SDK", () => {
  it("clones, streams, takes an interrupt, asks, stops, resumes the same conversation, and fails when the agent dies", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);

    // Create with a repository: Creating clones it, then Running; the prompt is the first turn.
    await script(
      text("Hello from Claude! I see README.md.", ["Hello ", "from ", "Claude! ", "I see ", "README.md."]),
    );
    const { id } = await createSession(owner, ws, {
      repos: [{ url: env.TEST_REPO_URL, branch: "main" }],
      prompt: "Say hello",
      temperature: 1.5,
      maxTokens: 1500,
    });
    const viewer = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
    await viewer.synced;
    await waitForPhase(owner, ws, id, "Running", 15_000);
    await eventually(
      async () => docText(viewer.doc),
      (t) => t.includes("Hello from Claude! I see README.md."),
      10_000,
    );
    const { events } = (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; reason?: string }[];
    };
    expect(events.some((e) => e.type === "progress" && /cloning repo 1 of 1/.test(e.reason ?? ""))).toBe(
      true,
    );
    let requests = await sentRequests();
    // The temperature is stored and shown, never sent: the API version the SDK speaks refuses it.
    expect(requests[0]).toMatchObject({ model: defaultModel(CATALOG, Date.now()).id, max_tokens: 1500 });
    expect(requests[0]).not.toHaveProperty("temperature");
    expect(await getSession(owner, ws, id)).toMatchObject({ temperature: 1.5, effort: null });
    await waitForAgentStatus(owner, ws, id, "idle");

    // Interrupt: a message sent while a tool runs is read right after that tool's result.
    await script(
      toolCall("toolu_sleep", "Bash", { command: "sleep 1; echo slept", description: "Wait a second" }),
      text("Changing course as asked."),
    );
    await say(owner, ws, id, "run the slow command");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => m.some((x) => x.blocks.some((b) => b.type === "tool_use" && b.status === "running")),
    );
    const queued = (await (await say(owner, ws, id, "actually, summarise instead")).json()) as {
      queued: boolean;
    };
    expect(queued.queued).toBe(true);
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Changing course as asked."),
      10_000,
    );
    requests = await sentRequests();
    // Claude Code gives the model the message with the tool's result, in the same request.
    const afterTool = requests.at(-1)!.messages.at(-1)!;
    expect(afterTool.role).toBe("user");
    const parts = afterTool.content as {
      type: string;
      text?: string;
      tool_use_id?: string;
      content?: unknown;
    }[];
    expect(parts[0]).toMatchObject({ type: "tool_result", tool_use_id: "toolu_sleep" });
    expect(JSON.stringify(parts)).toContain("slept");
    expect(JSON.stringify(parts)).toContain("actually, summarise instead");
    const tool = (await transcriptOf(owner, ws, id))
      .flatMap((m) => m.blocks)
      .find((b) => b.type === "tool_use");
    expect(tool).toMatchObject({ name: "Bash", status: "done", isError: false });
    await waitForAgentStatus(owner, ws, id, "idle");

    // AskUserQuestion: the session waits for a person, whose next message is the answer.
    const question = {
      question: "Which branch should I use?",
      header: "Branch",
      options: [
        { label: "main", description: "Released" },
        { label: "dev", description: "In progress" },
      ],
      multiSelect: false,
    };
    await script(
      toolCall("toolu_ask", "AskUserQuestion", { questions: [question] }),
      text("Using main, then."),
    );
    await say(owner, ws, id, "pick a branch");
    await waitForAgentStatus(owner, ws, id, "waiting_input");
    expect(docText(viewer.doc)).toContain("Which branch should I use?");
    await say(owner, ws, id, "main");
    await eventually(
      async () => docText(viewer.doc),
      (t) => t.includes("Using main, then."),
      10_000,
    );
    await waitForAgentStatus(owner, ws, id, "idle");

    const asked = (await transcriptOf(owner, ws, id))
      .flatMap((m) => m.blocks)
      .find((b) => b.type === "question");
    expect(asked).toMatchObject({
      id: "toolu_ask",
      text: "Which branch should I use?",
      questions: [question],
    });

    // Stop, then resume: a new agent continues the same Claude conversation.
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Stopped", 10_000);
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/resume`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Running", 15_000);
    await script(text("Welcome back."));
    await say(owner, ws, id, "where were we?");
    await eventually(
      async () => docText(viewer.doc),
      (t) => t.includes("Welcome back."),
      10_000,
    );
    requests = await sentRequests();
    const resumed = JSON.stringify(requests.at(-1)!.messages);
    for (const earlier of [
      "Say hello",
      "Hello from Claude!",
      "Which branch should I use?",
      "main (answered by",
      "Using main, then.",
      "where were we?",
    ]) {
      expect(resumed).toContain(earlier);
    }
    expect(requests.every((r) => !("temperature" in r))).toBe(true);

    // The agent host dies and does not come back: Failed (within 5 s when quiet: the reliability suite's).
    const killedAt = Date.now();
    await control("/agent/kill");
    await waitForPhase(owner, ws, id, "Failed", FAILED_WITHIN_MS);
    expect(Date.now() - killedAt).toBeLessThan(FAILED_WITHIN_MS);
    await control("/agent/start");
    viewer.close();
    expect((await getSession(owner, ws, id)).agentStatus).toBe("idle");
  });

  it("fails during Creating with git's own message when a repository cannot be cloned", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const missing = env.TEST_REPO_URL!.replace(/app\.git$/, "no-such-repo.git");
    const { id } = await createSession(owner, ws, { repos: [{ url: missing, branch: "main" }] });
    await waitForPhase(owner, ws, id, "Failed", 15_000);
    const { events } = (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { type: string; phase?: string; reason?: string }[];
    };
    expect(events.filter((e) => e.type === "phase").map((e) => e.phase)).toEqual(["Creating", "Failed"]);
    expect(events.at(-1)?.reason).toMatch(/no-such-repo\.git|does not exist|not found/i);
  });

  it("keeps a workspace secret out of everything, even when the agent prints its environment", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const value = `ghp_${crypto.randomUUID().replaceAll("-", "")}`;
    const put = await owner.api(`/api/workspaces/${ws}/secrets/GITHUB_TOKEN`, {
      method: "PUT",
      body: { value },
    });
    expect(put.status).toBe(204);
    const { id } = await createSession(owner, ws);
    await waitForPhase(owner, ws, id, "Running", 15_000);
    await script(
      toolCall("toolu_env", "Bash", {
        command: "env; echo token=$GITHUB_TOKEN",
        description: "Print the environment",
      }),
      text("Printed the environment."),
    );
    await say(owner, ws, id, "show me your environment");
    const messages = await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Printed the environment."),
      10_000,
    );
    const result = messages.flatMap((m) => m.blocks).find((b) => b.type === "tool_use")?.result as string;
    expect(result).toContain("GITHUB_TOKEN=[redacted]");
    expect(result).toContain("token=[redacted]");
    const seen = [
      JSON.stringify(messages),
      await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).text(),
      await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/export?format=markdown`)).text(),
      await (await owner.api(`/api/workspaces/${ws}/sessions/${id}`)).text(),
      await (await owner.api(`/api/workspaces/${ws}/secrets`)).text(),
    ];
    for (const text of seen) expect(text).not.toContain(value);
  });
});
