import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch } from "#lib/api.ts";
import type { Phase, Role, Session } from "#lib/api.ts";
import SessionNotice from "#lib/components/session/SessionNotice.svelte";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  setFetch((...args) => fetch(...args));
});

function render(props: {
  phase: Phase;
  awaitingApproval?: boolean;
  interactive?: boolean | null;
  reason?: string;
  role?: Role;
}) {
  const target = document.createElement("div");
  document.body.append(target);
  const changed: Session[] = [];
  const app = mount(SessionNotice, {
    target,
    props: {
      wsId: "w1",
      sessionId: "s1",
      awaitingApproval: false,
      interactive: true,
      reason: undefined,
      role: "editor",
      ...props,
      onchange: (s: Session) => changed.push(s),
    },
  });
  flushSync();
  cleanup = () => unmount(app);
  return { target, changed };
}

describe("SessionNotice", () => {
  it("tells a viewer that the session waits for approval, and offers no button", () => {
    const { target } = render({ phase: "Pending", awaitingApproval: true, role: "viewer" });
    expect(target.textContent).toMatch(/Waiting for approval/);
    expect(target.textContent).toMatch(/an owner or editor of the workspace approves it/);
    expect(target.querySelector("button")).toBeNull();
  });

  it("lets an editor approve through the API", async () => {
    const calls: string[] = [];
    setFetch(async (url, init) => {
      calls.push(`${init?.method} ${String(url)}`);
      return new Response(JSON.stringify({ session: { id: "s1", phase: "Creating" } }), { status: 202 });
    });
    const { target, changed } = render({ phase: "Pending", awaitingApproval: true, role: "editor" });
    const button = target.querySelector("button");
    expect(button?.textContent).toBe("Approve");
    button?.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual(["POST /api/workspaces/w1/sessions/s1/approve"]);
    expect(changed.map((s) => s.phase)).toEqual(["Creating"]);
  });

  it("says why a session ended: on its own, idle, timeout, a failure", () => {
    const cases: [Phase, string | undefined, boolean, RegExp][] = [
      ["Completed", undefined, false, /Completed\. The agent finished on its own/],
      ["Stopped", "idle", true, /Stopped while idle\. .*idle stop/],
      ["Failed", "timeout", true, /Timed out\. This run reached the session's timeout/],
      ["Failed", "the agent exited", true, /Failed\. Reason: the agent exited\./],
    ];
    for (const [phase, reason, interactive, text] of cases) {
      const { target } = render({ phase, reason, interactive });
      expect(target.textContent).toMatch(text);
      expect(target.textContent).toMatch(/Resume it to go on/);
      cleanup?.();
    }
    // A person's own stop needs no explanation, only the way back.
    expect(render({ phase: "Stopped", reason: "agent stopped" }).target.textContent).toMatch(
      /^\s*Stopped\. Its files are saved\. Resume it/,
    );
  });

  it("puts Resume inside the ended notice for an editor, and it resumes through the API", async () => {
    const calls: string[] = [];
    setFetch(async (url, init) => {
      calls.push(`${init?.method} ${String(url)}`);
      return new Response(JSON.stringify({ session: { id: "s1", phase: "Creating" } }), { status: 202 });
    });
    const { target, changed } = render({ phase: "Completed", role: "editor" });
    const button = target.querySelector<HTMLButtonElement>('[data-notice="completed"] button');
    expect(button?.textContent).toBe("Resume");
    button?.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual(["POST /api/workspaces/w1/sessions/s1/resume"]);
    expect(changed.map((s) => s.phase)).toEqual(["Creating"]);
    cleanup?.();
    // A viewer reads why it ended and gets no button.
    expect(render({ phase: "Failed", role: "viewer" }).target.querySelector("button")).toBeNull();
  });
});
