/**
 * Every live model of the catalog runs a turn through the agent loop and the real SDK against the strict
 * fake, with thinking on and off and at every effort the settings check lets a session choose: the strict
 * fake refuses nothing, so no request the agent builds is one the real API would refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settingsProblems } from "@tandem/protocol/model-settings";
import type { Effort } from "@tandem/protocol/models";
import { type FakeAnthropic, fake, startFakeAnthropic } from "../fakes/anthropic";
import { liveModels } from "../fakes/catalog";
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

describe.each(liveModels().map((entry) => [entry.id, entry] as const))("%s", (_id, entry) => {
  it.each([true, false])("runs a turn with thinking %s at every effort a session may choose", async (thinking) => {
    const efforts: (Effort | null)[] = [null, ...entry.effort.levels];
    const settings = efforts
      .map((effort) => ({ ...CONFIG, model: entry.id, thinking, effort, maxTokens: 4000 }))
      .filter((config) => settingsProblems(entry, config).length === 0);
    if (entry.thinking.mode === "always" && !thinking) {
      // A session cannot turn off an always-thinking model: the settings check refuses it, naming `thinking`.
      expect(settings).toEqual([]);
      expect(settingsProblems(entry, { thinking, effort: null, maxTokens: 4000 })).toEqual([{ field: "thinking", message: `${entry.label} always thinks: thinking cannot be turned off` }]);
      return;
    }
    expect(settings.length).toBeGreaterThan(0);
    for (const config of settings) {
      const before = api.requests.length;
      const h = await loopHarness(api, config);
      api.enqueue(fake.message(...(thinking ? [fake.thinking("Considering.", "sig-1")] : []), fake.text("Done.")));
      h.say("hello");
      expect(await h.loop.runTurn()).toEqual({ kind: "ended" });
      expect(api.refusals).toEqual([]);
      const [sent] = api.requests.slice(before);
      expect(sent.body.model).toBe(entry.id);
      expect(sent.body).not.toHaveProperty("temperature");
      expect(sent.body.output_config?.effort ?? null).toBe(config.effort);
      const thinks = sent.body.thinking ? ["enabled", "adaptive"].includes(sent.body.thinking.type) : entry.thinking.onByDefault;
      expect(thinks).toBe(thinking || entry.thinking.mode === "always");
    }
  });
});
