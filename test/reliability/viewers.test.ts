/**
 * Viewers whose sockets drop and come back (one alone, mid-stream; then all of them, when the runtime
 * restarts) converge on the same document as the viewers that never left and as a late joiner.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { messageJSON, messageList } from "../../worker/protocol/transcript";
import { Api, textOf, until } from "./api";
import { count } from "./figures";
import { Stack } from "./stack";
import { Viewer } from "./viewer";

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ tokenDelayMs: 5 });
});
afterAll(async () => {
  await stack?.close();
});

it("converges after drops mid-stream and after a runtime restart", async () => {
  const api = await Api.signIn(() => stack.baseURL, "reliability");
  const session = await api.createSession(await api.workspace(), { timeoutSeconds: 1800 });
  await session.waitForPhase("Running");
  await session.waitForIdle();
  const url = () => `ws://127.0.0.1:${stack.apiPort}/parties/session-room/${session.id}`;
  const [steady, dropper, other] = [
    new Viewer(url, api.cookie),
    new Viewer(url, api.cookie),
    new Viewer(url, api.cookie),
  ];
  await Promise.all([steady.connect(), dropper.connect(), other.connect()]);
  let drops = 0;

  for (let round = 1; round <= 3; round++) {
    await session.say(Array.from({ length: 500 }, (_, word) => `v${round}w${word}`).join(" "));
    await until(
      async () => steady.snapshot(),
      (snapshot) => snapshot.includes(`v${round}w30 `),
      "streaming",
      30_000,
    );
    dropper.drop();
    drops++;
    // Away while a good part of the reply streams.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await dropper.connect();
  }

  // The runtime restarts under everyone: every viewer drops, and comes back.
  await session.say(Array.from({ length: 500 }, (_, word) => `all${word}`).join(" "));
  await until(
    async () => steady.snapshot(),
    (s) => s.includes("all30 "),
    "streaming",
    30_000,
  );
  await stack.restartWorker();
  for (const viewer of [steady, dropper, other]) viewer.drop();
  drops += 3;
  await Promise.all([steady.connect(), dropper.connect(), other.connect()]);

  const messages = await session.waitForIdle(60_000);
  expect(textOf(messages.at(-1)!)).toContain("all499");
  const late = new Viewer(url, api.cookie);
  await late.connect();
  const expected = late.snapshot();
  for (const viewer of [steady, dropper, other]) {
    await until(
      async () => viewer.snapshot(),
      (snapshot) => snapshot === expected,
      "viewer converged",
      10_000,
    );
  }
  expect(
    JSON.stringify(
      messageList(late.doc)
        .toArray()
        .map((m) => messageJSON(m).id),
    ),
  ).toBe(JSON.stringify(messages.map((m) => m.id)));
  for (const viewer of [steady, dropper, other, late]) viewer.close();
  count("viewer socket drops, each followed by a reconnect that converged", drops);
  count("document bytes compared across viewers", Buffer.byteLength(expected) * 3);
});
