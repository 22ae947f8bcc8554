/**
 * The page tour: A visits every page of the app (the workspace list, a session with a transcript, and each
 * workspace page) at desktop (1280×800) and phone (390×844) width, light and dark, screenshots each as
 * `tour/<page>-<desktop|phone>-<light|dark>.png`, and runs axe with best-practice rules on each.
 *
 * TOUR_RECORD=1 records axe's findings in `tour/axe.json` instead of failing on them: how the "before"
 * set was taken from the pages as they were.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { axeViolations, type Violation } from "./a11y.ts";
import { it, SHOTS, WAIT, type Cast } from "./story.ts";

const TOUR = path.join(SHOTS, "tour");

const viewports = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
const schemes = ["light", "dark"] as const;

/** Every page of the app, by the name its screenshots take. */
function pages({ workspaceURL, sessionURL }: Cast): [string, string][] {
  return [
    ["workspaces", "/"],
    ["sessions", workspaceURL],
    ["session", sessionURL],
    ["members", `${workspaceURL}/members`],
    ["secrets", `${workspaceURL}/secrets`],
    ["usage", `${workspaceURL}/usage`],
    ["schedules", `${workspaceURL}/schedules`],
    ["triggers", `${workspaceURL}/triggers`],
    ["workflows", `${workspaceURL}/workflows`],
    ["environment", `${workspaceURL}/environment`],
    ["mcp", `${workspaceURL}/mcp`],
    ["settings", `${workspaceURL}/settings`],
    ["tokens", "/tokens"],
    ["docs", "/docs"],
  ];
}

/** Waits until the page has its heading and nothing says it is still loading. */
async function settled(page: Page) {
  await page.locator("h1").first().waitFor(WAIT);
  // The page's and the shell's API calls answered (sockets do not count), then no "Loading…" left.
  await page.waitForLoadState("networkidle");
  await page
    .getByRole("status")
    .filter({ hasText: /^Loading…$/ })
    .first()
    .waitFor({ state: "detached", ...WAIT });
  // Fonts and the last layout pass, so the screenshot shows the page as a person sees it.
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
}

export function tourSteps(cast: () => Cast) {
  it("A tours every page at desktop and phone width, light and dark, and axe finds nothing", async () => {
    const c = cast();
    mkdirSync(TOUR, { recursive: true });
    const page = await c.alice.context.newPage();
    const found: Record<string, Violation[]> = {};
    try {
      for (const [name, url] of pages(c)) {
        for (const [size, viewport] of Object.entries(viewports)) {
          await page.setViewportSize(viewport);
          for (const colorScheme of schemes) {
            await page.emulateMedia({ colorScheme });
            await page.goto(url);
            await settled(page);
            const shot = `${name}-${size}-${colorScheme}`;
            await page.screenshot({ path: path.join(TOUR, `${shot}.png`) });
            const violations = await axeViolations(page, { bestPractice: true });
            if (violations.length) found[shot] = violations;
          }
        }
      }
    } finally {
      await page.close();
    }
    writeFileSync(path.join(TOUR, "axe.json"), JSON.stringify(found, null, 2));
    if (process.env.TOUR_RECORD !== "1") assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
  });
}
