import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { TranscriptMessage } from "@tandem/protocol/transcript";
import { messageList } from "#lib/transcript.ts";
import Transcript from "#lib/components/session/Transcript.svelte";

/** Writes a message the way the SessionRoom does; the browser itself never writes to the document. */
function addMessage(
  doc: Y.Doc,
  role: string,
  author: string,
  blocks: Record<string, unknown>[],
): Y.Map<unknown> {
  const m = new Y.Map<unknown>();
  doc.transact(() => {
    m.set("id", `m${messageList(doc).length}`);
    m.set("role", role);
    m.set("author", author);
    m.set("createdAt", Date.now());
    const arr = new Y.Array<Y.Map<unknown>>();
    m.set("blocks", arr);
    messageList(doc).push([m]);
    for (const b of blocks) {
      const ym = new Y.Map<unknown>();
      arr.push([ym]);
      for (const [k, v] of Object.entries(b)) ym.set(k, v === "Y.Text" ? new Y.Text() : v);
    }
  });
  return m;
}

function render(doc: Y.Doc, agentStatus: "working" | "idle" | "waiting_input" = "idle") {
  const target = document.createElement("div");
  document.body.append(target);
  const props = $state({ doc, agentStatus, synced: true });
  const app = mount(Transcript, { target, props });
  flushSync();
  return { target, props, destroy: () => unmount(app) };
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

describe("Transcript", () => {
  it("shows people's messages with their author and grows agent text token by token", () => {
    const doc = new Y.Doc();
    addMessage(doc, "user", "Ada", [{ type: "text", text: "hello **there**" }]);
    const reply = addMessage(doc, "assistant", "", [{ type: "text", text: "Y.Text" }]);
    const view = render(doc);
    cleanup = view.destroy;
    const user = view.target.querySelector('[data-role="user"]');
    expect(user?.textContent).toContain("Ada");
    // People's messages are plain text, not markdown.
    expect(user?.textContent).toContain("hello **there**");

    const text = (reply.get("blocks") as Y.Array<Y.Map<unknown>>).get(0).get("text") as Y.Text;
    for (const token of ["Hel", "lo ", "**wor", "ld**"]) {
      text.insert(text.length, token);
      flushSync();
    }
    const agent = view.target.querySelector('[data-role="assistant"] .md');
    expect(agent?.innerHTML).toContain("<strong>world</strong>");
    expect(agent?.textContent?.trim()).toBe("Hello world");
  });

  it("renders HTML in agent text inert, as text", () => {
    const doc = new Y.Doc();
    const m = addMessage(doc, "assistant", "", [{ type: "text", text: "Y.Text" }]);
    ((m.get("blocks") as Y.Array<Y.Map<unknown>>).get(0).get("text") as Y.Text).insert(
      0,
      "<img src=x onerror=alert(1)>",
    );
    const view = render(doc);
    cleanup = view.destroy;
    expect(view.target.querySelector("img")).toBeNull();
    expect(view.target.textContent).toContain("<img src=x onerror=alert(1)>");
  });

  it("collapses tool calls to a line that expands, and follows their status", () => {
    const doc = new Y.Doc();
    const m = addMessage(doc, "assistant", "", [
      {
        type: "tool_use",
        id: "t1",
        name: "shell",
        input: { command: "sleep 2" },
        status: "running",
        startedAt: 1000,
      },
    ]);
    const view = render(doc, "working");
    cleanup = view.destroy;
    const details = view.target.querySelector("details.tool") as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.querySelector("summary")?.textContent).toContain("sleep 2");
    expect(details.querySelector("summary")?.textContent).toContain("running");
    const block = (m.get("blocks") as Y.Array<Y.Map<unknown>>).get(0);
    doc.transact(() => {
      block.set("status", "done");
      block.set("result", "slept");
      block.set("endedAt", 3500);
    });
    flushSync();
    expect(details.querySelector("summary")?.textContent).toContain("done");
    expect(details.querySelector("summary")?.textContent).toContain("2.5 s");
    expect(details.querySelector(".full")?.textContent).toContain("slept");
  });

  it("keeps thinking collapsed and highlights the open question", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", "", [
      { type: "thinking", text: "pondering" },
      { type: "question", text: "Which branch?" },
    ]);
    const view = render(doc, "waiting_input");
    cleanup = view.destroy;
    expect((view.target.querySelector("details.thinking") as HTMLDetailsElement).open).toBe(false);
    const q = view.target.querySelector(".question");
    expect(q?.classList.contains("waiting")).toBe(true);
    expect(q?.textContent).toContain("Which branch?");
    view.props.agentStatus = "working";
    flushSync();
    expect(view.target.querySelector(".question")?.classList.contains("waiting")).toBe(false);
  });

  it("marks a queued message until the agent reads it", () => {
    const doc = new Y.Doc();
    const m = addMessage(doc, "user", "Bo", [{ type: "text", text: "wait, use main" }]);
    m.set("queued", true);
    const view = render(doc, "working");
    cleanup = view.destroy;
    expect(view.target.querySelector(".msg.queued")?.textContent).toContain("Queued");
    m.set("queued", false);
    flushSync();
    expect(view.target.querySelector(".msg.queued")).toBeNull();
  });
});

describe("Transcript, settled messages (issue 24)", () => {
  // The room writes a settled message as its JSON string; the first lean writer wrote it as an object.
  it.each([
    ["its JSON string", (json: TranscriptMessage) => JSON.stringify(json)],
    ["an object", (json: TranscriptMessage) => json],
  ])(
    "shows a message the same once it settles into %s, keeping its element and an open disclosure open",
    (_, stored) => {
      const doc = new Y.Doc();
      const reply = addMessage(doc, "assistant", "agent", [
        { type: "thinking", text: "Y.Text" },
        { type: "text", text: "Y.Text" },
        {
          type: "tool_use",
          id: "t1",
          name: "Bash",
          input: { command: "npm test" },
          status: "running",
          startedAt: 1,
        },
      ]);
      const blocks = reply.get("blocks") as Y.Array<Y.Map<unknown>>;
      (blocks.get(0).get("text") as Y.Text).insert(0, "Let me look.");
      (blocks.get(1).get("text") as Y.Text).insert(0, "Running **the tests**.");
      doc.transact(() => {
        blocks.get(2).set("result", "1 passing");
        blocks.get(2).set("status", "done");
        blocks.get(2).set("endedAt", 2);
      });
      const view = render(doc);
      cleanup = view.destroy;
      flushSync();
      const article = view.target.querySelector('[data-role="assistant"]');
      const disclosure = view.target.querySelector("details.thinking") as HTMLDetailsElement;
      disclosure.open = true;
      const before = view.target.innerHTML;

      // As the room settles it (worker/session/transcript-doc.ts): the Y.Map replaced in place by its JSON.
      const json = reply.toJSON() as TranscriptMessage;
      doc.transact(() => {
        messageList(doc).delete(0, 1);
        messageList(doc).insert(0, [stored(json)]);
      });
      flushSync();
      expect(messageList(doc).get(0)).not.toBeInstanceOf(Y.Map);
      expect(view.target.innerHTML).toBe(before);
      expect(view.target.querySelector('[data-role="assistant"]')).toBe(article);
      expect((view.target.querySelector("details.thinking") as HTMLDetailsElement).open).toBe(true);
      expect(view.target.textContent).toContain("npm test");
    },
  );
});
