import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { setFetch } from "#lib/api.ts";
import type { AgentStatus, Changes as ChangesBody, Phase } from "#lib/api.ts";
import Changes from "#lib/components/session/Changes.svelte";
import { unopenedRoom } from "./unopened-room.ts";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  setFetch((...args) => fetch(...args));
});

const CHANGES: ChangesBody = {
  repos: [
    {
      url: "https://github.com/acme/app.git",
      branch: "main",
      baseCommit: "0".repeat(40),
      files: [{ path: "login.ts", status: "added", additions: 1, deletions: 0, binary: false }],
      diff: "+x\n",
      diffTruncated: false,
    },
  ],
};

/** The panel for a session in `phase`; the API answers `answer` to GET …/changes. */
function render(phase: Phase, agentStatus: AgentStatus | null, answer: () => Response) {
  const calls: string[] = [];
  setFetch(async (url, init) => {
    calls.push(`${init?.method} ${String(url)}`);
    return answer();
  });
  const room = unopenedRoom();
  const target = document.createElement("div");
  document.body.append(target);
  const app = mount(Changes, {
    target,
    props: {
      wsId: "w1",
      sessionId: "s1",
      room,
      phase,
      agentStatus,
      canPush: true,
      displayName: "Fix",
      pullRequestUrl: null,
      onpushed: () => {},
    },
  });
  flushSync();
  cleanup = () => {
    unmount(app);
    room.destroy();
  };
  return { target, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("Changes once no agent runs", () => {
  it.each(["Stopped", "Completed", "Failed"] as const)(
    "%s: reads the saved workspace's changes at once, and offers the push",
    async (phase) => {
      const { target, calls } = render(
        phase,
        "idle",
        () => new Response(JSON.stringify(CHANGES), { status: 200 }),
      );
      await settle();
      flushSync();
      expect(calls).toEqual(["GET /api/workspaces/w1/sessions/s1/changes"]);
      expect(target.querySelector('li[data-file="login.ts"]')).not.toBeNull();
      expect(target.textContent).toContain("these are the changes in its saved workspace");
      const push = [...target.querySelectorAll("button")].find((b) => b.textContent === "Push…");
      expect(push?.disabled).toBe(false);
    },
  );

  it("with nothing saved, shows the server's reason and no push", async () => {
    const message =
      "the session is Stopped and has no saved workspace: there is nothing saved to read changes from or push";
    const { target } = render(
      "Stopped",
      null,
      () => new Response(JSON.stringify({ error: { code: "agent_not_running", message } }), { status: 409 }),
    );
    await settle();
    flushSync();
    expect(target.textContent).toContain("has no saved workspace");
    expect([...target.querySelectorAll("button")].some((b) => b.textContent === "Push…")).toBe(false);
  });

  it("Stopping: asks nothing (the agent is saving)", async () => {
    const { target, calls } = render(
      "Stopping",
      "idle",
      () => new Response(JSON.stringify(CHANGES), { status: 200 }),
    );
    await settle();
    expect(calls).toEqual([]);
    expect(target.textContent).toContain("Changes are read from the running agent.");
  });
});
