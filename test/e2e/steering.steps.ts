/**
 * Steering where the eye is (issue 25): Stop in the composer while the agent works, one status chip that
 * turns for everyone, Resume in the ended notice, the names popover and presence colours per scheme, the
 * session on a phone (a one-line header, the composer in view, details in tabs), and the budget warning in
 * the dark scheme's colours.
 */
import assert from "node:assert/strict";
import path from "node:path";
import type { Page } from "playwright-core";
import { PRESENCE_PALETTE } from "../../web/src/lib/presence.ts";
import { it, phaseIs, send, SHOTS, transcript, WAIT, type Cast } from "./story.ts";

/** The chip in the session's header showing `status` (Working, Waiting for you, Idle, Ended). */
const chip = (page: Page, status: string) => page.locator(`header.head [data-status="${status}"]`);

/** "rgb(r, g, b)" as the browser computes a colour, to WCAG luminance. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
const hexToRgb = (hex: string) =>
  `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(", ")})`;

export function steeringSteps(cast: () => Cast) {
  it("B stops the working agent from the composer, by keyboard; the chip turns for all three, and A resumes from the ended notice", async () => {
    const { alice, bob, carol } = cast();
    const everyone = [alice, bob, carol];
    await send(bob.page, "/run sleep 30");
    for (const p of everyone) await chip(p.page, "working").waitFor(WAIT);
    // While the agent works, Stop is the loud control in the composer and sending says when it is read.
    const stop = bob.page.locator("form.composer").getByRole("button", { name: "Stop", exact: true });
    await bob.page.locator("form.composer .stop.loud").waitFor(WAIT);
    await bob.page.getByRole("button", { name: "Send after current step" }).waitFor();
    assert.equal(await carol.page.getByRole("button", { name: "Stop", exact: true }).count(), 0);
    await bob.page.locator("#composer-text").focus();
    await bob.page.keyboard.press("Tab");
    assert.equal(await stop.evaluate((el) => el === document.activeElement), true, "Tab reaches Stop");
    const pressed = Date.now();
    await bob.page.keyboard.press("Enter");
    await Promise.all(
      everyone.map((p) =>
        p.page.locator('header.head [data-status="ended"][data-phase="Stopped"]').waitFor(WAIT),
      ),
    );
    console.log(`[stop] Enter on Stop to Ended on all three pages: ${Date.now() - pressed} ms`);
    for (const p of everyone) assert.match((await chip(p.page, "ended").textContent()) ?? "", /^Ended/);
    await bob.page.screenshot({ path: path.join(SHOTS, "session-stopped-notice.png") });
    // The way back is in the notice that says it ended; a viewer reads it without the button.
    await carol.page.locator('[data-notice="stopped"]').waitFor(WAIT);
    assert.equal(await carol.page.locator('[data-notice="stopped"] button').count(), 0);
    await alice.page.locator('[data-notice="stopped"]').getByRole("button", { name: "Resume" }).click();
    for (const p of everyone) {
      await phaseIs(p.page, "Running");
      await chip(p.page, "idle").waitFor(WAIT);
    }
  });

  it("A sees everyone watching in the names popover; each avatar takes its scheme's shade", async () => {
    const { alice, bob, carol } = cast();
    const everyone = [alice, bob, carol];
    await alice.page.getByRole("button", { name: /^Watching now: \d+ people/ }).click();
    for (const p of everyone) await alice.page.locator(`[data-watcher="${p.name}"]`).waitFor(WAIT);
    await alice.page.locator(`[data-watcher="${alice.name}"]`, { hasText: "(you)" }).waitFor();
    await alice.page.screenshot({ path: path.join(SHOTS, "session-watchers.png") });
    await alice.page.keyboard.press("Escape");
    await alice.page
      .locator("[data-watcher]")
      .first()
      .waitFor({ state: "detached", ...WAIT });
    const background = (page: Page, name: string) =>
      page
        .locator(`header.head [data-peer="${name}"]`)
        .evaluate((el) => getComputedStyle(el).backgroundColor);
    const light = PRESENCE_PALETTE.map((c) => hexToRgb(c.light));
    const dark = PRESENCE_PALETTE.map((c) => hexToRgb(c.dark));
    for (const p of everyone) {
      const inLight = await background(alice.page, p.name);
      const inDark = await background(carol.page, p.name);
      // One person keeps one hue; A's light page shows its shade, C's dark page its tint.
      assert.ok(light.includes(inLight), `${p.name} on a light page: ${inLight}`);
      assert.equal(dark.indexOf(inDark), light.indexOf(inLight), `${p.name} on a dark page: ${inDark}`);
    }
  });

  it("A renames the session from the ⋯ menu by keyboard; B sees the new name live", async () => {
    const { alice, bob, run } = cast();
    const rename = async (name: string) => {
      await alice.page.getByRole("button", { name: "More actions" }).click();
      await alice.page.getByRole("menuitem", { name: "Rename…" }).click();
      // The menu gives focus to the name's field, not back to ⋯.
      await alice.page.waitForFunction(() => document.activeElement?.id === "rename");
      await alice.page.keyboard.press("ControlOrMeta+a");
      await alice.page.keyboard.type(name);
      await alice.page.keyboard.press("Enter");
      await alice.page.locator("#rename").waitFor({ state: "detached", ...WAIT });
      // The live document carries the name: B's header changes without a reload.
      for (const page of [alice.page, bob.page]) {
        await page.locator("header.head h1", { hasText: new RegExp(`^${name}$`) }).waitFor(WAIT);
      }
    };
    await rename(`e2e-${run} renamed`);
    await rename(`e2e-${run}`);
  });

  it("on a 390×844 phone the header is one line, the composer is in view, and the details are in tabs", async () => {
    const { bob, sessionURL } = cast();
    const phone = await bob.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(sessionURL);
      await phaseIs(phone, "Running");
      await transcript(phone).locator("article").first().waitFor(WAIT);
      const header = await phone.locator("header.head").boundingBox();
      assert.ok(header && header.height <= 56, `the phone's header is ${header?.height} px high`);
      const composer = await phone.locator("#composer-text").boundingBox();
      assert.ok(
        composer && composer.y > header.y + header.height && composer.y + composer.height <= 844,
        `the composer is at ${JSON.stringify(composer)}, outside the 844 px viewport`,
      );
      assert.equal(await phone.evaluate(() => window.scrollY), 0);
      assert.equal(
        await phone.getByRole("heading", { name: "Settings" }).isVisible(),
        false,
        "Details show in Chat",
      );
      console.log(
        `[phone] header ${header.height} px; composer bottom ${composer.y + composer.height} px of 844`,
      );
      await phone.screenshot({ path: path.join(SHOTS, "session-phone-chat.png") });

      await phone.getByRole("tab", { name: "Details" }).click();
      await phone.getByRole("tabpanel").getByRole("heading", { name: "Settings" }).waitFor(WAIT);
      assert.equal(await transcript(phone).isVisible(), false);
      const panel = phone.getByRole("tabpanel");
      const [scrollWidth, clientWidth] = await panel.evaluate((el) => [el.scrollWidth, el.clientWidth]);
      assert.ok(
        scrollWidth <= clientWidth,
        `the Details tab scrolls sideways: ${scrollWidth} > ${clientWidth} px`,
      );
      await phone.screenshot({ path: path.join(SHOTS, "session-phone-details.png") });
      // The tabs follow the arrow keys.
      await phone.keyboard.press("ArrowLeft");
      await phone.getByRole("tab", { name: "Changes", selected: true }).waitFor();
      await phone.keyboard.press("ArrowLeft");
      await phone.getByRole("tab", { name: "Chat", selected: true }).waitFor();
      await phone.locator("#composer-text").waitFor({ state: "visible" });
    } finally {
      await phone.close();
    }
  });

  it("the budget warning keeps the dark scheme's colours (C's page is dark)", async () => {
    const { alice, carol, workspaceURL } = cast();
    const wsId = workspaceURL.split("/")[2];
    const usage = (await (await alice.page.request.get(`/api/workspaces/${wsId}/usage`)).json()) as {
      month: { spentUsd: number };
    };
    assert.ok(usage.month.spentUsd > 0, "the offline model's turns cost something");
    // 90% spent: a warning, not the stop at 100% (nothing runs while it is set).
    const budget = async (monthlyBudgetUsd: number | null) => {
      const res = await alice.page.request.patch(`/api/workspaces/${wsId}`, { data: { monthlyBudgetUsd } });
      assert.equal(res.status(), 200, await res.text());
    };
    await budget(usage.month.spentUsd / 0.9);
    const page = await carol.context.newPage();
    try {
      await page.goto(workspaceURL);
      const box = page.locator('[data-budget="warning"]');
      await box.waitFor(WAIT);
      const colours = await box.evaluate((el) => {
        const style = getComputedStyle(el);
        return {
          bg: style.backgroundColor,
          fg: style.color,
          page: getComputedStyle(document.body).backgroundColor,
        };
      });
      await page.screenshot({ path: path.join(SHOTS, "budget-warning-dark.png") });
      assert.ok(luminance(colours.bg) < 0.1, `a bright box on the dark page: ${colours.bg}`);
      assert.ok(contrast(colours.fg, colours.bg) >= 4.5, `unreadable: ${colours.fg} on ${colours.bg}`);
    } finally {
      await page.close();
      await budget(null);
    }
  });
}
