/** The room mirrors the session into the document's `session` map: only a change becomes an update. */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Transcript } from "../../worker/session/transcript-doc";

describe("the session map", () => {
  it("writes a field rebuilt with an equal value no more, and a changed one once", () => {
    const doc = new Y.Doc();
    const transcript = new Transcript(doc);
    let updates = 0;
    doc.on("update", () => updates++);
    const repos = () => [{ url: "https://github.com/acme/app", branch: "main" }];
    transcript.setInfo({ phase: "Running", repos: repos(), origin: { kind: "person" } });
    const written = updates;
    expect(written).toBeGreaterThan(0);
    // What every publish does: the same values, some of them as new objects.
    transcript.setInfo({ phase: "Running", repos: repos(), origin: { kind: "person" } });
    expect(updates).toBe(written);
    transcript.setInfo({ repos: [{ url: "https://github.com/acme/app", branch: "release" }] });
    expect(updates).toBe(written + 1);
    expect(doc.getMap("session").get("repos")).toEqual([
      { url: "https://github.com/acme/app", branch: "release" },
    ]);
  });
});
