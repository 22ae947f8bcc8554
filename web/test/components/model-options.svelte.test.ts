import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch, type ModelView } from "#lib/api.ts";
import { resetModels } from "#lib/models.ts";
import { defaultForm, toBody } from "#lib/session-form.ts";
import SessionSettingsFields from "#lib/components/SessionSettingsFields.svelte";

const pricing = { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 };
const CATALOG: ModelView[] = [
  { id: "claude-sonnet-4-5", label: "Claude Sonnet 4.5", default: false, retired: true, endOfLife: "2026-11-30", successor: "claude-sonnet-4-6", contextWindow: 200_000, maxOutputTokens: 64_000, pricing },
  { id: "claude-opus-4-6", label: "Claude Opus 4.6", default: true, retired: false, endOfLife: null, successor: null, contextWindow: 1_000_000, maxOutputTokens: 128_000, pricing },
  { id: "claude-opus-4-5", label: "Claude Opus 4.5", default: false, retired: false, endOfLife: "2027-01-22", successor: "claude-opus-4-6", contextWindow: 200_000, maxOutputTokens: 64_000, pricing },
];

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  resetModels();
  setFetch((...args) => fetch(...args));
});

describe("the model select", () => {
  it("lists the server's catalog with end-of-life dates, marks and selects the default, and disables a retired model", async () => {
    const asked: string[] = [];
    setFetch(async (input) => {
      asked.push(String(input));
      return Response.json({ models: CATALOG });
    });
    const target = document.createElement("div");
    document.body.append(target);
    const form = $state(defaultForm());
    const app = mount(SessionSettingsFields, { target, props: { form, errors: {}, idPrefix: "t" } });
    cleanup = () => unmount(app);
    for (let i = 0; i < 5; i++) await tick();
    flushSync();
    expect(asked).toEqual(["/api/models"]);
    const options = [...target.querySelectorAll<HTMLOptionElement>("#t-model option")];
    expect(options.map((o) => o.textContent)).toEqual([
      "Claude Sonnet 4.5 · retired 2026-11-30, use claude-sonnet-4-6",
      "Claude Opus 4.6 · default",
      "Claude Opus 4.5 · end of life 2027-01-22",
    ]);
    expect(options[0].disabled).toBe(true);
    expect(form.model).toBe("claude-opus-4-6");
    expect(target.querySelector<HTMLSelectElement>("#t-model")?.value).toBe("claude-opus-4-6");
    expect(toBody(form).model).toBe("claude-opus-4-6");
  });
});
