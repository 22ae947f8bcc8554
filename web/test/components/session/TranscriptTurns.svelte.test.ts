import type { BashInput, FileReadInput, GrepInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as Y from "yjs";
import Transcript from "#lib/components/session/Transcript.svelte";
import { messageList } from "#lib/transcript.ts";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addBlocks, addMessage, finished, finishTool, toolCall } from "../../fixtures/transcript-doc";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
  vi.restoreAllMocks();
});

function render(doc: Y.Doc, agentStatus: "working" | "idle" = "idle") {
  const view = renderTranscript(doc, { agentStatus });
  cleanup = view.destroy;
  return view;
}

const read = (path: string) => ({ file_path: path }) satisfies FileReadInput;
const grep = { pattern: "parse" } satisfies GrepInput;
const bash = (command: string) => ({ command }) satisfies BashInput;

describe("a transcript that scales", () => {
  it("groups the agent's consecutive tool calls across its messages, expandable, the running one in view", () => {
    const doc = new Y.Doc();
    addMessage(doc, "user", [{ type: "text", text: "fix the parser" }]);
    // Claude Code starts a message per model request: one call each.
    addMessage(doc, "assistant", [
      { type: "text", text: "Let me look." },
      finished(toolCall("r1", "Read", read("/a.ts")), "a"),
    ]);
    addMessage(doc, "assistant", [finished(toolCall("g1", "Grep", grep), "b")]);
    const last = addMessage(doc, "assistant", [toolCall("b1", "Bash", bash("npm test"))]);
    const view = render(doc, "working");

    expect(view.target.querySelectorAll('article[data-role="assistant"]')).toHaveLength(1);
    const group = view.target.querySelector("[data-tool-group]")!;
    const head = group.querySelector("button")!;
    expect(head.textContent).toContain("Running 3 tools");
    expect(head.textContent).toContain("Read, Grep, Bash");
    expect(head.getAttribute("aria-expanded")).toBe("false");
    // Folded, only the running call shows.
    expect([...group.querySelectorAll("[data-tool]")].map((el) => el.getAttribute("data-tool"))).toEqual([
      "Bash",
    ]);

    finishTool(doc, "b1", "1 passing");
    flushSync();
    expect(head.textContent).toContain("Ran 3 tools");
    expect(group.querySelectorAll("[data-tool]")).toHaveLength(0);

    head.click();
    flushSync();
    expect(head.getAttribute("aria-expanded")).toBe("true");
    expect(head.querySelector("[data-chevron]")?.classList.contains("open")).toBe(true);
    expect([...group.querySelectorAll("[data-tool]")].map((el) => el.getAttribute("data-tool"))).toEqual([
      "Read",
      "Grep",
      "Bash",
    ]);
    // A fourth call joins the same group, which stays open.
    addBlocks(doc, last, [toolCall("r2", "Read", read("/b.ts"))]);
    flushSync();
    expect(view.target.querySelector("[data-tool-group]")).toBe(group);
    expect(head.textContent).toContain("Running 4 tools");
    expect(group.querySelectorAll("[data-tool]")).toHaveLength(4);
  });

  it("shows thinking as it streams while the agent works, then folds it to how long it took", () => {
    const doc = new Y.Doc();
    const reply = addMessage(doc, "assistant", [{ type: "thinking", text: "Step one" }]);
    const view = render(doc, "working");
    const live = view.target.querySelector('[data-thinking="live"]')!;
    expect(live.textContent).toContain("Thinking…");
    const thinking = (reply.get("blocks") as Y.Array<Y.Map<unknown>>).get(0);
    (thinking.get("text") as Y.Text).insert(8, ", step two");
    flushSync();
    expect(view.target.querySelector('[data-thinking="live"]')?.textContent).toContain("Step one, step two");

    // The room closes the thinking when the next block starts (its times are on the block).
    doc.transact(() => {
      thinking.set("startedAt", 10_000);
      thinking.set("endedAt", 16_200);
    });
    addBlocks(doc, reply, [{ type: "text", text: "Here is the fix." }]);
    flushSync();
    expect(view.target.querySelector('[data-thinking="live"]')).toBeNull();
    const done = view.target.querySelector('details[data-thinking="done"]') as HTMLDetailsElement;
    expect(done.open).toBe(false);
    expect(done.querySelector("summary")?.textContent?.trim()).toBe("Thought for 6 s");
    expect(done.querySelector("summary [data-chevron]")).not.toBeNull();
  });

  it("copies a message's text and a code block's code", async () => {
    const writeText = vi.fn(async (_: string) => {});
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [{ type: "text", text: "Run this:\n\n```sh\nnpm test -- parser\n```" }]);
    addMessage(doc, "assistant", [{ type: "text", text: "Then **commit**." }]);
    const view = render(doc);

    view.target.querySelector<HTMLButtonElement>('button[aria-label="Copy message"]')!.click();
    await vi.waitFor(() => expect(writeText).toHaveBeenCalled());
    expect(writeText).toHaveBeenLastCalledWith(
      "Run this:\n\n```sh\nnpm test -- parser\n```\n\nThen **commit**.",
    );
    await vi.waitFor(() => {
      flushSync();
      expect(view.target.querySelector('button[aria-label="Copied"]')).not.toBeNull();
    });

    const copyCode = view.target.querySelector<HTMLButtonElement>('pre > button[aria-label="Copy code"]')!;
    copyCode.click();
    await vi.waitFor(() => expect(writeText).toHaveBeenLastCalledWith("npm test -- parser\n"));
  });

  it("puts a dated divider where a day begins", () => {
    const doc = new Y.Doc();
    const first = addMessage(doc, "user", [{ type: "text", text: "monday" }]);
    const second = addMessage(doc, "user", [{ type: "text", text: "tuesday" }]);
    doc.transact(() => {
      first.set("createdAt", new Date(2026, 2, 2, 18).getTime());
      second.set("createdAt", new Date(2026, 2, 3, 9).getTime());
    });
    const view = render(doc);
    const order = [...view.target.querySelectorAll("[data-day], article")].map((el) =>
      el.matches("[data-day]") ? el.getAttribute("data-day") : el.textContent?.match(/monday|tuesday/)?.[0],
    );
    expect(order).toEqual(["2026-03-02", "monday", "2026-03-03", "tuesday"]);
    expect(view.target.querySelector('[data-day="2026-03-03"]')?.getAttribute("role")).toBe("separator");
  });

  it("says the agent is working at the end of the transcript while it works", () => {
    const doc = new Y.Doc();
    addMessage(doc, "user", [{ type: "text", text: "go" }]);
    const view = render(doc, "working");
    const content = view.target.querySelector("section.transcript .content")!;
    expect(content.lastElementChild?.matches("[data-working]")).toBe(true);
    expect(content.lastElementChild?.textContent).toContain("The agent is working");
    view.props.agentStatus = "idle";
    flushSync();
    expect(view.target.querySelector("[data-working]")).toBeNull();
  });

  it("offers Jump to latest when new content arrives while the reader is scrolled up, and follows again", async () => {
    const doc = new Y.Doc();
    addMessage(doc, "user", [{ type: "text", text: "first" }]);
    const view = render(doc, "working");
    // The session opened at its end; then the reader scrolls up.
    await tick();
    const scroller = view.target.querySelector<HTMLElement>("section.transcript")!;
    // jsdom lays nothing out: the scroller's geometry is set by hand.
    Object.defineProperty(scroller, "scrollHeight", { value: 5_000, configurable: true });
    Object.defineProperty(scroller, "clientHeight", { value: 600, configurable: true });
    scroller.scrollTop = 1_000;
    scroller.dispatchEvent(new Event("scroll"));

    addMessage(doc, "assistant", [{ type: "text", text: "new words" }]);
    flushSync();
    await vi.waitFor(() => expect(view.target.querySelector("[data-jump]")).not.toBeNull());
    expect(scroller.scrollTop).toBe(1_000);

    // The reader's own changes (a disclosure opened) are not news.
    view.target.querySelector<HTMLButtonElement>("[data-jump]")!.click();
    flushSync();
    scroller.scrollTop = 1_000;
    scroller.dispatchEvent(new Event("scroll"));
    view.target.querySelector("article")!.append(document.createElement("p"));
    await Promise.resolve();
    flushSync();
    expect(view.target.querySelector("[data-jump]")).toBeNull();
    view.target.querySelector<HTMLButtonElement>('button[aria-label="Copy message"]')!.focus();
    addMessage(doc, "assistant", [{ type: "text", text: "more words" }]);
    flushSync();
    await vi.waitFor(() => expect(view.target.querySelector("[data-jump]")).not.toBeNull());
    view.target.querySelector<HTMLButtonElement>("[data-jump]")!.click();
    flushSync();
    expect(scroller.scrollTop).toBe(5_000);
    expect(view.target.querySelector("[data-jump]")).toBeNull();
    expect(messageList(doc).length).toBe(3);
  });
});

