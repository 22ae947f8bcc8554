import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch } from "#lib/api.ts";
import type { AgentStatus, Phase, Session } from "#lib/api.ts";
import Composer from "#lib/components/session/Composer.svelte";
import { unopenedRoom } from "./unopened-room.ts";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  setFetch((...args) => fetch(...args));
});

function render(phase: Phase, agentStatus: AgentStatus | null, canStop = true) {
  const calls: string[] = [];
  setFetch(async (url, init) => {
    calls.push(`${init?.method} ${String(url)}`);
    return new Response(JSON.stringify({ session: { id: "s1", phase: "Stopping" } }), { status: 202 });
  });
  const room = unopenedRoom();
  const stopped: Session[] = [];
  const target = document.createElement("div");
  document.body.append(target);
  const app = mount(Composer, {
    target,
    props: {
      wsId: "w1",
      sessionId: "s1",
      room,
      phase,
      agentStatus,
      awaitingApproval: false,
      canChat: true,
      canStop,
      onstopped: (s: Session) => stopped.push(s),
    },
  });
  flushSync();
  cleanup = () => {
    unmount(app);
    room.destroy();
  };
  const button = (name: string) =>
    [...target.querySelectorAll("button")].find((b) => b.textContent?.trim() === name);
  return { target, calls, stopped, button };
}

describe("Composer", () => {
  it("puts a loud Stop beside the message while the agent works, and stops through the API", async () => {
    const { button, calls, stopped } = render("Running", "working");
    const stop = button("Stop");
    expect(stop?.classList.contains("loud")).toBe(true);
    stop?.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual(["POST /api/workspaces/w1/sessions/s1/stop"]);
    expect(stopped.map((s) => s.phase)).toEqual(["Stopping"]);
  });

  it("names sending for what it does while the agent works, with a hint", () => {
    const { target, button } = render("Running", "working");
    const send = button("Send after current step");
    expect(send).toBeTruthy();
    expect(send?.getAttribute("aria-describedby")).toBe("composer-hint");
    expect(target.querySelector("#composer-hint")?.textContent).toMatch(/when its current step ends/);
    expect(button("Interrupt")).toBeUndefined();
  });

  it("keeps Stop quiet while the agent is idle, and offers none once the session cannot stop", () => {
    const idle = render("Running", "idle");
    expect(idle.button("Send")).toBeTruthy();
    expect(idle.button("Stop")?.classList.contains("loud")).toBe(false);
    expect(idle.target.querySelector("#composer-hint")).toBeNull();
    cleanup?.();
    expect(render("Stopped", null, false).button("Stop")).toBeUndefined();
  });
});
