/** What the browser story's steps share: its cast, and the waits and gestures every step uses. */
import path from "node:path";
import { it as test, type TestContext } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { Person, SocketSwitch } from "./browser.ts";
import type { Stack } from "./stack.ts";

export const SHOTS = path.join(import.meta.dirname, "screenshots");
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
export const agentSaid = (page: Page, text: string) => transcript(page).locator('article[data-role="assistant"]', { hasText: text });

export async function send(page: Page, text: string) {
  const box = page.locator("#composer-text");
  await box.waitFor({ state: "visible" });
  await box.fill(text);
  await box.press("Enter");
  // The composer empties once the API has accepted the message.
  await page.waitForFunction(() => (document.querySelector("#composer-text") as HTMLTextAreaElement | null)?.value === "");
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
      throw err;
    }
  });
}

/** Counts the session sockets a page opens from now on: a live view that ended must open none. */
export function socketsOpened(page: Page): () => number {
  let opened = 0;
  page.on("websocket", (ws) => {
    if (ws.url().includes("/parties/session-room/")) opened++;
  });
  return () => opened;
}
