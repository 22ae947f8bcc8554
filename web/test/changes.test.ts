import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { diffLines, finishedWrites, webLink } from "#lib/changes.ts";
import { messageList } from "#lib/transcript.ts";

function toolBlock(name: string, status: string): Y.Map<unknown> {
  const block = new Y.Map<unknown>();
  block.set("type", "tool_use");
  block.set("name", name);
  block.set("status", status);
  return block;
}

describe("the Changes panel's inputs", () => {
  it("counts finished writing tool calls, so a new one means the workspace may have changed", () => {
    const doc = new Y.Doc();
    const writes = finishedWrites(doc);
    const message = new Y.Map<unknown>();
    const blocks = new Y.Array<Y.Map<unknown>>();
    message.set("blocks", blocks);
    messageList(doc).push([message]);
    const write = toolBlock("write_file", "running");
    blocks.push([toolBlock("read_file", "done"), write, toolBlock("bash", "done")]);
    expect(writes.current).toBe(1);
    write.set("status", "done");
    expect(writes.current).toBe(2);
    // Claude Code's own names count too; its reads do not.
    blocks.push([toolBlock("Edit", "done"), toolBlock("Read", "done"), toolBlock("Bash", "error")]);
    expect(writes.current).toBe(4);
  });

  it("classifies diff lines and keeps their text as it is", () => {
    const lines = diffLines(
      "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+<script>alert(1)</script>\n same\n",
    );
    expect(lines.map((l) => l.kind)).toEqual(["meta", "meta", "meta", "hunk", "del", "add", "context"]);
    expect(lines[5].text).toBe("+<script>alert(1)</script>");
  });

  it("links only to web addresses", () => {
    expect(webLink("https://github.com/acme/app/pull/1")).toBe("https://github.com/acme/app/pull/1");
    expect(webLink("javascript:alert(1)")).toBeNull();
    expect(webLink(null)).toBeNull();
  });
});
