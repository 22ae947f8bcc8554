import { describe, expect, it } from "vitest";
import type { TranscriptBlock, TranscriptMessage } from "@tandem/protocol/transcript";
import { Follow } from "#lib/transcript-follow.svelte.ts";
import {
  dayLabel,
  dayOf,
  groupSummary,
  thoughtSeconds,
  transcriptItems,
  turnRows,
  windowStart,
  type PlacedBlock,
} from "#lib/transcript-turns.ts";
import { blockType, messageKeys } from "#lib/transcript.ts";

const DAY = 86_400_000;
const noon = new Date(2026, 2, 3, 12).getTime();

function message(id: string, role: TranscriptMessage["role"], createdAt: number): TranscriptMessage {
  return { id, role, author: role === "user" ? "Ada" : "agent", createdAt, blocks: [] };
}

const tool = (
  name: string,
  input: unknown,
  status: "running" | "done" | "error" = "done",
): TranscriptBlock => ({
  type: "tool_use",
  id: `t-${name}-${Math.random()}`,
  name,
  input,
  status,
  startedAt: 1,
});
const text = (t: string): TranscriptBlock => ({ type: "text", text: t });
const placed = (blocks: TranscriptBlock[]): PlacedBlock[] =>
  blocks.map((block, i) => ({ block, key: `m:${i}`, startsMessage: i === 0 ? "m" : "" }));
const shape = (rows: ReturnType<typeof turnRows>) =>
  rows.map((r) => (r.kind === "tools" ? `tools×${r.tools.length}` : String(blockType(r.placed.block))));

describe("the transcript's turns", () => {
  it("reads the agent's consecutive messages as one turn, and each person's message as its own", () => {
    const messages = [
      message("u1", "user", noon),
      message("a1", "assistant", noon + 1),
      message("a2", "assistant", noon + 2),
      message("a3", "assistant", noon + 3),
      message("u2", "user", noon + 4),
      message("u3", "user", noon + 5),
      message("a4", "assistant", noon + 6),
    ];
    const items = transcriptItems(messages, messageKeys(messages));
    expect(items.map((i) => (i.kind === "day" ? `day ${i.day}` : i.keys.join("+")))).toEqual([
      "day 2026-03-03",
      "u1",
      "a1+a2+a3",
      "u2",
      "u3",
      "a4",
    ]);
  });

  it("puts a divider where a day begins, and starts a new turn there", () => {
    const messages = [
      message("a1", "assistant", noon),
      message("a2", "assistant", noon + DAY),
      message("a3", "assistant", noon + DAY + 5),
      message("a4", "assistant", noon + 3 * DAY),
    ];
    const items = transcriptItems(messages, messageKeys(messages));
    expect(items.map((i) => (i.kind === "day" ? i.day : i.keys.join("+")))).toEqual([
      "2026-03-03",
      "a1",
      "2026-03-04",
      "a2+a3",
      "2026-03-06",
      "a4",
    ]);
    // A divider is keyed by its day: it keeps its element as the transcript grows.
    expect(items[0].key).toBe("day:2026-03-03");
  });

  it("cuts a long run of the agent's messages into pieces, the rest without a header of their own", () => {
    const messages = Array.from({ length: 120 }, (_, i) => message(`a${i}`, "assistant", noon + i));
    const items = transcriptItems(messages, messageKeys(messages));
    const turns = items.filter((i) => i.kind === "turn");
    expect(turns.map((t) => [t.messages.length, t.continued])).toEqual([
      [50, false],
      [50, true],
      [20, true],
    ]);
  });

  it("renders a long session's latest messages first, and earlier ones a window at a time", () => {
    const messages = [
      message("u0", "user", noon),
      ...Array.from({ length: 300 }, (_, i) => message(`a${i}`, "assistant", noon + 1 + i)),
      message("u1", "user", noon + DAY),
      message("a-next", "assistant", noon + DAY + 1),
    ];
    const items = transcriptItems(messages, messageKeys(messages));
    // [day, u0, a0-49, a50-99, …, a250-299, day, u1, a-next]
    expect(items).toHaveLength(11);
    const start = windowStart(items, items.length, 150);
    const held = (from: number, to = items.length) =>
      items.slice(from, to).reduce((n, i) => n + (i.kind === "turn" ? i.messages.length : 0), 0);
    expect(held(start)).toBeGreaterThanOrEqual(150);
    expect(held(start + 1)).toBeLessThan(150);
    // Earlier: the next window ends where this one starts; the first reaches the first day's divider.
    const earlier = windowStart(items, start, 150);
    expect(held(earlier, start)).toBeGreaterThanOrEqual(150);
    expect(windowStart(items, earlier, 150)).toBe(0);
    expect(windowStart(items, 2, 150)).toBe(0);
  });

  it("names a divider's day in words", () => {
    expect(dayLabel(dayOf(noon), noon)).toBe("Today");
    expect(dayLabel(dayOf(noon - DAY), noon)).toBe("Yesterday");
    expect(dayLabel(dayOf(noon - 3 * DAY), noon)).toMatch(/2026/);
    expect(dayLabel(dayOf(noon - 3 * DAY), noon)).not.toMatch(/Today|Yesterday/);
  });
});

