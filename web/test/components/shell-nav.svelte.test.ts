/**
 * The shell's page links wait for the person's role. Drawn before it, an owner's links (Triggers, Secrets…)
 * came in above Members when the role arrived and moved it from under the pointer: a click on Members was
 * lost (the browser story's rare "Members' Email field" failure).
 */
import { afterEach, describe, expect, it } from "vitest";
import { renderWorkspace, settle, unmountWorkspace } from "../fixtures/render-workspace";

afterEach(unmountWorkspace);

const links = (target: HTMLElement) =>
  [...target.querySelectorAll('nav[aria-label="Workspace"] a')].map((a) => a.textContent?.trim());

describe("the workspace shell's page links", () => {
  it("are drawn once the role is known, all at once, so none moves under the pointer", async () => {
    let answer = () => {};
    const role = new Promise<void>((resolve) => (answer = resolve));
    const shell = renderWorkspace("/w/ws1/members", {
      list: false,
      pages: [
        {
          sessions: [],
          nextCursor: null,
          counts: { all: 0, waiting: 0, working: 0, idle: 0, ended: 0, unread: 0 },
        },
      ],
      workspaceAfter: role,
    });
    await settle();
    expect(links(shell.target)).toEqual([]);
    answer();
    await settle();
    expect(links(shell.target)).toEqual(
      expect.arrayContaining(["Sessions", "Triggers", "Secrets", "Members", "Settings"]),
    );
  });

  it("still lead to the pages anyone may see when the workspace cannot be read", async () => {
    const shell = renderWorkspace("/w/ws1/members", {
      list: false,
      pages: [
        {
          sessions: [],
          nextCursor: null,
          counts: { all: 0, waiting: 0, working: 0, idle: 0, ended: 0, unread: 0 },
        },
      ],
      workspaceAfter: Promise.reject(new Error("offline")),
    });
    await settle();
    expect(links(shell.target)).toContain("Members");
    expect(links(shell.target)).not.toContain("Secrets");
  });
});
