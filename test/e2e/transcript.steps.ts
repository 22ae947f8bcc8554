/**
 * A transcript that scales (issue 25), two people on one session: the agent's calls in a row fold into one
 * group that shows the running call, both see the "agent is working" line while it works, and B, scrolled
 * up to read, is offered "Jump to latest" when A's prompt makes the agent write, instead of being pulled
 * down to it.
 */
import assert from "node:assert/strict";
import path from "node:path";
import type { Page } from "playwright-core";
import { axeViolations } from "./a11y.ts";
import { agentSaid, it, send, SHOTS, transcript, WAIT, type Cast } from "./story.ts";

/** How far the transcript's view is from its end, in pixels. */
const fromEnd = (page: Page) =>
  transcript(page).evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);

export function transcriptSteps(cast: () => Cast) {
  it("A's three commands in a row show as one group of calls for A and B, with the working line while they run", async () => {
    const { alice, bob } = cast();
    const people = [alice.page, bob.page];
    await send(alice.page, "/steps sleep 2; echo two-$((1 + 1)); sleep 2");
    for (const page of people) {
      await transcript(page).locator("[data-working]", { hasText: "The agent is working" }).waitFor(WAIT);
      // Folded while it runs: the summary says so, and the running call shows below it.
      const group = transcript(page).locator("[data-tool-group]", { hasText: "Running 3 tools" });
      await group.locator('[data-tool="Bash"] .status', { hasText: "running" }).waitFor(WAIT);
    }
    for (const page of people) {
      const group = transcript(page).locator("[data-tool-group]", { hasText: "Ran 3 tools" }).last();
      await group.waitFor(WAIT);
      await transcript(page)
        .locator("[data-working]")
        .waitFor({ state: "detached", ...WAIT });
      assert.equal(await group.locator("[data-tool]").count(), 0, "a finished group stays folded");
    }
    // B opens it: a button that says it expands, with a chevron, and each call as a terminal inside.
    const group = transcript(bob.page).locator("[data-tool-group]", { hasText: "Ran 3 tools" }).last();
    const toggle = group.getByRole("button", { name: /Ran 3 tools/ });
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    assert.equal(await toggle.locator("[data-chevron].open").count(), 1);
    const commands = await group.locator('[data-tool="Bash"] .terminal .command').allTextContents();
    assert.deepEqual(
      commands.map((c) => c.trim()),
      ["$ sleep 2", "$ echo two-$((1 + 1))", "$ sleep 2"],
    );
    await group.locator('[data-tool="Bash"] samp', { hasText: "two-2" }).waitFor(WAIT);
    await group.scrollIntoViewIfNeeded();
    await bob.page.screenshot({ path: path.join(SHOTS, "transcript-tool-group.png") });
  });

  it("B, scrolled up to read, is offered Jump to latest when A's prompt makes the agent write", async () => {
    const { alice, bob } = cast();
    const said = "a reply for Bob to catch up on";
    const room = await transcript(bob.page).evaluate((el) => el.scrollHeight - el.clientHeight);
    assert.ok(room > 200, `B's transcript is too short to scroll up in (${room} px)`);
    await transcript(bob.page).evaluate((el) => (el.scrollTop = 0));
    await bob.page.waitForFunction(() => !document.querySelector("[data-jump]"));

    await send(alice.page, said);
    await agentSaid(alice.page, said).waitFor(WAIT);
    await agentSaid(bob.page, said).waitFor({ state: "attached", ...WAIT });
    const jump = bob.page.getByRole("button", { name: "Jump to latest" });
    await jump.waitFor(WAIT);
    // B stays where B was reading; A, at the end, follows and is offered nothing.
    assert.equal(await transcript(bob.page).evaluate((el) => el.scrollTop), 0);
    assert.equal(await alice.page.locator("[data-jump]").count(), 0);
    await alice.page.waitForFunction(() => {
      const el = document.querySelector("section.transcript");
      return el !== null && el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    });

    await jump.click();
    await jump.waitFor({ state: "detached", ...WAIT });
    await bob.page.waitForFunction(() => {
      const el = document.querySelector("section.transcript");
      return el !== null && el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    });
    assert.ok((await fromEnd(bob.page)) < 80);
    assert.ok(await agentSaid(bob.page, said).isVisible());
  });

  it("on a 390×844 phone, B reaches time left, model and permission mode from the one-line header", async () => {
    const { bob, sessionURL } = cast();
    const phone = await bob.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(sessionURL);
      const header = phone.locator("header.head");
      const facts = header.getByRole("button", { name: /^\d+:\d\d left, session details$/ });
      await facts.waitFor(WAIT);
      // The desktop's in-line figures are hidden here; the button carries the time and stays on the one line.
      assert.equal(await header.locator("[data-time-left]").isVisible(), false);
      const box = await header.boundingBox();
      assert.ok(box && box.height < 64, `the phone's header is ${box?.height} px tall`);
      assert.ok(box && box.width <= 390, `the phone's header is ${box?.width} px wide`);
      await facts.click();
      const details = phone.locator(".session-facts");
      await details.getByRole("heading", { name: "Session details" }).waitFor(WAIT);
      assert.match(
        (await details.locator('[data-fact="time-left"]').innerText()).trim(),
        /^\d+:\d\d of its budget$/,
      );
      // The model by its label, and, once the room has it from the agent, that it is the offline one.
      await details.locator('[data-fact="model"]', { hasText: /offline model/ }).waitFor(WAIT);
      assert.ok((await details.locator('[data-fact="permission-mode"]').innerText()).trim().length > 0);
      const found = await axeViolations(phone, { bestPractice: true });
      assert.deepEqual(found, [], JSON.stringify(found, null, 2));
      await phone.keyboard.press("Escape");
      await details.waitFor({ state: "detached", ...WAIT });
      // A desktop keeps its layout: the figures in line, no button for them.
      await phone.setViewportSize({ width: 1280, height: 800 });
      await header.locator("[data-time-left]").waitFor(WAIT);
      assert.equal(await header.locator("[data-session-facts]").isVisible(), false);
    } finally {
      await phone.close();
    }
  });

  it("B finds words in the transcript with /: a count, the match marked and scrolled into view", async () => {
    const { bob } = cast();
    const page = bob.page;
    await transcript(page).evaluate((el) => (el.scrollTop = el.scrollHeight));
    // Out of the composer: `/` typed in a field is a character, not the shortcut.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("/");
    const field = page.getByRole("searchbox", { name: "Find in transcript" });
    await field.waitFor(WAIT);
    await field.fill("hello from alice");
    const count = page.locator("[data-find-count]");
    await count.filter({ hasText: /^\d+ of \d+$/ }).waitFor(WAIT);
    const [at, total] = ((await count.textContent()) ?? "").split(" of ").map(Number);
    assert.ok(total >= 2 && at === total, `${at} of ${total}`);
    // Back to the first: A's own message, near the top, brought into view and highlighted.
    await field.press("Enter");
    await count.filter({ hasText: `1 of ${total}` }).waitFor(WAIT);
    const first = transcript(page).locator("article[data-find-current]");
    assert.equal(await first.getAttribute("data-role"), "user");
    assert.ok(await first.isVisible());
    assert.ok(
      await first.evaluate((el) => {
        const box = el.getBoundingClientRect();
        const view = el.closest("section.transcript")!.getBoundingClientRect();
        return box.bottom > view.top && box.top < view.bottom;
      }),
      "the match is not scrolled into view",
    );
    assert.equal(await page.evaluate(() => CSS.highlights.has("transcript-find-current")), true);
    const found = await axeViolations(page, { bestPractice: true });
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));
    await field.press("Escape");
    await field.waitFor({ state: "detached", ...WAIT });
    assert.equal(await transcript(page).locator("article[data-find-current]").count(), 0);
  });
}