describe("grouping consecutive tool calls", () => {
  it("folds two or more consecutive calls into one group, keyed by its first call", () => {
    const rows = turnRows(
      placed([
        text("Let me look."),
        tool("Read", { file_path: "/a.ts" }),
        tool("Grep", { pattern: "x" }),
        tool("Bash", { command: "npm test" }),
        text("Found it."),
        tool("Read", { file_path: "/b.ts" }),
      ]),
    );
    expect(shape(rows)).toEqual(["text", "tools×3", "text", "tool_use"]);
    expect(rows[1].key).toBe("m:1");
  });

  it("takes the thinking between calls into their group, not the thinking after the last", () => {
    const thinking = (t: string): TranscriptBlock => ({ type: "thinking", text: t });
    const rows = turnRows(
      placed([
        thinking("first"),
        tool("Read", { file_path: "/a.ts" }),
        thinking("then"),
        tool("Bash", { command: "ls" }),
        thinking("now what"),
        text("Done."),
      ]),
    );
    expect(shape(rows)).toEqual(["thinking", "tools×3", "thinking", "text"]);
    // A single call with thinking after it is no group.
    expect(shape(turnRows(placed([tool("Read", { file_path: "/a.ts" }), thinking("hm")])))).toEqual([
      "tool_use",
      "thinking",
    ]);
  });

  it("keeps an edit's diff and a subagent in view: they break a run", () => {
    const rows = turnRows(
      placed([
        tool("Read", { file_path: "/a.ts" }),
        tool("Read", { file_path: "/b.ts" }),
        tool("Edit", { file_path: "/a.ts", old_string: "a", new_string: "b" }),
        tool("Bash", { command: "ls" }),
        tool("Task", { description: "look", prompt: "look around" }),
        tool("Glob", { pattern: "*" }),
        tool("mcp__linear__create_issue", { title: "x" }),
      ]),
    );
    expect(shape(rows)).toEqual(["tools×2", "tool_use", "tool_use", "tool_use", "tools×2"]);
  });

  it("sums a group up: ran, running, failed", () => {
    expect(groupSummary(["done", "done", "done", "done", "done"])).toBe("Ran 5 tools");
    expect(groupSummary(["done", "done", "running"])).toBe("Running 3 tools");
    expect(groupSummary(["done", "error", "done", "stopped"])).toBe("Ran 4 tools, 1 failed");
  });
});

describe("thinking's duration", () => {
  it("is whole seconds from its times, at least one; unknown without them", () => {
    const thinking = (startedAt?: number, endedAt?: number): TranscriptBlock => ({
      type: "thinking",
      text: "hm",
      startedAt,
      endedAt,
    });
    expect(thoughtSeconds(thinking(1_000, 8_400))).toBe(7);
    expect(thoughtSeconds(thinking(1_000, 1_200))).toBe(1);
    expect(thoughtSeconds(thinking(1_000))).toBeNull();
    expect(thoughtSeconds(thinking())).toBeNull();
    expect(thoughtSeconds(thinking(5_000, 1_000))).toBeNull();
  });
});

describe("following the transcript", () => {
  it("follows while the reader is at the bottom, and offers the latest once they scrolled up", () => {
    const follow = new Follow();
    expect(follow.grew()).toBe(true);
    expect(follow.unseen).toBe(false);

    follow.scrolled(900);
    expect(follow.atBottom).toBe(false);
    expect(follow.grew()).toBe(false);
    expect(follow.unseen).toBe(true);

    // Near enough to the end counts as there, and what was unseen is seen.
    follow.scrolled(40);
    expect(follow.unseen).toBe(false);
    expect(follow.grew()).toBe(true);

    follow.scrolled(900);
    follow.grew();
    follow.jump();
    expect(follow.atBottom).toBe(true);
    expect(follow.unseen).toBe(false);
  });
});
