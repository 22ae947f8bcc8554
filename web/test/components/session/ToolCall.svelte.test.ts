import type {
  BashInput,
  FileEditInput,
  FileReadInput,
  FileWriteInput,
  GrepInput,
  WebFetchInput,
} from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  BASH_FAILED,
  BASH_OUTPUT,
  EDIT_DONE,
  EDIT_NOT_FOUND,
  GREP_OUTPUT,
  READ_OUTPUT,
  WRITE_CREATED,
} from "../../fixtures/claude-code-results";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addMessage, finished, finishTool, toolCall } from "../../fixtures/transcript-doc";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

/** Renders the transcript with every group of consecutive calls opened: these tests read each call's block. */
function render(doc: Y.Doc) {
  const view = renderTranscript(doc, { agentStatus: "working" });
  cleanup = view.destroy;
  for (const button of view.target.querySelectorAll<HTMLButtonElement>("[data-tool-group] > button"))
    button.click();
  flushSync();
  return view.target;
}

const lineTexts = (root: Element) =>
  [...root.querySelectorAll(".diff .line")].map(
    (l) => `${l.className.split(" ")[1]}:${l.textContent?.trimEnd()}`,
  );

describe("Claude Code's tool blocks", () => {
  it("shows an Edit as a diff of its file, with its path and counts", () => {
    const doc = new Y.Doc();
    const edit = {
      file_path: "/workspace/app/src/app.ts",
      old_string: "export const greeting = 'hello';\nexport const n = 1;",
      new_string: "export const greeting = 'hi';\nexport const n = 1;",
    } satisfies FileEditInput;
    addMessage(doc, "assistant", [finished(toolCall("e1", "Edit", edit), EDIT_DONE)]);
    const block = render(doc).querySelector('[data-tool="Edit"]')!;
    expect(block.querySelector(".path")?.textContent).toBe("app/src/app.ts");
    expect(lineTexts(block)).toEqual([
      "del:-export const greeting = 'hello';",
      "add:+export const greeting = 'hi';",
      "context: export const n = 1;",
    ]);
    expect(block.querySelector(".stat")?.getAttribute("aria-label")).toBe("1 lines added, 1 removed");
    expect(block.querySelector(".status")?.textContent?.trim()).toBe("done");
  });

  it("shows a refused Edit's reason, and keeps a long diff behind a button", () => {
    const doc = new Y.Doc();
    const refused = {
      file_path: "/workspace/app/a.ts",
      old_string: "nope-not-there",
      new_string: "x",
    } satisfies FileEditInput;
    const long = {
      file_path: "/workspace/app/b.ts",
      old_string: "a",
      new_string: Array.from({ length: 60 }, (_, i) => `line ${i}`).join("\n"),
    } satisfies FileEditInput;
    addMessage(doc, "assistant", [
      finished(toolCall("e1", "Edit", refused), EDIT_NOT_FOUND, true),
      finished(toolCall("e2", "Edit", long), EDIT_DONE),
    ]);
    const target = render(doc);
    const [first, second] = target.querySelectorAll('[data-tool="Edit"]');
    expect(first.querySelector(".err")?.textContent).toBe(
      "String to replace not found in file.\nString: nope-not-there",
    );
    expect(first.querySelector(".status")?.textContent?.trim()).toBe("error");
    expect(second.querySelector(".diff")).toBeNull();
    (second.querySelector("button.more") as HTMLButtonElement).click();
    flushSync();
    expect(second.querySelectorAll(".diff .line")).toHaveLength(61);
  });

  it("shows a Write's path, and its content once opened", () => {
    const doc = new Y.Doc();
    const write = {
      file_path: "/workspace/app/notes.md",
      content: "# Notes\nline two\n",
    } satisfies FileWriteInput;
    addMessage(doc, "assistant", [finished(toolCall("w1", "Write", write), WRITE_CREATED)]);
    const block = render(doc).querySelector('details[data-tool="Write"]') as HTMLDetailsElement;
    expect(block.open).toBe(false);
    expect(block.querySelector("summary")?.textContent).toContain("app/notes.md");
    expect(block.querySelector("summary")?.textContent).toContain("2 lines");
    block.open = true;
    block.dispatchEvent(new Event("toggle"));
    flushSync();
    expect(lineTexts(block)).toEqual(["add:+# Notes", "add:+line two"]);
  });

  it("shows a Bash call as a terminal: description, command, output, then its exit state and duration", () => {
    const doc = new Y.Doc();
    const bash = {
      command: "echo out; echo err >&2",
      description: "Print to both streams",
    } satisfies BashInput;
    addMessage(doc, "assistant", [toolCall("b1", "Bash", bash)]);
    const block = render(doc).querySelector('[data-tool="Bash"]')!;
    expect(block.querySelector(".desc")?.textContent).toBe("Print to both streams");
    expect(block.querySelector(".terminal .command")?.textContent).toBe("$ echo out; echo err >&2");
    expect(block.querySelector(".terminal samp")).toBeNull();
    expect(block.querySelector(".status")?.textContent?.trim()).toBe("running");
    finishTool(doc, "b1", BASH_OUTPUT);
    flushSync();
    expect(block.querySelector(".terminal samp")?.textContent).toBe("out\nerr");
    expect(block.querySelector(".status")?.textContent?.trim()).toBe("done");
    expect(block.textContent).toContain("2.5 s");
  });

  it("gives a failed command its exit code and keeps only the end of a long output until asked", () => {
    const doc = new Y.Doc();
    const failing = { command: "echo failing; exit 3", description: "Fail on purpose" } satisfies BashInput;
    const noisy = { command: "seq 100" } satisfies BashInput;
    const output = Array.from({ length: 100 }, (_, i) => String(i + 1)).join("\n");
    addMessage(doc, "assistant", [
      finished(toolCall("b1", "Bash", failing), BASH_FAILED, true),
      finished(toolCall("b2", "Bash", noisy), output),
    ]);
    const [failed, long] = render(doc).querySelectorAll('[data-tool="Bash"]');
    expect(failed.querySelector(".status")?.textContent?.trim()).toBe("exit 3");
    expect(failed.querySelector("samp")?.textContent).toBe("failing");
    expect(long.querySelector("samp")?.textContent?.split("\n")).toHaveLength(20);
    expect(long.querySelector("samp")?.textContent?.endsWith("100")).toBe(true);
    const more = long.querySelector("button.more") as HTMLButtonElement;
    expect(more.getAttribute("aria-expanded")).toBe("false");
    more.click();
    flushSync();
    expect(long.querySelector("samp")?.textContent).toBe(output);
    expect(more.getAttribute("aria-expanded")).toBe("true");
  });

  it("sums up Read, Grep and WebFetch on one line that expands to the result", () => {
    const doc = new Y.Doc();
    const read = { file_path: "/workspace/app/src/app.ts" } satisfies FileReadInput;
    const grep = { pattern: "greeting", output_mode: "content" } satisfies GrepInput;
    const fetch = { url: "https://example.com/docs", prompt: "What is the title?" } satisfies WebFetchInput;
    addMessage(doc, "assistant", [
      finished(toolCall("r1", "Read", read), READ_OUTPUT),
      finished(toolCall("g1", "Grep", grep), GREP_OUTPUT),
      toolCall("f1", "WebFetch", fetch),
    ]);
    const target = render(doc);
    const readBlock = target.querySelector('details[data-tool="Read"]') as HTMLDetailsElement;
    expect(readBlock.querySelector("summary .input")?.textContent).toBe("app/src/app.ts");
    expect(target.querySelector('details[data-tool="Grep"] summary .input')?.textContent).toBe("greeting");
    expect(target.querySelector('details[data-tool="WebFetch"] summary .input')?.textContent).toBe(
      "https://example.com/docs",
    );
    // A URL is shown, never followed: no link out of the transcript.
    expect(target.querySelector('[data-tool="WebFetch"] a')).toBeNull();
    readBlock.open = true;
    readBlock.dispatchEvent(new Event("toggle"));
    flushSync();
    expect(readBlock.querySelector("pre")?.textContent).toBe(READ_OUTPUT);
  });

  it("labels an MCP tool with its server, and keeps the generic block for unknown and today's tools", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [
      finished(toolCall("m1", "mcp__linear__create_issue", { title: "Bug" }), '{"id":"LIN-1"}'),
      finished(toolCall("u1", "Frobnicate", { level: 3 }), "frobbed"),
      finished(toolCall("o1", "bash", { command: "sleep 2" }), "slept"),
    ]);
    const target = render(doc);
    const mcp = target.querySelector('details.tool[data-tool="mcp__linear__create_issue"]')!;
    expect(mcp.querySelector(".server")?.textContent).toBe("linear");
    expect(mcp.querySelector(".name")?.textContent).toBe("create_issue");
    expect(mcp.querySelector(".full")?.textContent).toContain('{"id":"LIN-1"}');
    const unknown = target.querySelector('details.tool[data-tool="Frobnicate"]')!;
    expect(unknown.querySelector(".full")?.textContent).toContain('"level": 3');
    expect(unknown.querySelector(".full")?.textContent).toContain("frobbed");
    const today = target.querySelector('details.tool[data-tool="bash"]')!;
    expect(today.querySelector("summary")?.textContent).toContain("sleep 2");
    expect(today.querySelector(".status")?.textContent?.trim()).toBe("done");
  });

  it("shows markup in commands, paths, diffs and outputs as text", () => {
    const doc = new Y.Doc();
    const evil = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>';
    addMessage(doc, "assistant", [
      finished(toolCall("b1", "Bash", { command: evil, description: evil } satisfies BashInput), evil),
      finished(
        toolCall("e1", "Edit", {
          file_path: `/workspace/${evil}.ts`,
          old_string: evil,
          new_string: `${evil}!`,
        } satisfies FileEditInput),
        evil,
      ),
      finished(toolCall("r1", "Read", { file_path: evil } satisfies FileReadInput), evil),
      finished(toolCall("m1", `mcp__${evil}__x`, { evil }), evil),
    ]);
    const target = render(doc);
    expect(target.querySelector("img, script")).toBeNull();
    expect(target.querySelector('[data-tool="Bash"] samp')?.textContent).toBe(evil);
    expect(target.querySelector('[data-tool="Edit"] .path')?.textContent).toBe(`${evil}.ts`);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });
});
