/**
 * The built-in catalog's facts, one entry per model the installed SDK names (its `Model` type in
 * node_modules/@anthropic-ai/sdk/resources/messages/messages.d.ts, @anthropic-ai/sdk 1.14.0) that is live or
 * that a stored session may still name. Types and functions over it: ./models.ts.
 *
 * Sources, by fact (each entry's comment names its page and anything it adds):
 * - context window, max output, thinking, default effort, release and retirement: the model's page,
 *   platform.claude.com/docs/en/models/<model>/overview (searched through the documentation index, Dec 2026).
 * - prices (USD per million tokens; cache write is the 5-minute write, cache read a hit):
 *   platform.claude.com/docs/en/about-claude/pricing and the model's page.
 * - effort levels: platform.claude.com/docs/en/build-with-claude/effort (its supported models and its table
 *   of levels: `max` from Opus 4.6 and Sonnet 4.6 on, `xhigh` from Opus 4.7 on; Opus 4.5 takes low, medium,
 *   high; Sonnet 4.5 and Haiku 4.5 no effort at all: "This model does not support the effort parameter.").
 * - thinking types accepted: platform.claude.com/docs/en/build-with-claude/thinking and each "What's new"
 *   page; the SDK's `ThinkingTypes` (resources/models.d.ts) names the four types.
 * - sampling under anthropic-version 2023-06-01: Opus 4.7 and later answer "temperature is deprecated for
 *   this model" unless it is the default; the 5 family's migration guides ("setting sampling parameters to
 *   non-default values returns a 400"). Under 2026-10-21 no model takes them.
 * - end of life: the SDK's deprecation table (internal/data/deprecated-models.js); a model not in it is live.
 *   claude-mythos-preview is in it (June 30th, 2026) and retired before this catalog: it has no entry.
 *
 * Order: the seed's four first, in its order of preference (the default follows the first one's successors),
 * then every later model. A model added later goes after them, so a new model never becomes the default by
 * accident.
 */
import type { BuiltInEntry } from "./model-capabilities";

const ALL_EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;

