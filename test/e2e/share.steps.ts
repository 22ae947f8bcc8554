/**
 * Share links in the browser: A makes a link from the header's Share popover; a guest with no account opens it
 * and watches A's message and the agent's streamed reply arrive live, shown in presence as "guest", with
 * no composer or operations; the guest exports Markdown; A revokes the link and the guest's page ends.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { axeViolations } from "./a11y.ts";
import { agentSaid, it, phaseIs, send, SHOTS, transcript, WAIT, type Cast } from "./story.ts";

export function shareSteps(cast: () => Cast) {
  let guest: BrowserContext;
  let guestPage: Page;

  it("A shares the session; a guest without an account watches a streamed reply live", async () => {
    const { alice, browser, stack, sessionURL } = cast();
    const page = alice.page;
    await page.goto(sessionURL);
    await phaseIs(page, "Running");
    await page.getByRole("button", { name: "Share", exact: true }).click();
    await page.getByLabel("Link expires after").selectOption("24");
    await page.getByRole("button", { name: "Create link" }).click();
    const url = await page.getByLabel("New share link").inputValue();
    assert.match(url, /\/share\/tds_[0-9a-f]{64}$/);
    await page.keyboard.press("Escape");
    await page.locator(".popover.share").waitFor({ state: "detached" });

    guest = await browser.newContext({ baseURL: stack.baseURL, viewport: { width: 1280, height: 800 } });
    guestPage = await guest.newPage();
    guestPage.on("pageerror", (err) => console.error("[guest page error]", err.message));
    await guestPage.goto(new URL(url).pathname);
    await phaseIs(guestPage, "Running");
    await transcript(guestPage)
      .locator('article[data-role="user"]', { hasText: "hello from Alice" })
      .waitFor(WAIT);
    await page.locator('[data-peer="guest"]').waitFor(WAIT);
    assert.equal(await guestPage.locator("#composer-text").count(), 0);
    for (const name of ["Stop", "Resume", "Clone", "Delete", "Rename session"]) {
      assert.equal(
        await guestPage.getByRole("button", { name, exact: true }).count(),
        0,
        `guest sees ${name}`,
      );
    }

    // Streamed: the guest sees the reply grow, token by token, before it is whole.
    await guestPage.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { __lengths: number[] }).__lengths = seen;
      const section = document.querySelector("section.transcript")!;
      const before = section.querySelectorAll('article[data-role="assistant"]').length;
      new MutationObserver(() => {
        const replies = section.querySelectorAll('article[data-role="assistant"]');
        // Only the new reply, as it grows.
        if (replies.length > before) seen.push(replies[replies.length - 1]!.textContent?.length ?? 0);
      }).observe(section, { subtree: true, childList: true, characterData: true });
    });
    await send(page, "a reply for the guest");
    await agentSaid(guestPage, "a reply for the guest").waitFor(WAIT);
    await page.locator('[data-agent-status="idle"]').waitFor(WAIT);
    await guestPage.locator('[data-agent-status="idle"]').waitFor(WAIT);
    const lengths = await guestPage.evaluate(() => (window as unknown as { __lengths: number[] }).__lengths);
    assert.ok(
      new Set(lengths).size >= 3,
      `the guest saw the reply whole, not streamed: ${JSON.stringify(lengths)}`,
    );
    await guestPage.screenshot({ path: path.join(SHOTS, "share-guest.png") });
    const found = await axeViolations(guestPage);
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));

    const [download] = await Promise.all([
      guestPage.waitForEvent("download"),
      guestPage.getByRole("link", { name: "Export as Markdown" }).click(),
    ]);
    const text = readFileSync(await download.path(), "utf8");
    assert.match(text, /a reply for the guest/);
    assert.doesNotMatch(text, new RegExp(alice.email.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  });

  it("A revokes the link: the guest's page ends, and the link answers nothing more", async () => {
    const { alice } = cast();
    await alice.page.getByRole("button", { name: "Share", exact: true }).click();
    const revokedAt = Date.now();
    await alice.page
      .getByRole("button", { name: /^Revoke link/ })
      .first()
      .click();
    await guestPage.getByRole("heading", { name: "This link no longer works" }).waitFor({ timeout: 5000 });
    assert.ok(Date.now() - revokedAt < 5000);
    await alice.page.keyboard.press("Escape");
    await alice.page.locator(".popover.share").waitFor({ state: "detached" });
    await guestPage.reload();
    await guestPage.getByRole("heading", { name: "This link no longer works" }).waitFor(WAIT);
    await guest.close();
  });
}
