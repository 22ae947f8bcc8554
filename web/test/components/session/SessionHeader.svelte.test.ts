import { flushSync, mount, unmount } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionState } from "#lib/transcript.ts";
import SessionHeader from "#lib/components/session/SessionHeader.svelte";
import { MODEL_IDS, MODEL_LABELS } from "@tandem/protocol/session-config";

let cleanup: (() => void) | undefined;
beforeEach(() => vi.useFakeTimers({ now: 1_000_000_000_000 }));
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  vi.useRealTimers();
});

/** A running session whose 15-minute budget has `leftSeconds` to go, its clock running since now. */
function render(leftSeconds: number, settings = { permissionMode: "auto", model: "" }) {
  const live: SessionState = {
    name: "fix-login",
    phase: "Running",
    agentStatus: "working",
    step: "",
    runSeconds: 900 - leftSeconds,
    activeSince: Date.now(),
    timeoutSeconds: 900,
    agentModel: "offline",
    artifacts: null,
    awaitingApproval: false,
    pullRequestUrl: null,
    usage: null,
    ...settings,
    mcpServers: [],
  };
  const target = document.createElement("div");
  document.body.append(target);
  const app = mount(SessionHeader, {
    target,
    props: {
      name: "fix-login",
      origin: undefined,
      phase: "Running",
      agentStatus: "working",
      awaitingApproval: false,
      live,
      timeoutSeconds: 900,
      runSeconds: 900 - leftSeconds,
      peers: [],
      connection: "connected",
    },
  });
  flushSync();
  cleanup = () => unmount(app);
  return target;
}

const alertText = (target: HTMLElement) => target.querySelector("[data-countdown-alert]")?.textContent ?? "";

describe("SessionHeader", () => {
  it("shows one status chip, and the countdown outside every live region", () => {
    const target = render(889);
    expect(target.querySelector("[data-status]")?.textContent).toMatch(/^Working/);
    const left = target.querySelector("[data-time-left]");
    expect(left?.textContent?.trim()).toBe("14:49 left");
    expect(left?.closest('[aria-live], [role="status"], [role="alert"], [role="log"]')).toBeNull();
  });

  it("announces the budget only as it crosses 5 minutes and 1 minute left", () => {
    const target = render(303);
    const heard: string[] = [];
    for (let i = 0; i < 250; i++) {
      vi.advanceTimersByTime(1000);
      flushSync();
      const text = alertText(target);
      if (text !== (heard.at(-1) ?? "")) heard.push(text);
    }
    expect(target.querySelector("[data-time-left]")?.textContent?.trim()).toBe("0:53 left");
    expect(heard).toEqual([
      "5 minutes left of this session's time budget.",
      "1 minute left of this session's time budget.",
    ]);
  });

  it("puts time left, model and permission mode behind one button a phone's header keeps, the time on it", async () => {
    const target = render(889, { permissionMode: "ask", model: MODEL_IDS[0] });
    const toggle = target.querySelector<HTMLButtonElement>("button[data-session-facts]");
    // Its name is its text: the visible time, then what it opens.
    expect(toggle?.textContent?.replace(/\s+/g, " ").trim()).toBe("14:49 left, session details");
    expect(toggle?.getAttribute("aria-label")).toBeNull();
    expect(toggle?.closest('[aria-live], [role="status"], [role="alert"]')).toBeNull();
    toggle?.click();
    await vi.advanceTimersByTimeAsync(50);
    flushSync();
    const facts = document.querySelector(".session-facts");
    expect(facts?.querySelector('[data-fact="time-left"]')?.textContent?.trim()).toBe("14:49 of its budget");
    expect(facts?.querySelector('[data-fact="model"]')?.textContent?.trim()).toBe(
      `${MODEL_LABELS[MODEL_IDS[0]]} (offline model: local, no network)`,
    );
    expect(facts?.querySelector('[data-fact="permission-mode"]')?.textContent?.trim()).toMatch(
      /^asks for approval/,
    );
  });
});
