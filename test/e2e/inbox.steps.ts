/**
 * The session list as a live inbox (issue 25), two people in one workspace: B's open list shows A's new
 * session and its agent's question within a second, over the workspace's feed (no poll); B sees it unread
 * (a mark and the tab's count) until B opens it; "Waiting for you" comes first, the chips count, the search
 * finds it. A, with desktop notifications turned on (the permission granted in A's browser), is notified
 * when a session A started waits for an answer.
 */
import assert from "node:assert/strict";
import path from "node:path";
import type { Page } from "playwright-core";
import { axeViolations } from "./a11y.ts";
import { it, SHOTS, WAIT, type Cast } from "./story.ts";

/** What the story promises about the live list: a change shows in every open list within a second. */
const LIVE_WITHIN_MS = 1000;

const row = (page: Page, id: string) => page.locator(`tr[data-session="${id}"]`);

/** Waits until `ready` holds and returns how long after `since` it was seen (the page polls each frame). */
async function seenAfter(page: Page, since: number, ready: () => Promise<unknown>): Promise<number> {
  await ready();
  return Date.now() - since;
}

export function inboxSteps(cast: () => Cast) {
  let askedId = "";

  it("B's open list shows A's new session and its agent's question within a second; unread until B opens it", async () => {
    const { alice, bob, run, workspaceURL } = cast();
    const b = bob.page;
    await b.goto(workspaceURL);
    await b.locator('main[data-feed="open"]').waitFor(WAIT);
    await b.locator('table[aria-label="Sessions"]').waitFor(WAIT);

    // `?new=1` (the shell's `c` key) opens New Session with the prompt focused; Ctrl+Enter creates.
    const a = alice.page;
    await a.goto(`${workspaceURL}?new=1`);
    await a.locator("#ns-prompt:focus").waitFor(WAIT);
    assert.ok(!a.url().includes("new=1"), "the dialog's word stays in the URL");
    await a.locator("#ns-prompt").fill(`/ask Which colour for ${run}?`);
    const created = a.waitForResponse(
      (res) => res.url().endsWith("/sessions") && res.request().method() === "POST",
    );
    await a.locator("#ns-prompt").press("Control+Enter");
    const answer = await created;
    const createdAt = Date.now();
    askedId = ((await answer.json()) as { session: { id: string; displayName: string } }).session.id;
    const shown = await seenAfter(b, createdAt, () => row(b, askedId).waitFor(WAIT));
    console.log(`[inbox] a new session showed in B's list ${shown} ms after A's create answered`);
    assert.ok(shown < LIVE_WITHIN_MS, `the new session took ${shown} ms to show`);
    // Named from its prompt, not a random slug.
    await row(b, askedId)
      .getByRole("link", { name: `Open /ask Which colour for ${run}` })
      .waitFor(WAIT);

    await a.waitForURL(`**/s/${askedId}`);
    await a.locator(".question.waiting", { hasText: `Which colour for ${run}?` }).waitFor(WAIT);
    const askedAt = Date.now();
    const waited = await seenAfter(b, askedAt, () =>
      row(b, askedId).locator('[data-inbox-status="waiting"]').waitFor(WAIT),
    );
    console.log(`[inbox] the question showed in B's list ${waited} ms after A's page showed it`);
    assert.ok(waited < LIVE_WITHIN_MS, `the question took ${waited} ms to show`);

    // Waiting for you first; unread for B (a mark, and the count in the tab's title).
    assert.equal(await b.locator("tbody tr").first().getAttribute("data-session"), askedId);
    assert.equal(
      await row(b, askedId)
        .getAttribute("class")
        .then((c) => /\bunread\b/.test(c ?? "")),
      true,
    );
    assert.match(await b.title(), /^\(\d+\) /);
    await b.screenshot({ path: path.join(SHOTS, "inbox.png") });
    const found = await axeViolations(b);
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));

    // The chips count and filter; the search finds the session by its prompt's words.
    const waitingChip = b.locator('[data-chip="waiting"]');
    await b.waitForFunction(
      () => Number(document.querySelector('[data-chip="waiting"] [data-count]')?.textContent) >= 1,
      null,
      WAIT,
    );
    await waitingChip.click();
    // The list under the chip: only sessions that wait, this one among them.
    await b.waitForFunction(
      (id) => {
        const rows = [...document.querySelectorAll("tbody tr")];
        return (
          rows.some((r) => r.getAttribute("data-session") === id) &&
          rows.every((r) => r.getAttribute("data-status") === "waiting")
        );
      },
      askedId,
      WAIT,
    );
    await b.locator('[data-chip="all"]').click();
    await b.locator("[data-search]").fill(`colour for ${run}`);
    await b.locator("tbody tr").first().waitFor(WAIT);
    await b.waitForFunction(() => document.querySelectorAll("tbody tr").length === 1);
    assert.equal(await b.locator("tbody tr").first().getAttribute("data-session"), askedId);

    // The whole row opens it (a click beside the name); once seen, it is read when B comes back.
    // A person's click beside the name (the name's link stretches over the row, so it takes the click).
    const cell = await row(b, askedId).locator("td.activity").boundingBox();
    assert.ok(cell, "the row's last-activity cell is not on screen");
    await b.mouse.click(cell.x + cell.width / 2, cell.y + cell.height / 2);
    await b.waitForURL(`**/s/${askedId}`);
    await b.locator(".question.waiting").waitFor(WAIT);
    await b.goto(workspaceURL);
    await row(b, askedId).waitFor(WAIT);
    assert.equal(/\bunread\b/.test((await row(b, askedId).getAttribute("class")) ?? ""), false);
  });

  it("A turns on desktop notifications and is notified when a session A started waits for an answer", async () => {
    const { alice, stack, run, workspaceURL } = cast();
    await alice.context.grantPermissions(["notifications"], { origin: stack.baseURL });
    // Records every notification the page shows (headless Chromium shows none on screen).
    await alice.context.addInitScript(() => {
      const Real = window.Notification;
      const shown: { title: string; body?: string }[] = [];
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push({ title, body: options?.body });
        }
      }
      Object.defineProperty(window, "Notification", { value: Recorded, configurable: true });
      Object.defineProperty(window, "shownNotifications", { value: shown });
    });
    const a = alice.page;
    await a.goto(workspaceURL);
    await a.locator('main[data-feed="open"]').waitFor(WAIT);
    const toggle = a.locator("[data-notifications]");
    await toggle.check();
    await a.waitForFunction(() => localStorage.getItem("tandem.notifications") === "on");

    const ws = workspaceURL.split("/").pop();
    const start = (prompt: string) =>
      a.evaluate(
        async ({ ws, prompt }) => {
          const res = await fetch(`/api/workspaces/${ws}/sessions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ prompt }),
          });
          return ((await res.json()) as { session: { id: string } }).session.id;
        },
        { ws, prompt },
      );
    const notified = (name: string) =>
      a.waitForFunction(
        (name) =>
          (window as unknown as { shownNotifications: { title: string }[] }).shownNotifications.some(
            (n) => n.title === `${name} waits for your answer`,
          ),
        name,
        WAIT,
      );
    const id = await start(`/ask Notify me ${run}?`);
    await row(a, id).locator('[data-inbox-status="waiting"]').waitFor(WAIT);
    await notified(`/ask Notify me ${run}`);

    // On a session's page the workspace shell holds the feed: A is still told when another session waits.
    await a.goto(`${workspaceURL}/s/${id}`);
    await a.locator(".question.waiting").waitFor(WAIT);
    await start(`/ask Notify me again ${run}?`);
    await notified(`/ask Notify me again ${run}`);
  });
}
