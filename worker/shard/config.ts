import { z } from "zod";
import type { Env } from "../env";

/**
 * When the SessionRoom hands viewers to shards, from the Worker's vars. Measured on local workerd
 * (bench/README.md, "Where the shard threshold comes from"): one object keeps p99 under a frame while
 * it sends fewer than its frame budget, which is a few hundred viewers at 50 deltas a second.
 */
export const DEFAULT_SHARD_AFTER_VIEWERS = 200;
export const DEFAULT_VIEWERS_PER_SHARD = 200;

const ShardConfigSchema = z.object({
  /** Viewers the room holds itself before it places new ones on shards; 0 shards every viewer. */
  shardAfterViewers: z.coerce.number().int().nonnegative().catch(DEFAULT_SHARD_AFTER_VIEWERS),
  viewersPerShard: z.coerce.number().int().positive().catch(DEFAULT_VIEWERS_PER_SHARD),
});
export type ShardConfig = z.infer<typeof ShardConfigSchema>;

export function shardConfig(env: Env): ShardConfig {
  return ShardConfigSchema.parse({
    shardAfterViewers: env.SHARD_AFTER_VIEWERS || undefined,
    viewersPerShard: env.VIEWERS_PER_SHARD || undefined,
  });
}

/** Shard `i` of a session; the shard finds its room from its own name. */
export const shardName = (sessionId: string, index: number) => `${sessionId}:shard:${index}`;

export function sessionIdOfShard(name: string): string {
  return name.slice(0, name.lastIndexOf(":shard:"));
}
