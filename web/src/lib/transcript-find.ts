/**
 * Find in the transcript: the transcript renders a window of its messages (Transcript.svelte), so the
 * browser's own find sees only those. This searches the whole document's model instead: what people and
 * the agent wrote (text blocks; not tool output or thinking, which are folded away), case-insensitively,
 * every occurrence a hit; then says which rendered turn holds a hit and where in its text it is.
 */
import { windowStart, type TranscriptItem } from "./transcript-turns";
import { blocksOf, blockType, str, type TranscriptNode } from "./transcript";

/** One occurrence: the message it is in (its index in the document) and which occurrence in that message. */
export interface FindHit {
  message: number;
  occurrence: number;
}

/** The words of a message a reader sees as text. */
export function messageText(message: TranscriptNode): string {
  return blocksOf(message)
    .filter((block) => blockType(block) === "text")
    .map((block) => str(block, "text"))
    .join("\n");
}

/** How many times `query` (already lower case) occurs in `text`, without overlaps. */
export function occurrences(text: string, query: string): number {
  if (!query) return 0;
  const haystack = text.toLowerCase();
  let count = 0;
  for (let at = haystack.indexOf(query); at !== -1; at = haystack.indexOf(query, at + query.length)) count++;
  return count;
}

/** Every occurrence of `query` in the messages, in reading order. */
export function findHits(messages: readonly TranscriptNode[], query: string): FindHit[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  return messages.flatMap((message, index) =>
    Array.from({ length: occurrences(messageText(message), needle) }, (_, occurrence) => ({
      message: index,
      occurrence,
    })),
  );
}

/** Which item (turn) each message key is rendered in. */
export function turnOfKey(items: readonly TranscriptItem[]): Map<string, number> {
  const at = new Map<string, number>();
  items.forEach((item, index) => {
    if (item.kind === "turn") for (const key of item.keys) at.set(key, index);
  });
  return at;
}

/** A hit's place among the occurrences of its whole turn (a turn renders its messages as one article). */
export function placeInTurn(turn: TranscriptItem, hitKey: string, hit: FindHit, query: string): number {
  if (turn.kind !== "turn") return 0;
  const needle = query.trim().toLowerCase();
  let before = 0;
  for (const [i, key] of turn.keys.entries()) {
    if (key === hitKey) break;
    before += occurrences(messageText(turn.messages[i]), needle);
  }
  return before + hit.occurrence;
}

/**
 * Where a window ends (exclusive) that shows item `from` and at least `messages` messages after it: a hit
 * far from the latest is shown with what follows it, not by rendering everything down to the latest.
 */
export function windowEnd(items: readonly TranscriptItem[], from: number, messages: number): number {
  let end = from + 1;
  let count = 0;
  while (end < items.length && count < messages) {
    const item = items[end];
    if (item.kind === "turn") count += item.messages.length;
    end++;
  }
  return end;
}

/**
 * The occurrences of `query` in the text under `root` a reader sees as the messages' words (not a turn's
 * header nor a button's label), as ranges; a match split across elements (half of it bold) is missed.
 */
export function textRanges(root: Element, query: string): Range[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const ranges: Range[] = [];
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) =>
      node.parentElement?.closest("header, button") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = (node.nodeValue ?? "").toLowerCase();
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) {
      const range = root.ownerDocument.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      ranges.push(range);
    }
  }
  return ranges;
}

/** The rendered window, [start, end) in items; `end` null: through the latest. */
export interface TranscriptWindow {
  start: number;
  end: number | null;
}

/**
 * The window that shows a hit: the same one if it is rendered; the same one extended back to it if it is
 * at most `size` messages before (the reader scrolls on from there); else one moved to it, with a third of
 * `size` messages after it (not everything down to the latest: a 10,000-message session stays light).
 * Also the turn it is in (the `data-message` its article carries) and its place among that turn's hits.
 */
export function moveWindowTo(
  items: readonly TranscriptItem[],
  hitKey: string,
  hit: FindHit,
  query: string,
  { start, end }: TranscriptWindow,
  size: number,
): TranscriptWindow & { turnId: string; place: number } {
  const at = turnOfKey(items).get(hitKey) ?? -1;
  const turn = items[at];
  if (!turn || turn.kind !== "turn") return { start, end, turnId: "", place: 0 };
  const found = { turnId: str(turn.messages[0], "id"), place: placeInTurn(turn, hitKey, hit, query) };
  const last = end ?? items.length;
  if (at >= start && at < last) return { start, end, ...found };
  const between = items
    .slice(at, start)
    .reduce((n, item) => n + (item.kind === "turn" ? item.messages.length : 0), 0);
  if (end === null && at < start && between <= size) {
    const withDay = at > 0 && items[at - 1].kind === "day" ? at - 1 : at;
    return { start: withDay, end, ...found };
  }
  const moved = windowEnd(items, at, Math.ceil(size / 3));
  return {
    start: windowStart(items, moved, size),
    end: moved >= items.length ? null : moved,
    ...found,
  };
}

const MATCHES = "transcript-find";
const CURRENT = "transcript-find-current";

/**
 * Marks the current match in what is rendered under `root` and scrolls it into view: its turn carries
 * `data-find-current`, and where the browser has the CSS Custom Highlight API every match is highlighted,
 * the current one apart. A null `turnId` clears the marks.
 */
export function markFound(root: HTMLElement, turnId: string | null, query: string, place: number): void {
  for (const el of root.querySelectorAll("[data-find-current]")) el.removeAttribute("data-find-current");
  const highlights = typeof CSS !== "undefined" ? CSS.highlights : undefined;
  highlights?.delete(MATCHES);
  highlights?.delete(CURRENT);
  if (!turnId) return;
  const article = [...root.querySelectorAll("article[data-message]")].find(
    (el) => el.getAttribute("data-message") === turnId,
  );
  if (!article) return;
  article.setAttribute("data-find-current", "");
  const ranges = textRanges(article, query);
  const current = ranges.length ? ranges[Math.min(place, ranges.length - 1)] : null;
  if (highlights && typeof Highlight !== "undefined") {
    highlights.set(MATCHES, new Highlight(...textRanges(root, query)));
    if (current) highlights.set(CURRENT, new Highlight(current));
  }
  (current?.startContainer.parentElement ?? article).scrollIntoView({ block: "center" });
}
