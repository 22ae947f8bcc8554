import { z } from "zod";
import type { Env } from "../env";
import { DEFAULT_FRAME_BUDGET, type FrameBudget } from "./throttle";

/**
 * The fan-out's tuning, from the Worker's vars (empty: these defaults; how they were measured is in
 * bench/README.md, "Where the numbers come from"). One object sends at most its frame budget; with
 * more viewers than the budget allows at the agent's delta rate, deltas are coalesced, and the
 * interval between updates grows with the viewers. A room keeps it under MAX_COALESCE_MS: past
 * budget × MAX_COALESCE_MS viewers, new viewers go to shards, as many to each.
 */
export const MAX_COALESCE_MS = 100;

const FanOutConfigSchema = z.object({
  /** Frames a second one object (room or shard) aims to send at most. */
  framesPerSecond: z.coerce.number().positive().catch(DEFAULT_FRAME_BUDGET.perSecond),
  /** Viewers the room holds itself before it places new ones on shards; 0 shards every viewer. */
  shardAfterViewers: z.coerce.number().int().nonnegative().optional().catch(undefined),
  viewersPerShard: z.coerce.number().int().positive().optional().catch(undefined),
});
export type FanOutConfig = { framesPerSecond: number; shardAfterViewers: number; viewersPerShard: number };

export function fanOutConfig(env: Env): FanOutConfig {
  const vars = FanOutConfigSchema.parse({
    framesPerSecond: env.FRAME_BUDGET_PER_SECOND || undefined,
    shardAfterViewers: env.SHARD_AFTER_VIEWERS || undefined,
    viewersPerShard: env.VIEWERS_PER_SHARD || undefined,
  });
  const perObject = Math.max(1, Math.floor((vars.framesPerSecond * MAX_COALESCE_MS) / 1000));
  return { framesPerSecond: vars.framesPerSecond, shardAfterViewers: vars.shardAfterViewers ?? perObject, viewersPerShard: vars.viewersPerShard ?? perObject };
}

export function frameBudget(env: Env): FrameBudget {
  const { framesPerSecond } = fanOutConfig(env);
  // A burst of a fifth of a second's budget: a quiet room answers the first deltas at once.
  return { perSecond: framesPerSecond, burst: framesPerSecond / 5 };
}

/** How a room answers an upgrade it places on a shard: the shard's name. */
export const SHARD_HEADER = "x-tandem-shard";

/** Shard `i` of a session; the shard finds its room from its own name. */
export const shardName = (sessionId: string, index: number) => `${sessionId}:shard:${index}`;

export function sessionIdOfShard(name: string): string {
  return name.slice(0, name.lastIndexOf(":shard:"));
}
