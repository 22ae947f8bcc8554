/**
 * A long session in the browser (issue 25, "a transcript that scales"): the scriptable agent host writes
 * BENCH_MESSAGES messages (10,000 by default: thinking, text, every third a Bash call) into one session, then
 * a fresh viewer opens it. Printed: the time from navigation to the transcript's last message painted, and
 * the frame times of a scripted scroll from the bottom of the transcript to its top (requestAnimationFrame
 * deltas). Figures only, no pass or fail. Run through `npm run bench:ui` (BENCH_UI=transcript runs only this).
 */
import type { Page } from "playwright-core";
import { createWorkspace, launch, person } from "./browser.ts";
import { startStack } from "./stack.ts";

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
/** Pixels scrolled each frame: a brisk flick is about 2,000–4,000 px a second. */
const SCROLL_STEP = Number(process.env.BENCH_SCROLL_STEP ?? 60);
const SCROLL_FRAMES = Number(process.env.BENCH_SCROLL_FRAMES ?? 600);
/** A frame this long drops at least two at 60 Hz: what a reader sees as a stutter. */
const LONG_FRAME_MS = 50;
/** The viewer's page load, measured three times (a fresh page each). */
const LOADS = Number(process.env.BENCH_LOADS ?? 3);

interface Load {
  /** Navigation start to the first paint of anything (the app's shell). */
  firstContentfulPaint: number;
  /** Navigation start to the frame after the transcript's last message entered the DOM. */
  transcriptPainted: number;
}

/** In the page, from before the app runs: notes the frame in which the message `lastId` is first in the DOM. */
function watchForMessage(lastId: string) {
  const w = window as unknown as { __painted?: number };
  const selector = `[data-message="${CSS.escape(lastId)}"]`;
  const observer = new MutationObserver(() => {
    if (!document.querySelector(selector)) return;
    observer.disconnect();
    requestAnimationFrame(() => (w.__painted = performance.now()));
  });
  observer.observe(document, { childList: true, subtree: true });
}

/** In the page: scrolls the transcript up `frames` frames of `step` pixels, and returns each frame's length. */
function scrollUp({ step, frames }: { step: number; frames: number }): Promise<number[]> {
  const scroller = document.querySelector<HTMLElement>("section.transcript");
  if (!scroller) throw new Error("no transcript");
  scroller.scrollTop = scroller.scrollHeight;
  const deltas: number[] = [];
  return new Promise((resolve) => {
    let last = 0;
    const frame = (at: number) => {
      if (last) deltas.push(at - last);
      last = at;
      if (deltas.length >= frames || scroller.scrollTop === 0) return resolve(deltas);
      scroller.scrollTop -= step;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Starts a session whose first prompt asks the scriptable agent for the transcript (through the API: the
 * longest timeout, so a slow machine's seeding is not cut short), and waits until it is all there.
 */
async function seed(page: Page, workspace: string): Promise<{ sessionURL: string; lastId: string }> {
  const created = await page.evaluate(
    async ({ path, prompt }) => {
      const res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ prompt, timeoutSeconds: 1800, displayName: "Long transcript" }),
      });
      return { status: res.status, body: (await res.json()) as { session?: { id: string } } };
    },
    { path: `/api/workspaces/${workspace}/sessions`, prompt: `/transcript ${MESSAGES}` },
  );
  const id = created.body.session?.id;
  if (!id)
    throw new Error(`creating the session answered ${created.status}: ${JSON.stringify(created.body)}`);
  const deadline = Date.now() + 1_800_000;
  for (;;) {
    const ids = await page.evaluate(async (path) => {
      const res = await fetch(path, { headers: { accept: "application/json" } });
      const body = (await res.json()) as { messages: { id: string }[] };
      return body.messages.map((m) => m.id);
    }, `/api/workspaces/${workspace}/sessions/${id}/transcript`);
    // The person's message, then the agent's MESSAGES.
    if (ids.length > MESSAGES) return { sessionURL: `/w/${workspace}/s/${id}`, lastId: ids[ids.length - 1] };
    if (Date.now() > deadline) throw new Error(`only ${ids.length} messages after 30 min`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

export async function longTranscriptBench(): Promise<void> {
  const stack = await startStack({ agent: "scriptable" });
  const browser = await launch();
  try {
    const run = Date.now().toString(36).slice(-5);
    const ann = await person(browser, stack.baseURL, `Ann ${run}`);
    const ben = await person(browser, stack.baseURL, `Ben ${run}`);
    const workspaceURL = await createWorkspace(ann.page, `Long ${run}`, [[ben, "viewer"]]);
    const workspace = new URL(workspaceURL, stack.baseURL).pathname.split("/")[2];
    // Seeded from a page that is not the session's, so no page renders the transcript as it is written.
    const started = Date.now();
    const { sessionURL, lastId } = await seed(ann.page, workspace);
    console.log(`seeded ${MESSAGES} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    await ben.context.addInitScript(watchForMessage, lastId);
    const loads: Load[] = [];
    let frames: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const page = await ben.context.newPage();
      await page.goto(sessionURL);
      await page.waitForFunction(() => (window as unknown as { __painted?: number }).__painted, null, {
        timeout: 300_000,
        polling: 200,
      });
      loads.push(
        await page.evaluate(() => ({
          firstContentfulPaint:
            performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
          transcriptPainted: (window as unknown as { __painted?: number }).__painted ?? Number.NaN,
        })),
      );
      if (i === LOADS - 1) {
        // Settle (the last sync's work, the follow-to-bottom), then scroll.
        await page.waitForTimeout(2_000);
        frames = await page.evaluate(scrollUp, { step: SCROLL_STEP, frames: SCROLL_FRAMES });
      }
      await page.close();
    }
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    for (const [i, load] of loads.entries())
      console.log(
        `load ${i + 1}: first contentful paint ${ms(load.firstContentfulPaint)}, transcript painted ${ms(load.transcriptPainted)}`,
      );
    const painted = loads.map((l) => l.transcriptPainted).sort((x, y) => x - y);
    console.log(
      `${MESSAGES}-message session, time to first paint of the whole transcript: median ${ms(percentile(painted, 50))} (${LOADS} loads)`,
    );
    const sorted = [...frames].sort((x, y) => x - y);
    const long = frames.filter((f) => f > LONG_FRAME_MS).length;
    console.log(
      `scroll up ${SCROLL_STEP} px a frame, ${frames.length} frames: p50 ${percentile(sorted, 50).toFixed(1)} ms  p95 ${percentile(sorted, 95).toFixed(1)} ms  max ${sorted[sorted.length - 1].toFixed(1)} ms  frames over ${LONG_FRAME_MS} ms: ${long}`,
    );
  } finally {
    await browser.close();
    await stack.close();
  }
}
