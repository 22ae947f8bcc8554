import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { SetupBlock } from "@tandem/protocol/transcript";
import { parseVariables, variablesText } from "#lib/environment.ts";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addMessage } from "../../fixtures/transcript-doc";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

const setup = (extra: Partial<SetupBlock> = {}): SetupBlock => ({
  type: "setup",
  id: "setup-1",
  source: "workspace setup script",
  text: "",
  status: "running",
  startedAt: 1_000,
  ...extra,
});

describe("the setup block", () => {
  it("shows the setup's output as a terminal while it streams, then how it ended", () => {
    const doc = new Y.Doc();
    const message = addMessage(doc, "system", [setup({ text: "npm ci\n" })], "");
    const view = renderTranscript(doc);
    cleanup = view.destroy;
    const block = view.target.querySelector('[aria-label="Setup: workspace setup script"]')!;
    expect(block.querySelector("pre.terminal")?.textContent).toBe("npm ci\n");
    expect(block.querySelector(".status")?.textContent).toBe("running");

    // The room appends output to the block's Y.Text: the terminal grows in place.
    const ymap = (message.get("blocks") as Y.Array<Y.Map<unknown>>).get(0);
    doc.transact(() => (ymap.get("text") as Y.Text).insert(14, "added 12 packages\n"));
    flushSync();
    expect(block.querySelector("pre.terminal")?.textContent).toBe("npm ci\nadded 12 packages\n");

    doc.transact(() => {
      ymap.set("status", "error");
      ymap.set("exitCode", 3);
    });
    flushSync();
    expect(block.querySelector(".status")?.textContent).toBe("exit 3");
    expect(block.querySelector("samp.err")).not.toBeNull();
  });

  it("says when a saved environment was restored instead", () => {
    const doc = new Y.Doc();
    addMessage(
      doc,
      "system",
      [setup({ source: "environment", status: "restored", text: "environment restored\n" })],
      "",
    );
    const view = renderTranscript(doc);
    cleanup = view.destroy;
    const block = view.target.querySelector('[aria-label="Environment"]')!;
    expect(block.querySelector(".status")?.textContent).toBe("environment restored");
  });
});

describe("the environment page's variables", () => {
  it("reads NAME=value lines (a value may hold '='), and names the first bad line", () => {
    expect(parseVariables("NODE_ENV=test\n\nURL=http://x/?a=b\n")).toEqual({
      env: { NODE_ENV: "test", URL: "http://x/?a=b" },
    });
    expect(parseVariables("OK=1\nlower=2").error).toMatch(/^Line 2:/);
    expect(parseVariables("NOVALUE").error).toMatch(/^Line 1:/);
    expect(variablesText({ A: "1", B: "x=y" })).toBe("A=1\nB=x=y");
  });
});
