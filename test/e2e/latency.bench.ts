/**
 * Token-to-paint latency (issue 4, Performance): the time from a token leaving the agent to its being
 * painted in a viewer's page, p50/p95 over 200 tokens, with 3 viewers open on one session.
 * Then a 10,000-message session's first paint and scroll frame times (long-transcript.bench.ts).
 * Run: npm run bench:ui (builds web/); BENCH_UI=tokens or BENCH_UI=transcript runs one part.
 * BENCH_TOKEN_DELAY_MS sets the offline model's pace: 20 ms a delta by default (50 a second, about the rate
 * at which the Messages API streams text deltas); at 5 ms (the agent's test default, 200 a second) three
 * Chromium pages, workerd, the agent and Claude Code saturate two cores and the figure measures the queue.
 */
import type { Page } from "playwright-core";
import { startAgentTap, type Delta } from "./agent-tap.ts";
import { createWorkspace, launch, person } from "./browser.ts";
import { longTranscriptBench } from "./long-transcript.bench.ts";
import { startStack } from "./stack.ts";

const TOKENS = Number(process.env.BENCH_TOKENS ?? 200);
const TOKEN_DELAY_MS = Number(process.env.BENCH_TOKEN_DELAY_MS ?? 20);
// The agent host the stack starts takes the offline model's pace from its environment.
process.env.AGENT_OFFLINE_TOKEN_DELAY_MS = String(TOKEN_DELAY_MS);
const words = Array.from({ length: TOKENS }, (_, i) => `tok${String(i).padStart(4, "0")}`);

interface Seen {
  /** The WebSocket message that carried the token arrived. */
  arrive: number;
  /** The DOM held it (Svelte applied the Yjs update). */
  dom: number;
  /** The next animation frame after that: when it is painted. */
  paint: number;
}

/** Runs in every page before the app: notes when each WebSocket message arrives. */
function stampSocketMessages() {
  const w = window as unknown as { __lastMessageAt: number; WebSocket: typeof WebSocket };
  const Native = w.WebSocket;
  w.__lastMessageAt = 0;
  w.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      // Registered before the provider's onmessage, so it runs first.
      this.addEventListener(
        "message",
        () => (w.__lastMessageAt = performance.timeOrigin + performance.now()),
      );
    }
  };
}

/** In the page: when each token first shows in an agent message, and when that is painted. */
function watchTokens(page: Page) {
  return page.evaluate(() => {
    const w = window as unknown as {
      __seen: Record<string, { arrive: number; dom: number; paint: number }>;
      __lastMessageAt: number;
    };
    const seen: typeof w.__seen = {};
    w.__seen = seen;
    const root = document.querySelector("section.transcript");
    if (!root) throw new Error("no transcript");
    let unpainted: string[] = [];
    new MutationObserver(() => {
      const dom = performance.timeOrigin + performance.now();
      for (const el of root.querySelectorAll('article[data-role="assistant"]')) {
        for (const m of (el.textContent ?? "").matchAll(/tok\d{4}/g)) {
          if (seen[m[0]]) continue;
          seen[m[0]] = { arrive: w.__lastMessageAt, dom, paint: 0 };
          unpainted.push(m[0]);
        }
      }
      if (unpainted.length === 0) return;
      const batch = unpainted;
      unpainted = [];
      requestAnimationFrame(() => {
        const paint = performance.timeOrigin + performance.now();
        for (const t of batch) seen[t].paint = paint;
      });
    }).observe(root, { childList: true, subtree: true, characterData: true });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  let tap: Awaited<ReturnType<typeof startAgentTap>> | undefined;
  const stack = await startStack({
    agentTap: async (agentPort) => {
      tap = await startAgentTap(agentPort);
      return tap.port;
    },
  });
  const browser = await launch();
  try {
    const run = Date.now().toString(36).slice(-5);
    const a = await person(browser, stack.baseURL, `Ann ${run}`, { initScript: stampSocketMessages });
    const b = await person(browser, stack.baseURL, `Ben ${run}`, { initScript: stampSocketMessages });
    const c = await person(browser, stack.baseURL, `Cat ${run}`, { initScript: stampSocketMessages });
    await createWorkspace(a.page, `Bench ${run}`, [
      [b, "viewer"],
      [c, "viewer"],
    ]);
    await a.page.getByRole("button", { name: "New session" }).click();
    await a.page.getByRole("button", { name: "Create session" }).click();
    await a.page.waitForURL(/\/s\/[^/]+$/);
    const sessionURL = new URL(a.page.url()).pathname;
    for (const p of [b, c]) await p.page.goto(sessionURL);
    for (const p of [a, b, c])
      await p.page.locator('header.head [data-phase="Running"]').waitFor({ timeout: 60_000 });
    for (const p of [a, b, c]) await watchTokens(p.page);

    const deltasBefore = tap?.deltas.length ?? 0;
    await a.page.locator("#composer-text").fill(words.join(" "));
    await a.page.locator("#composer-text").press("Enter");
    const last = words[words.length - 1];
    for (const p of [a, b, c]) {
      await p.page.waitForFunction(
        (w) => (window as unknown as { __seen: Record<string, { paint: number }> }).__seen[w]?.paint > 0,
        last,
        { timeout: 60_000 },
      );
    }
    const sent = new Map<string, number>();
    for (const d of (tap?.deltas ?? []).slice(deltasBefore) as Delta[]) {
      for (const m of d.text.matchAll(/tok\d{4}/g)) if (!sent.has(m[0])) sent.set(m[0], d.at);
    }
    const all: number[] = [];
    const parts = { wire: [] as number[], apply: [] as number[], paint: [] as number[] };
    const ms = (xs: number[]) =>
      `p50 ${percentile(xs, 50).toFixed(1)} ms  p95 ${percentile(xs, 95).toFixed(1)} ms`;
    for (const p of [a, b, c]) {
      const seen = await p.page.evaluate(
        () => (window as unknown as { __seen: Record<string, Seen> }).__seen,
      );
      const lat: number[] = [];
      for (const w of words) {
        const at = sent.get(w);
        const s = seen[w];
        if (at === undefined || !s) continue;
        lat.push(s.paint - at);
        parts.wire.push(s.arrive - at);
        parts.apply.push(s.dom - s.arrive);
        parts.paint.push(s.paint - s.dom);
      }
      lat.sort((x, y) => x - y);
      all.push(...lat);
      console.log(`${p.name}: ${lat.length} tokens  ${ms(lat)}  max ${lat[lat.length - 1].toFixed(1)} ms`);
    }
    for (const xs of [all, parts.wire, parts.apply, parts.paint]) xs.sort((x, y) => x - y);
    console.log(`  agent → page's socket: ${ms(parts.wire)}`);
    console.log(`  socket → DOM (Yjs + Svelte + markdown): ${ms(parts.apply)}`);
    console.log(`  DOM → next frame: ${ms(parts.paint)}`);
    console.log(
      `token-to-paint, 3 viewers, ${TOKENS} tokens, one every ${TOKEN_DELAY_MS} ms: ${ms(all)} (${all.length} samples)`,
    );
  } finally {
    await browser.close();
    tap?.close();
    await stack.close();
  }
}

const part = process.env.BENCH_UI ?? "all";
if (part === "all" || part === "tokens") await main();
if (part === "all" || part === "transcript") await longTranscriptBench();
