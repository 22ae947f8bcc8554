import { z } from "zod";
import type { Env } from "../env";
import { AdaptiveFrameBudget, ISOLATE_THREAD } from "./adaptive-budget";
import { DEFAULT_FRAME_BUDGET, type FrameBudget } from "./throttle";

/**
 * The fan-out's tuning, from the Worker's vars (empty: these defaults; how they were measured is in
 * bench/README.md, "Where the numbers come from"). One object sends at most its frame budget; with
 * more viewers than the budget allows at the agent's delta rate, deltas are coalesced, and the
 * interval between updates grows with the viewers. The budget is fixed (15,000 frames a second) unless
 * FRAME_BUDGET_ADAPTIVE=true, where it adapts to its thread (adaptive-budget.ts), from the fixed
 * budget's value up to the ceiling. Not by default: raising it is blind to whatever sends the frames
 * off the object's thread (wrangler's proxy locally), and there it lost to the fixed budget
 * (bench/README.md, "Issue 24, finished").
 * Placement is reckoned from that starting budget: a room keeps its updates under MAX_COALESCE_MS at
 * the start, so past start × MAX_COALESCE_MS viewers, new viewers go to shards, as many to each.
 */
export const MAX_COALESCE_MS = 100;

/** The most frames a second one object sends by default, whatever it measures. */
export const DEFAULT_FRAME_CEILING = 40_000;

const FanOutConfigSchema = z.object({
  /** Adaptive: the most frames a second one object (room or shard) sends; fixed: what it sends at most. */
  framesPerSecond: z.coerce.number().positive().optional().catch(undefined),
  /** "true" lets the budget adapt up to FRAME_BUDGET_PER_SECOND (default 40,000); else it is fixed there (default 15,000). */
  adaptive: z.enum(["true", "false"]).optional().catch(undefined),
  /** Viewers the room holds itself before it places new ones on shards; 0 shards every viewer. */
  shardAfterViewers: z.coerce.number().int().nonnegative().optional().catch(undefined),
  viewersPerShard: z.coerce.number().int().positive().optional().catch(undefined),
});
export interface FanOutConfig {
  adaptive: boolean;
  /** Where an object's budget starts (the whole budget when fixed). */
  startFramesPerSecond: number;
  /** The most an adaptive budget rises to. */
  ceilingFramesPerSecond: number;
  shardAfterViewers: number;
  viewersPerShard: number;
}

export function fanOutConfig(env: Env): FanOutConfig {
  const vars = FanOutConfigSchema.parse({
    framesPerSecond: env.FRAME_BUDGET_PER_SECOND || undefined,
    adaptive: env.FRAME_BUDGET_ADAPTIVE || undefined,
    shardAfterViewers: env.SHARD_AFTER_VIEWERS || undefined,
    viewersPerShard: env.VIEWERS_PER_SHARD || undefined,
  });
  const adaptive = vars.adaptive === "true";
  const ceiling = vars.framesPerSecond ?? (adaptive ? DEFAULT_FRAME_CEILING : DEFAULT_FRAME_BUDGET.perSecond);
  const start = Math.min(DEFAULT_FRAME_BUDGET.perSecond, ceiling);
  const fixed = adaptive ? start : ceiling;
  const perObject = Math.max(1, Math.floor((fixed * MAX_COALESCE_MS) / 1000));
  return {
    adaptive,
    startFramesPerSecond: fixed,
    ceilingFramesPerSecond: ceiling,
    shardAfterViewers: vars.shardAfterViewers ?? perObject,
    viewersPerShard: vars.viewersPerShard ?? perObject,
  };
}

/** A frame budget for one object (room or shard): each has its own, since each measures its own sends. */
export function frameBudget(env: Env): FrameBudget {
  const config = fanOutConfig(env);
  const start = config.startFramesPerSecond;
  if (!config.adaptive) return { perSecond: start, burst: start / 5 };
  return new AdaptiveFrameBudget(
    // Never under where it starts (the fixed budget): cutting below it coalesced deltas longer than the
    // thread it freed was worth (bench/README.md, "Where the numbers come from").
    { start, ceiling: config.ceilingFramesPerSecond, floor: start },
    undefined,
    ISOLATE_THREAD,
  );
}

/** How a room answers an upgrade it places on a shard: the shard's name. */
export const SHARD_HEADER = "x-tandem-shard";

/** Shard `i` of a session; the shard finds its room from its own name. */
export const shardName = (sessionId: string, index: number) => `${sessionId}:shard:${index}`;

export function sessionIdOfShard(name: string): string {
  return name.slice(0, name.lastIndexOf(":shard:"));
}