describe("a long session", () => {
  it("renders its latest messages once synced, even as the document arrives in parts, and earlier ones on request", () => {
    const doc = new Y.Doc();
    const say = (n: number) => addMessage(doc, "user", [{ type: "text", text: `message ${n}` }]);
    for (let n = 0; n < 50; n++) say(n);
    const target = document.createElement("div");
    document.body.append(target);
    const props = $state({ doc, agentStatus: "idle" as const, synced: false });
    const app = mount(Transcript, { target, props });
    cleanup = () => unmount(app);
    flushSync();
    // The rest of the sync lands: still only the latest are rendered.
    for (let n = 50; n < 320; n++) say(n);
    props.synced = true;
    flushSync();
    const shown = () =>
      [...target.querySelectorAll("article")].map((a) => a.textContent?.match(/message (\d+)/)?.[1]);
    expect(shown()).toHaveLength(150);
    expect(shown()[0]).toBe("170");
    expect(shown().at(-1)).toBe("319");

    // What comes next adds at the end; the window's start stays.
    say(320);
    flushSync();
    expect(shown()[0]).toBe("170");
    expect(shown().at(-1)).toBe("320");

    const earlier = target.querySelector<HTMLButtonElement>(".earlier button")!;
    expect(earlier.textContent).toBe("Show earlier messages");
    earlier.click();
    flushSync();
    expect(shown()[0]).toBe("20");
    target.querySelector<HTMLButtonElement>(".earlier button")!.click();
    flushSync();
    expect(shown()[0]).toBe("0");
    expect(target.querySelector(".earlier")).toBeNull();
  }, 60_000);
});

describe("disclosures look expandable (issue 25's defect)", () => {
  it("gives every tool block's summary a chevron, hidden from screen readers, turned when open", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [
      finished(toolCall("x1", "mcp__linear__create_issue", { title: "bug" }), "{}"),
    ]);
    addMessage(doc, "user", [{ type: "text", text: "and read it" }]);
    addMessage(doc, "assistant", [finished(toolCall("r1", "Read", read("/a.ts")), "a")]);
    const view = render(doc);
    for (const summary of view.target.querySelectorAll("details.tool > summary")) {
      const chevron = summary.querySelector(":scope > [data-chevron]");
      expect(chevron, summary.textContent ?? "").not.toBeNull();
      expect(chevron?.getAttribute("aria-hidden")).toBe("true");
      expect(chevron?.querySelector("svg")).not.toBeNull();
    }
    expect(view.target.querySelectorAll("details.tool > summary")).toHaveLength(2);
  });
});
