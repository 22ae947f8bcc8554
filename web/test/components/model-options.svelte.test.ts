import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch, type ModelView } from "#lib/api.ts";
import { resetModels } from "#lib/models.ts";
import { defaultForm, toBody } from "#lib/session-form.ts";
import SessionSettingsFields from "#lib/components/SessionSettingsFields.svelte";

import { CATALOG as BUILT_IN, modelViews } from "@tandem/protocol/models";

// The built-in catalog as the server answers it on a day its first model is retired.
const CATALOG: ModelView[] = modelViews(BUILT_IN, Date.parse("2026-12-06T12:00:00Z"));
const retired = CATALOG.find((m) => m.retired)!;
const standard = CATALOG.find((m) => m.default)!;
const ending = CATALOG.find((m) => !m.retired && m.endOfLife !== null)!;

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
    expect(options).toHaveLength(CATALOG.length);
    const text = (id: string) => options.find((o) => o.value === id)?.textContent;
    expect(text(retired.id)).toBe(
      `${retired.label} · retired ${retired.endOfLife}, use ${retired.successor}`,
    );
    expect(text(standard.id)).toBe(`${standard.label} · default`);
    expect(text(ending.id)).toBe(`${ending.label} · end of life ${ending.endOfLife}`);
    expect(options.find((o) => o.value === retired.id)?.disabled).toBe(true);
    // The default is the retired first model's successor (SPEC §2).
    expect(standard.id).toBe(retired.successor);
    expect(form.model).toBe(standard.id);
    expect(target.querySelector<HTMLSelectElement>("#t-model")?.value).toBe(standard.id);
    expect(toBody(form).model).toBe(standard.id);
    // The dialog resets its form each time it opens: the default is chosen again, not left blank.
    form.model = "";
    flushSync();
    expect(target.querySelector<HTMLSelectElement>("#t-model")?.value).toBe(standard.id);
    expect(target.querySelector("#t-model-capabilities")?.textContent).toBeTruthy();
  });

  it("shows the chosen model's capabilities, offers its efforts with the reason others are disabled, and locks thinking on where it always thinks", async () => {
    setFetch(async () => Response.json({ models: CATALOG }));
    const target = document.createElement("div");
    document.body.append(target);
    const form = $state(defaultForm());
    const app = mount(SessionSettingsFields, { target, props: { form, errors: {}, idPrefix: "t" } });
    cleanup = () => unmount(app);
    for (let i = 0; i < 5; i++) await tick();
    flushSync();
    const capabilities = () => target.querySelector("#t-model-capabilities")?.textContent ?? "";
    const effort = () => target.querySelector<HTMLSelectElement>("#t-effort")!;
    const thinking = () =>
      target.querySelector<HTMLInputElement>('input[aria-describedby="t-thinking-hint"]')!;

    const noEffort = CATALOG.find((m) => !m.retired && m.effort.levels.length === 0)!;
    form.model = noEffort.id;
    flushSync();
    expect(capabilities()).toContain("no effort setting");
    expect(effort().disabled).toBe(true);

    const always = CATALOG.find((m) => !m.retired && m.thinking.mode === "always")!;
    form.model = always.id;
    flushSync();
    expect(capabilities()).toContain("always thinks");
    expect(effort().disabled).toBe(false);
    expect(thinking().checked).toBe(true);
    expect(thinking().disabled).toBe(true);
    expect(target.querySelector("#t-thinking-hint")?.textContent).toContain(`${always.label} always thinks`);
    const level = always.effort.levels[0];
    effort().selectedIndex = [...effort().options].findIndex((o) => o.textContent === level);
    effort().dispatchEvent(new Event("change"));
    flushSync();
    expect(toBody(form)).toMatchObject({ model: always.id, effort: level, thinking: true });

    // A model that lacks the chosen level: the level is disabled with the reason, and the effort goes back to the default.
    const fewer = CATALOG.find(
      (m) => !m.retired && m.effort.levels.length > 0 && !m.effort.levels.includes("xhigh"),
    )!;
    form.effort = "xhigh";
    form.model = fewer.id;
    flushSync();
    const xhigh = [...effort().options].find((o) => o.textContent?.startsWith("xhigh"))!;
    expect(xhigh.disabled).toBe(true);
    expect(xhigh.title).toBe(`${fewer.label} takes effort ${fewer.effort.levels.join(", ")}`);
    expect(form.effort).toBeNull();
    expect(target.querySelector("#t-effort-hint")?.textContent).toContain(`${fewer.label} takes effort`);
  });
});
