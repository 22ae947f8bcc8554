import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch, type ModelView } from "#lib/api.ts";
import { resetModels } from "#lib/models.ts";
import NewSessionDialog from "#lib/components/NewSessionDialog.svelte";
import { CATALOG as BUILT_IN, modelViews } from "@tandem/protocol/models";

const CATALOG: ModelView[] = modelViews(BUILT_IN, Date.parse("2026-12-06T12:00:00Z"));
const standard = CATALOG.find((m) => m.default)!;

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  resetModels();
  localStorage.clear();
  setFetch((...args) => fetch(...args));
});

// jsdom has no <dialog> methods.
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.open = true;
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.open = false;
};

async function settle() {
  for (let i = 0; i < 10; i++) await tick();
  flushSync();
}

function render(sent: unknown[] = [], catalog: Promise<void> = Promise.resolve()) {
  setFetch(async (input, init) => {
    const url = String(input);
    if (url === "/api/models") {
      await catalog;
      return Response.json({ models: CATALOG });
    }
    if (url.endsWith("/workflows")) return Response.json({ workflows: [] });
    if (url.endsWith("/sessions") && init?.method === "POST") {
      sent.push(JSON.parse(String(init.body)));
      return Response.json({ session: { id: "s1" } }, { status: 201 });
    }
    return Response.json({ error: { code: "not_found", message: url } }, { status: 404 });
  });
  const target = document.createElement("div");
  document.body.append(target);
  const created: unknown[] = [];
  const app = mount(NewSessionDialog, {
    target,
    props: { workspaceId: "ws1", oncreated: (s: unknown) => created.push(s) },
  });
  cleanup = () => unmount(app);
  return { target, app, created };
}

describe("the New Session dialog", () => {
  it("shows the default model when opened after the catalog loaded, and again when opened a second time", async () => {
    const { target, app } = render();
    await settle();
    (app as { open(): void }).open();
    await settle();
    const select = () => target.querySelector<HTMLSelectElement>("#ns-model")!;
    expect(select().value).toBe(standard.id);
    target.querySelector<HTMLButtonElement>("button[data-cancel]")?.click();
    (app as { open(): void }).open();
    await settle();
    expect(select().value).toBe(standard.id);
  });

  it("shows the default model when it was opened before the catalog loaded", async () => {
    let loaded: () => void = () => {};
    const { target, app } = render([], new Promise<void>((resolve) => (loaded = resolve)));
    (app as { open(): void }).open();
    await settle();
    loaded();
    await settle();
    expect(target.querySelector<HTMLSelectElement>("#ns-model")!.value).toBe(standard.id);
  });

  it("puts the prompt first and focused; Ctrl+Enter creates; the choices are remembered for this workspace only", async () => {
    const sent: Record<string, unknown>[] = [];
    const { target, app, created } = render(sent as unknown[]);
    await settle();
    (app as { open(): void }).open();
    await settle();
    const prompt = target.querySelector<HTMLTextAreaElement>("#ns-prompt")!;
    expect(document.activeElement).toBe(prompt);
    // The prompt comes before every other field; the settings beyond model, repositories and workflow are under Advanced.
    const fields = [...target.querySelectorAll("textarea, input, select")];
    expect(fields[0]).toBe(prompt);
    expect(target.querySelector("details.advanced #ns-maxTokens")).not.toBeNull();
    expect(target.querySelector("details.advanced #ns-model")).toBeNull();
    expect(target.querySelector<HTMLDetailsElement>("details.advanced")!.open).toBe(false);

    prompt.value = "Fix the login test";
    prompt.dispatchEvent(new Event("input", { bubbles: true }));
    const other = CATALOG.find((m) => !m.retired && !m.default)!;
    const select = target.querySelector<HTMLSelectElement>("#ns-model")!;
    select.value = other.id;
    select.dispatchEvent(new Event("change", { bubbles: true }));
    flushSync();
    prompt.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", ctrlKey: true, bubbles: true }));
    await settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ prompt: "Fix the login test", model: other.id });
    expect(created).toHaveLength(1);

    // Opened again: the model chosen last time, an empty prompt.
    (app as { open(): void }).open();
    await settle();
    expect(target.querySelector<HTMLSelectElement>("#ns-model")!.value).toBe(other.id);
    expect(target.querySelector<HTMLTextAreaElement>("#ns-prompt")!.value).toBe("");
    expect(JSON.parse(localStorage.getItem("tandem.new-session.ws1")!)).not.toHaveProperty("prompt");
    expect(localStorage.getItem("tandem.new-session.ws2")).toBeNull();
  });

  it("opens Advanced when a field there is wrong", async () => {
    const { target, app } = render();
    await settle();
    (app as { open(): void }).open();
    await settle();
    const max = target.querySelector<HTMLInputElement>("#ns-maxTokens")!;
    max.value = "99";
    max.dispatchEvent(new Event("input", { bubbles: true }));
    target.querySelector<HTMLFormElement>("form")!.requestSubmit();
    await settle();
    expect(target.querySelector<HTMLDetailsElement>("details.advanced")!.open).toBe(true);
    expect(target.querySelector("#ns-maxTokens-error")?.textContent).toContain("100");
  });
});
