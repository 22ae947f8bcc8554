/**
 * Restarting the runtime in the middle of a streamed turn, 20 times: workerd stopped and started again on
 * its persisted state, and every second time the real agent host killed and started again too.
 * After each restart the transcript must equal what the agent sent: nothing acknowledged lost, nothing
 * twice. Where the agent died with its turn, the loss is reported and the session goes on.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { TURN_LOST_TEXT } from "../../worker/session/transcript-doc";
import { Api, textOf, until } from "./api";
import { count } from "./figures";
import { Stack } from "./stack";
import { checkTranscript } from "./transcript-check";

// RELIABILITY_RESTARTS only shortens a local debugging run; CI runs the 20.
const RESTARTS = Number(process.env.RELIABILITY_RESTARTS ?? 20);

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ tokenDelayMs: 5 });
});
afterAll(async () => {
  await stack?.close();
});

it(`keeps every acknowledged token across ${RESTARTS} runtime restarts mid-stream`, async () => {
  const api = await Api.signIn(() => stack.baseURL, "reliability");
  const session = await api.createSession(await api.workspace(), { timeoutSeconds: 1800 });
  await session.waitForPhase("Running");
  await session.waitForIdle();
  let agentRestarts = 0;
  let midStream = 0;

  for (let round = 1; round <= RESTARTS; round++) {
    const withAgent = round % 2 === 0;
    // The offline model quotes the message back token by token (5 ms apart): a reply of several seconds.
    await session.say(Array.from({ length: 400 }, (_, word) => `r${round}w${word}`).join(" "));
    const streaming = await until(
      () => session.transcript(),
      (messages) =>
        messages.at(-1)?.role === "assistant" && textOf(messages.at(-1)!).includes(`r${round}w5 `),
      `round ${round}: the reply streams`,
    );
    const replyId = streaming.at(-1)!.id;

    await stack.stopWorker();
    if (withAgent) {
      await stack.killAgent();
      await stack.startAgent();
      agentRestarts++;
    }
    // The reply was still streaming when the runtime went down (its last word not yet sent).
    const sentBefore = stack.tap
      .sent(session.id)
      .filter(({ frame }) => frame.type === "text_delta" && frame.id === replyId);
    if (!sentBefore.some(({ frame }) => frame.type === "text_delta" && frame.text.includes(`r${round}w399`)))
      midStream++;
    await stack.startWorker();
    stack.workerRestarts++;

    const messages = await session.waitForIdle(90_000);
    // Every delta of the live agent is acknowledged once the turn is over (the live one read again on each
    // try: a restarted agent's new incarnation may still be on its way).
    const liveNow = () => stack.tap.incarnations(session.id).at(-1)!;
    const live = (
      await until(
        async () => {
          const live = liveNow();
          const sent = stack.tap.sent(session.id).filter((f) => f.incarnation === live);
          return {
            live,
            acked: stack.tap.acked(session.id, live),
            last: Math.max(0, ...sent.map((f) => f.frame.seq)),
          };
        },
        ({ acked, last }) => acked >= last,
        `round ${round}: acknowledged`,
      )
    ).live;
    const reply = messages.find((m) => m.id === replyId)!;
    if (withAgent) {
      expect(messages.at(-1)?.blocks[0]).toMatchObject({ type: "error", text: TURN_LOST_TEXT });
      expect(textOf(reply).length).toBeGreaterThan(0);
    } else {
      expect(textOf(reply)).toContain(`r${round}w399`);
    }
    checkTranscript(await session.transcript(), stack.tap, session.id, live);
  }

  const final = checkTranscript(
    await session.transcript(),
    stack.tap,
    session.id,
    stack.tap.incarnations(session.id).at(-1)!,
  );
  const events = await session.events();
  expect(events.filter((e) => e.type === "turn_lost")).toHaveLength(agentRestarts);
  expect(events.filter((e) => e.type === "phase").map((e) => e.phase)).toEqual(["Creating", "Running"]);
  expect(midStream).toBe(RESTARTS);
  // The session goes on after all that.
  const after = await session.turn("still here?");
  expect(textOf(after.at(-1)!)).toContain("still here?");

  count("runtime restarts mid-stream (workerd)", stack.workerRestarts);
  count("of which the agent host was killed too", agentRestarts);
  count("agent text frames checked against the transcript", final.frames);
  count("transcript bytes compared", final.bytes);
  count("agent messages kept whole", final.whole);
  count("agent messages cut by a killed agent (acknowledged part kept)", final.cut);
});
