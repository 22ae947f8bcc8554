import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch, type ModelView } from "#lib/api.ts";
import { resetModels } from "#lib/models.ts";
import ScheduleDialog from "#lib/components/schedules/ScheduleDialog.svelte";
import TriggerDialog from "#lib/components/triggers/TriggerDialog.svelte";
import { CATALOG as BUILT_IN, modelViews } from "@tandem/protocol/models";

// The catalog as the server answers it; its default comes from it, not from the test.
const CATALOG: ModelView[] = modelViews(BUILT_IN, Date.now());
const standard = CATALOG.find((m) => m.default)!;

// jsdom has <dialog> without its modal methods.
HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
  this.open = true;
};
HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
  this.open = false;
};

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  resetModels();
  setFetch((...args) => fetch(...args));
});

async function settle() {
  for (let i = 0; i < 8; i++) {
    await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  flushSync();
}

describe("the schedule and trigger dialogs' model", () => {
  for (const [name, Dialog, prefix] of [
    ["schedule", ScheduleDialog, "sc"],
    ["trigger", TriggerDialog, "tr"],
  ] as const) {
    it(`the ${name} dialog shows the catalog's default model, and again each time it opens`, async () => {
      setFetch(async (input) =>
        String(input) === "/api/models"
          ? Response.json({ models: CATALOG })
          : Response.json({ workflows: [] }),
      );
      const target = document.createElement("div");
      document.body.append(target);
      const app = mount(Dialog, {
        target,
        props: { workspaceId: "w1", onsaved: () => {}, oncreated: () => {} },
      });
      cleanup = () => unmount(app);
      for (let round = 0; round < 2; round++) {
        (app as { open: () => void }).open();
        await settle();
        const select = target.querySelector<HTMLSelectElement>(`#${prefix}-model`);
        expect(select?.value, `round ${round}`).toBe(standard.id);
        expect(target.querySelector(`#${prefix}-model-capabilities`)?.textContent).toBeTruthy();
      }
    });
  }
});
