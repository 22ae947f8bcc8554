import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { TriggerSchema } from "@tandem/protocol/triggers";
import ShownOnce from "#lib/components/ui/ShownOnce.svelte";
import TriggerCreated from "#lib/components/triggers/TriggerCreated.svelte";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

type Props = Parameters<typeof ShownOnce>[1];

function render(props: Props) {
  const target = document.body.appendChild(document.createElement("div"));
  const app = mount(ShownOnce, { target, props });
  cleanup = () => unmount(app);
  flushSync();
}

const button = (name: string) =>
  [...document.querySelectorAll("button")].find((b) => b.textContent?.trim() === name);

describe("ShownOnce: a secret the server shows only once", () => {
  it("says so, shows the secret with its copy button, and puts it away when the person has copied it", () => {
    let done = 0;
    render({
      title: "Your new token “cli”",
      warning: "Store it somewhere safe.",
      secret: "tdm_abc123",
      copyLabel: "Copy token",
      doneLabel: "I have copied it",
      ondone: () => done++,
      "data-created-token": "",
    });
    const panel = document.querySelector<HTMLElement>("section[data-created-token]");
    expect(panel).not.toBeNull();
    // Named by its heading, a landmark a screen reader can jump to.
    const heading = panel?.querySelector("h2");
    expect(panel?.getAttribute("aria-labelledby")).toBe(heading?.id);
    expect(heading?.textContent).toBe("Your new token “cli”");
    expect(panel?.querySelector('[role="note"]')?.textContent).toBe(
      "Copy it now: it is shown only this once. Store it somewhere safe.",
    );
    expect(panel?.querySelector("[data-secret]")?.textContent).toBe("tdm_abc123");
    expect(button("Copy token")).toBeDefined();
    button("I have copied it")?.click();
    expect(done).toBe(1);
  });

  it("without a title it is a plain note inside the section that asked for it", () => {
    render({
      warning: "",
      secret: "s3cret",
      copyLabel: "Copy secret",
      doneLabel: "I have copied the secret",
      ondone: () => {},
    });
    expect(document.querySelector("section")).toBeNull();
    expect(document.querySelector("div.shown-once [data-secret]")?.textContent).toBe("s3cret");
  });

  it("is the trigger page's panel too, with the payload URL and the signed curl example", () => {
    const trigger = TriggerSchema.parse({
      id: "t1",
      name: "issues",
      session: { repos: [] },
      promptTemplate: "Look at {{issue.title}}",
      filter: { event: "issues", action: "opened" },
      callbackUrl: null,
      requireApproval: false,
      webhookUrl: "https://tandem.example/webhooks/t1",
      createdBy: { id: "u1", name: "Ada" },
      createdAt: 1,
    });
    const target = document.body.appendChild(document.createElement("div"));
    const app = mount(TriggerCreated, { target, props: { trigger, secret: "whsec_1", ondone: () => {} } });
    cleanup = () => unmount(app);
    flushSync();
    const panel = document.querySelector('section.shown-once[data-trigger-created="t1"]');
    expect(panel?.querySelector("h2")?.textContent).toBe("Trigger “issues” created");
    expect(panel?.querySelector("[data-secret]")?.textContent).toBe("whsec_1");
    expect(panel?.querySelector("[data-webhook-url]")?.textContent).toBe(trigger.webhookUrl);
    expect(panel?.querySelector("[data-curl]")?.textContent).toContain("whsec_1");
    expect(button("I have copied the secret")).toBeDefined();
  });
});