export const BUILT_IN = {
  // models/sonnet-4-5: 200K context, 64K output, $3 / $15, cache $0.30 / $3.75; extended thinking (a budget),
  // no effort. End of life November 30th, 2026 (SDK table); its successor is Sonnet 4.6 (docs/architecture.md, models).
  "claude-sonnet-4-5": {
    label: "Claude Sonnet 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
    thinking: { mode: "budget", onByDefault: false, accepts: ["enabled", "disabled"], offMaxEffort: null },
    effort: { levels: [], default: null },
    sampling: "accepted",
    endOfLife: "2026-11-30",
    successor: "claude-sonnet-4-6",
  },
  // models/opus-4-6 (legacy: "consider migrating to Claude Opus 5.5"): 1M context, 128K output, $5 / $25,
  // cache $0.50 / $6.25. Adaptive thinking, off unless asked; a budget still accepted but deprecated (the SDK
  // warns: models-to-warn-with-thinking-enabled.js). Effort low to max, default high.
  "claude-opus-4-6": {
    label: "Claude Opus 4.6",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    thinking: {
      mode: "adaptive",
      onByDefault: false,
      accepts: ["adaptive", "enabled", "disabled"],
      offMaxEffort: null,
    },
    effort: { levels: ["low", "medium", "high", "max"], default: "high" },
    sampling: "accepted",
    endOfLife: null,
    successor: "claude-opus-5-5",
  },
  // models/opus-4-5: 200K context, 64K output, $5 / $25, cache $0.50 / $6.25; extended thinking (a budget);
  // effort low, medium, high (it predates max and xhigh), default high. End of life January 22nd, 2027 (SDK
  // table); its page: "consider migrating to Claude Opus 5.5".
  "claude-opus-4-5": {
    label: "Claude Opus 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    thinking: { mode: "budget", onByDefault: false, accepts: ["enabled", "disabled"], offMaxEffort: null },
    effort: { levels: ["low", "medium", "high"], default: "high" },
    sampling: "accepted",
    endOfLife: "2027-01-22",
    successor: "claude-opus-5-5",
  },
  // models/haiku-4-5: 200K context, 64K output, $1 / $5, cache $0.10 / $1.25; extended thinking (a budget);
  // default effort "Not supported".
  "claude-haiku-4-5": {
    label: "Claude Haiku 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    pricing: { inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25 },
    thinking: { mode: "budget", onByDefault: false, accepts: ["enabled", "disabled"], offMaxEffort: null },
    effort: { levels: [], default: null },
    sampling: "accepted",
    endOfLife: null,
    successor: null,
  },
  // models/sonnet-4-6: 1M context, 128K output, $3 / $15, cache $0.30 / $3.75. Like Opus 4.6: adaptive, off
  // unless asked, a budget deprecated; effort low to max, default high.
  "claude-sonnet-4-6": {
    label: "Claude Sonnet 4.6",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
    thinking: {
      mode: "adaptive",
      onByDefault: false,
      accepts: ["adaptive", "enabled", "disabled"],
      offMaxEffort: null,
    },
    effort: { levels: ["low", "medium", "high", "max"], default: "high" },
    sampling: "accepted",
    endOfLife: null,
    successor: null,
  },
  // models/opus-5-5 (released September 22, 2026): 1M context, 128K output, $4 / $20, cache $0.20 / $5.
  // "Adaptive (always on)": `disabled` and a budget are 400s ("thinking can't be disabled"); default effort
  // medium; every level.
  "claude-opus-5-5": {
    label: "Claude Opus 5.5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 4, outputPerMTok: 20, cacheReadPerMTok: 0.2, cacheWritePerMTok: 5 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "medium" },
    sampling: "default-only",
    endOfLife: null,
    successor: null,
  },
  // models/sonnet-5-5: 1M context, 128K output, $2 / $10, cache write $2.50; cache read $0.10 since the
  // 2026-10-07 cut (pricing page; the model page still said $0.20). Adaptive, on by default; thinking is
  // turned off with `between_tools`, which replaces `disabled`. Default effort high; every level. Its page
  // names no effort limit with thinking off; the limit of its siblings (high) is assumed.
  "claude-sonnet-5-5": {
    label: "Claude Sonnet 5.5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 2, outputPerMTok: 10, cacheReadPerMTok: 0.1, cacheWritePerMTok: 2.5 },
    thinking: {
      mode: "adaptive",
      onByDefault: true,
      accepts: ["adaptive", "between_tools"],
      offMaxEffort: "high",
    },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: null,
  },
  // models/haiku-5-5 (released October 7, 2026): 1M context, 128K output; "from" $0.10 / $0.50, cache $0.01 /
  // $0.125 for prompts up to 100,000 tokens (5x above that: the catalog keeps the lower band, so a long
  // prompt's cost is under-counted). Adaptive, on by default, `disabled` accepted at effort high or below;
  // default effort medium.
  "claude-haiku-5-5": {
    label: "Claude Haiku 5.5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 0.1, outputPerMTok: 0.5, cacheReadPerMTok: 0.01, cacheWritePerMTok: 0.125 },
    thinking: {
      mode: "adaptive",
      onByDefault: true,
      accepts: ["adaptive", "disabled"],
      offMaxEffort: "high",
    },
    effort: { levels: ALL_EFFORTS, default: "medium" },
    sampling: "default-only",
    endOfLife: null,
    successor: null,
  },
  // models/fable-5-2 (released November 9, 2026): 1M context, 128K output, $8 / $40, cache $0.20 / $10.
  // Adaptive (always on) like Fable 5.1; default effort high.
  "claude-fable-5-2": {
    label: "Claude Fable 5.2",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 8, outputPerMTok: 40, cacheReadPerMTok: 0.2, cacheWritePerMTok: 10 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: null,
  },
  // models/mythos-5-2: Fable 5.2's specifications and prices, offered only to verified organizations.
  "claude-mythos-5-2": {
    label: "Claude Mythos 5.2",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 8, outputPerMTok: 40, cacheReadPerMTok: 0.2, cacheWritePerMTok: 10 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: null,
  },
  // models/fable-5-1 (released September 1, 2026): 1M context, 128K output, $10 / $50, cache $0.25 / $12.50.
  // Adaptive (always on); default effort high. Successor: Fable 5.2 (its migration guide starts from 5.1).
  "claude-fable-5-1": {
    label: "Claude Fable 5.1",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 10, outputPerMTok: 50, cacheReadPerMTok: 0.25, cacheWritePerMTok: 12.5 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-fable-5-2",
  },
  // models/mythos-5-1: Fable 5.1's specifications and prices (pricing page: "limited availability").
  "claude-mythos-5-1": {
    label: "Claude Mythos 5.1",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 10, outputPerMTok: 50, cacheReadPerMTok: 0.25, cacheWritePerMTok: 12.5 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-mythos-5-2",
  },
  // models/opus-5 (released July 24, 2026; legacy, retirement "not sooner than July 24, 2027"): 1M context,
  // 128K output, $5 / $25, cache $0.50 / $6.25. Adaptive, on by default; `disabled` accepted at effort high or
  // below ("output_config.effort 'xhigh' is not supported when thinking is disabled on this model"); a budget
  // is a 400. Default effort high, every level. Its page: "consider migrating to Claude Opus 5.5".
  "claude-opus-5": {
    label: "Claude Opus 5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    thinking: {
      mode: "adaptive",
      onByDefault: true,
      accepts: ["adaptive", "disabled"],
      offMaxEffort: "high",
    },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-opus-5-5",
  },
  // models/sonnet-5: 1M context, 128K output, $2 / $10, cache $0.20 / $2.50. Adaptive on by default, a budget
  // is a 400 (migration guide); default effort high, every level (xhigh is new with it). Thinking off as on
  // Opus 5 (its page names no other rule).
  "claude-sonnet-5": {
    label: "Claude Sonnet 5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 2, outputPerMTok: 10, cacheReadPerMTok: 0.2, cacheWritePerMTok: 2.5 },
    thinking: {
      mode: "adaptive",
      onByDefault: true,
      accepts: ["adaptive", "disabled"],
      offMaxEffort: "high",
    },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-sonnet-5-5",
  },
  // models/fable-5 (released June 9, 2026; legacy): 1M context, 128K output, $10 / $50, cache $1 / $12.50.
  // Adaptive always on: `disabled` and a budget are 400s (fable-5 migration guide). Default effort high.
  // Its page: "consider migrating to Claude Fable 5.1".
  "claude-fable-5": {
    label: "Claude Fable 5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 10, outputPerMTok: 50, cacheReadPerMTok: 1, cacheWritePerMTok: 12.5 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-fable-5-1",
  },
  // models/mythos-5: Fable 5's specifications and prices, by invitation only (Project Glasswing).
  "claude-mythos-5": {
    label: "Claude Mythos 5",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 10, outputPerMTok: 50, cacheReadPerMTok: 1, cacheWritePerMTok: 12.5 },
    thinking: { mode: "always", onByDefault: true, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-mythos-5-1",
  },
  // models/opus-4-8 (released May 28, 2026; legacy: "consider migrating to Claude Opus 5.5"): 1M context,
  // 128K output, $5 / $25, cache $0.50 / $6.25. Adaptive only (a budget is a 400), off unless asked ("On
  // Claude Opus 4.8, requests run without thinking unless you set adaptive", whats-new-opus-5). Default
  // effort high, every level.
  "claude-opus-4-8": {
    label: "Claude Opus 4.8",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    thinking: { mode: "adaptive", onByDefault: false, accepts: ["adaptive", "disabled"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: "claude-opus-5-5",
  },
  // models/opus-4-7: 1M context, 128K output, $5 / $25, cache $0.50 / $6.25. Adaptive only: a budget and
  // `disabled` are 400s (the adaptive-thinking page's note); off when `thinking` is left out. Default effort
  // high; xhigh arrived with it.
  "claude-opus-4-7": {
    label: "Claude Opus 4.7",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    thinking: { mode: "adaptive", onByDefault: false, accepts: ["adaptive"], offMaxEffort: null },
    effort: { levels: ALL_EFFORTS, default: "high" },
    sampling: "default-only",
    endOfLife: null,
    successor: null,
  },
} as const satisfies Record<string, BuiltInEntry>;
