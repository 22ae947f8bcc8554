/** What the browser story's steps share: its cast, and the waits and gestures every step uses. */
import path from "node:path";
import { it as test, type TestContext } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { watched, type Person, type SocketSwitch } from "./browser.ts";
import type { Stack } from "./stack.ts";

/**
 * Where the story's screenshots go: the committed ones (docs and the README show them) only when asked
 * (UPDATE_SCREENSHOTS=1 npm run test:e2e), so that a test run leaves the working tree as it found it.
 */
export const SHOTS = path.join(
  import.meta.dirname,
  process.env.UPDATE_SCREENSHOTS === "1" ? "screenshots" : ".last-run",
);
export const WAIT = { timeout: 30_000 };

/** The people and places of one run: A owns the workspace, B edits, C views. */
export interface Cast {
  run: string;
  stack: Stack;
  browser: Browser;
  alice: Person;
  bob: Person;
  carol: Person;
  carolNetwork: SocketSwitch;
  workspaceURL: string;
  sessionURL: string;
}

export const transcript = (page: Page) => page.locator("section.transcript");
export const agentSaid = (page: Page, text: string) =>
  transcript(page).locator('article[data-role="assistant"]', { hasText: text });

export async function send(page: Page, text: string) {
  const box = page.locator("#composer-text");
  await box.waitFor({ state: "visible" });
  await box.fill(text);
  await box.press("Enter");
  // The composer empties once the API has accepted the message.
  await page.waitForFunction(
    () => (document.querySelector("#composer-text") as HTMLTextAreaElement | null)?.value === "",
  );
}

export async function phaseIs(page: Page, phase: string) {
  await page.locator(`header.head [data-phase="${phase}"]`).waitFor(WAIT);
}

// The steps are one story: once one fails, the rest are skipped rather than each waiting out its timeout.
let broken = false;
export function it(name: string, fn: () => Promise<void>) {
  test(name, async (t: TestContext) => {
    if (broken) return t.skip("an earlier step failed");
    try {
      await fn();
    } catch (err) {
      broken = true;
      await explain(name).catch((why: unknown) =>
        console.error("[story] could not explain the failure:", why),
      );
      throw err;
    }
  });
}

/** Prints what every person's pages show and said lately, and screenshots them, for a failed step. */
async function explain(step: string) {
  const slug = step.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
  for (const [name, { context, recent }] of watched) {
    for (const [index, page] of context.pages().entries()) {
      if (page.isClosed()) continue;
      const file = path.join(SHOTS, `failed-${slug}-${name}-${index}.png`);
      await page.screenshot({ path: file, fullPage: true, timeout: 5_000 }).catch(() => {});
      const alerts = await page
        .locator('[role="alert"]')
        .allInnerTexts()
        .catch(() => []);
      console.error(`[story] ${name}'s page ${index}: ${page.url()} (screenshot ${file})`);
      if (alerts.length) console.error(`[story]   alerts: ${alerts.join(" | ")}`);
    }
    for (const line of recent) console.error(`[story]   ${name}: ${line}`);
  }
}

/** The provider's longest wait between reconnects (web/src/lib/room.svelte.ts, maxBackoffTime). */
export const MAX_RECONNECT_DELAY_MS = 5000;

const clocked = new WeakSet<BrowserContext>();

/**
 * Counts, in the page, the session sockets it opens from its next navigation on, and puts the page's
 * timers on Playwright's clock (time still flows), so `noNewSockets` can run them past every reconnect
 * delay at once instead of waiting them out. Call before the page's `goto`.
 */
export async function socketsOpened(page: Page): Promise<() => Promise<number>> {
  await page.addInitScript(() => {
    const w = window as unknown as { __sessionSockets?: number; WebSocket: typeof WebSocket };
    // One counter a page, however many steps asked for it.
    if (w.__sessionSockets !== undefined) return;
    const Native = w.WebSocket;
    w.__sessionSockets = 0;
    w.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        if (String(url).includes("/parties/session-room/"))
          w.__sessionSockets = (w.__sessionSockets ?? 0) + 1;
      }
    };
  });
  if (!clocked.has(page.context())) {
    clocked.add(page.context());
    await page.context().clock.install();
  }
  return () => page.evaluate(() => (window as unknown as { __sessionSockets: number }).__sessionSockets);
}

/** Answers the app's confirm dialog (components/ui/ConfirmHost.svelte) with its confirming button. */
export async function confirmWith(page: Page, label: string) {
  const dialog = page.getByRole("alertdialog");
  await dialog.waitFor(WAIT);
  await dialog.getByRole("button", { name: label, exact: true }).click();
  await dialog.waitFor({ state: "detached", ...WAIT });
}
