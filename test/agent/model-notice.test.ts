/** The SDK's per-request deprecation warning is not printed; the loop says a model's end of life once, as an event. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { CATALOG } from "../../worker/protocol/models";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { CONFIG, removeTempDirs } from "./helpers";
import { loopHarness } from "./loop-harness";

// A model of the catalog with an end of life (the SDK warns on each request naming it), and the fake API's
// clock on its last day, when it still answers.
const deprecated = CATALOG.find((model) => model.endOfLife !== null)!;
const successor = CATALOG.find((model) => model.id === deprecated.successor)!;

let api: FakeAnthropic;
beforeAll(async () => {
  api = await startFakeAnthropic({ now: () => Date.parse(`${deprecated.endOfLife}T12:00:00Z`) });
});
afterAll(async () => {
  await api.close();
  await removeTempDirs();
});
afterEach(() => {
  expect(api.refusals).toEqual([]);
  api.requests.length = 0;
  vi.restoreAllMocks();
});

describe("a deprecated model", () => {
  it("is said once as a notice over several turns, and the SDK prints no warning", async () => {
    const warn = vi.spyOn(console, "warn");
    const h = await loopHarness(api, { ...CONFIG, model: deprecated.id });
    for (const text of ["one", "two", "three"]) {
      api.enqueue({ kind: "message", content: [fake.text(`reply to ${text}`)] });
      h.say(text);
      expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    }
    expect(api.requests.map((r) => r.body.model)).toEqual([deprecated.id, deprecated.id, deprecated.id]);
    const notices = h.of("notice");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: "model_deprecated" });
    expect(notices[0].detail).toContain(deprecated.endOfLife);
    expect(notices[0].detail).toContain(successor.id);
    expect(warn.mock.calls.filter((call) => String(call[0]).includes("deprecated"))).toEqual([]);
  });

  it("a live model gets no notice", async () => {
    const live = CATALOG.find((model) => model.endOfLife === null && model.effort.levels.length === 0)!;
    const h = await loopHarness(api, { ...CONFIG, model: live.id });
    api.enqueue({ kind: "message", content: [fake.text("hi")] });
    h.say("hello");
    await h.loop.runTurn();
    expect(h.of("notice")).toEqual([]);
  });
});
