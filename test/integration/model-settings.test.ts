/**
 * A session's model settings from the API to the Messages API, through the Worker, the real agent host and
 * the SDK, against the strict fake: the temperature is stored and never sent, the effort reaches the API as
 * `output_config.effort`, an always-thinking model thinks, and the fake refused nothing the agent sent.
 */
import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG, isRetired, type ModelEntry } from "@tandem/protocol/models";
import type { FakeResponse } from "../fakes/anthropic";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import { createSession, eventually, getSession, textOf, transcriptOf } from "../worker/session-helpers";

type SentRequest = {
  model: string;
  max_tokens: number;
  thinking?: { type: string };
  output_config?: { effort?: string };
  messages: { content: unknown }[];
};

const control = (path: string, body?: unknown) =>
  fetch(`${env.TEST_CONTROL_URL}${path}`, {
    method: "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const script = (...responses: FakeResponse[]) => control("/anthropic/enqueue", responses);
const sentRequests = async () =>
  ((await (await control("/anthropic/requests")).json()) as { requests: SentRequest[] }).requests;
const refusals = async () =>
  ((await (await control("/anthropic/refusals")).json()) as { refusals: unknown[] }).refusals;

/** The request whose first message carries this prompt (tests run beside others on the same fake). */
async function requestFor(prompt: string): Promise<SentRequest> {
  const requests = await eventually(sentRequests, (all) =>
    all.some((r) => JSON.stringify(r.messages[0]?.content).includes(prompt)),
  );
  return requests.find((r) => JSON.stringify(r.messages[0]?.content).includes(prompt))!;
}

const live = (test: (m: ModelEntry) => boolean) =>
  CATALOG.find((m) => !isRetired(m, Date.now()) && m.endOfLife === null && test(m))!;

afterAll(async () => {
  // Whatever the suite's sessions sent, the strict fake refused none of it.
  expect(await refusals()).toEqual([]);
});

describe("a session's model settings reach the Messages API as the model takes them", () => {
  it("a temperature of 1.5 is stored and shown but never sent; the session runs", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    await script({ kind: "message", content: [{ type: "text", text: "Warm reply." }] });
    const prompt = `temperature ${crypto.randomUUID()}`;
    const { id } = await createSession(owner, ws, { temperature: 1.5, prompt });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Warm reply."),
      15_000,
    );
    expect(await getSession(owner, ws, id)).toMatchObject({ temperature: 1.5, phase: "Running" });
    expect(await requestFor(prompt)).not.toHaveProperty("temperature");
  });

  it("the effort chosen reaches the API as output_config.effort, and an always-thinking model thinks", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const model = live((m) => m.thinking.mode === "always" && m.effort.levels.includes("low"));
    await script({
      kind: "message",
      content: [
        { type: "thinking", thinking: "Briefly.", signature: "sig-1" },
        { type: "text", text: "Low effort reply." },
      ],
    });
    const prompt = `effort ${crypto.randomUUID()}`;
    const { id } = await createSession(owner, ws, {
      model: model.id,
      effort: "low",
      maxTokens: 2000,
      prompt,
    });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("Low effort reply."),
      15_000,
    );
    // Thinking was left unset: an always-thinking model's session says it thinks.
    expect(await getSession(owner, ws, id)).toMatchObject({ model: model.id, effort: "low", thinking: true });
    expect(await requestFor(prompt)).toMatchObject({
      model: model.id,
      max_tokens: 2000,
      thinking: { type: "adaptive" },
      output_config: { effort: "low" },
    });
  });
});
