import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { defaultForm, FINISH_LABEL, toBody } from "#lib/session-form.ts";
import SessionSettingsFields from "#lib/components/SessionSettingsFields.svelte";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

function render(interactive: boolean) {
  const target = document.createElement("div");
  document.body.append(target);
  const form = $state({ ...defaultForm(), interactive });
  const app = mount(SessionSettingsFields, { target, props: { form, errors: {}, idPrefix: "t" } });
  flushSync();
  cleanup = () => unmount(app);
  const box = [...target.querySelectorAll("label")]
    .find((l) => l.textContent?.includes(FINISH_LABEL))
    ?.querySelector("input");
  if (!box) throw new Error("no finish-on-its-own checkbox");
  return { form, box };
}

describe("SessionSettingsFields", () => {
  it("a person's session waits for messages until the box is ticked", () => {
    const { form, box } = render(true);
    expect(box.checked).toBe(false);
    box.click();
    flushSync();
    expect(form.interactive).toBe(false);
    expect(toBody(form).interactive).toBe(false);
    expect(box.getAttribute("aria-describedby")).toBe("t-interactive-hint");
  });

  it("a trigger's form starts ticked, and unticking makes its sessions interactive", () => {
    const { form, box } = render(false);
    expect(box.checked).toBe(true);
    box.click();
    flushSync();
    expect(form.interactive).toBe(true);
  });
});

describe("SessionSettingsFields: workflows", () => {
  it("lists the workspace's workflows beside the built-ins, and the chosen one goes into the body", () => {
    const target = document.createElement("div");
    document.body.append(target);
    const form = $state(defaultForm());
    const workflows = [
      { name: "bug-fix", title: "Bug fix", builtIn: true },
      { name: "release-notes", title: "Release notes", builtIn: false },
    ];
    const app = mount(SessionSettingsFields, {
      target,
      props: { form, errors: {}, idPrefix: "t", workflows },
    });
    flushSync();
    cleanup = () => unmount(app);
    const select = target.querySelector<HTMLSelectElement>("#t-workflow")!;
    const groups = [...select.querySelectorAll("optgroup")].map((g) => [
      g.label,
      [...g.querySelectorAll("option")].map((o) => o.value),
    ]);
    expect(groups).toEqual([
      ["Built-in", ["bug-fix"]],
      ["This workspace", ["release-notes"]],
    ]);
    select.value = "release-notes";
    select.dispatchEvent(new Event("change"));
    flushSync();
    expect(toBody(form).workflow).toBe("release-notes");
  });
});
