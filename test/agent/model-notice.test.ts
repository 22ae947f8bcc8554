/** The SDK's per-request deprecation warning is not printed; the loop says a model's end of life once, as an event. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { CONFIG, removeTempDirs } from "./helpers";
import { loopHarness } from "./loop-harness";

let api: FakeAnthropic;
beforeAll(async () => {
  api = await startFakeAnthropic();
});
afterAll(async () => {
  await api.close();
  await removeTempDirs();
});
afterEach(() => {
  api.requests.length = 0;
  vi.restoreAllMocks();
});

describe("a deprecated model", () => {
  it("is said once as a notice over several turns, and the SDK prints no warning", async () => {
    const warn = vi.spyOn(console, "warn");
    const h = await loopHarness(api, { ...CONFIG, model: "claude-sonnet-4-5" });
    for (const text of ["one", "two", "three"]) {
      api.enqueue({ kind: "message", content: [fake.text(`reply to ${text}`)] });
      h.say(text);
      expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
    }
    expect(api.requests.map((r) => r.body.model)).toEqual(["claude-sonnet-4-5", "claude-sonnet-4-5", "claude-sonnet-4-5"]);
    const notices = h.of("notice");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ kind: "model_deprecated" });
    expect(notices[0].detail).toContain("2026-11-30");
    expect(notices[0].detail).toContain("claude-sonnet-4-6");
    expect(warn.mock.calls.filter((call) => String(call[0]).includes("deprecated"))).toEqual([]);
  });

  it("a live model gets no notice", async () => {
    const h = await loopHarness(api, { ...CONFIG, model: "claude-haiku-4-5" });
    api.enqueue({ kind: "message", content: [fake.text("hi")] });
    h.say("hello");
    await h.loop.runTurn();
    expect(h.of("notice")).toEqual([]);
  });
});
