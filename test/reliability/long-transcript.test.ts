/**
 * A transcript over 5 MB (long tool outputs) survives compaction and a restart of the runtime, byte for
 * byte. The room's stored Yjs rows are read from the persisted Durable Object database while the runtime
 * is down, to show that compaction ran (and how large its largest row is: Cloudflare refuses rows over
 * 2 MB, which the storage's chunked snapshots keep under; local workerd does not enforce it).
 */
import { messageJSON, messageList } from "../../worker/protocol/transcript";
import { readdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Api, until } from "./api";
import { count } from "./figures";
import { Stack } from "./stack";
import { Viewer } from "./viewer";

const TARGET_BYTES = 5 * 1024 * 1024;

let stack: Stack;
beforeAll(async () => {
  stack = await Stack.start({ tokenDelayMs: 0 });
});
afterAll(async () => {
  await stack?.close();
});

/** The rooms' stored Yjs log (worker/viewers/yjs-log.ts), read from the persisted SQLite files. */
function storedUpdates(state: string): { rows: number; entries: number; largest: number } {
  const dir = path.join(state, "v3", "do", "tandem-SessionRoom");
  let rows = 0;
  let entries = 0;
  let largest = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".sqlite"))) {
    const db = new DatabaseSync(path.join(dir, file), { readOnly: true });
    try {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'yjs_log'").get()) continue;
      const row = db
        .prepare(
          "SELECT count(*) AS n, count(DISTINCT entry) AS entries, max(length(data)) AS largest FROM yjs_log",
        )
        .get() as {
        n: number;
        entries: number;
        largest: number | null;
      };
      rows += row.n;
      entries += row.entries;
      largest = Math.max(largest, row.largest ?? 0);
    } finally {
      db.close();
    }
  }
  return { rows, entries, largest };
}

it("keeps a transcript over 5 MB byte for byte through compaction and a restart", async () => {
  const api = await Api.signIn(() => stack.baseURL, "reliability");
  const ws = await api.workspace();
  const session = await api.createSession(ws, { timeoutSeconds: 1800 });
  // A team writes it: one person may send 60 messages a minute (the rate limit).
  const writers = [
    session,
    ...(await Promise.all([1, 2, 3].map((n) => api.member(ws, `writer ${n}`, "editor")))).map((editor) =>
      editor.session(ws, session.id),
    ),
  ];
  await session.waitForPhase("Running");
  await session.waitForIdle();
  // The document is watched over the socket (as a browser does), not polled as 5 MB of JSON.
  const viewer = new Viewer(
    () => `ws://127.0.0.1:${stack.apiPort}/parties/session-room/${session.id}`,
    api.cookie,
  );
  await viewer.connect();
  const toolsDone = () =>
    messageList(viewer.doc)
      .toArray()
      .flatMap((m) => messageJSON(m).blocks)
      .filter((b) => b.type === "tool_use" && b.status === "done").length;

  // The files the turns read: 1,200 numbered lines each (about 80 000 characters with Read's line numbers,
  // under what Claude Code's Read shows of a file at once), each file its own, so no two turns are alike.
  const FILES = 80;
  await session.say(
    `/run for f in $(seq 1 ${FILES}); do seq -f "file $f line %g: the quick brown fox jumps over the lazy dog" 1 1200 > part-$f.txt; done; echo written`,
  );
  await until(
    async () => [toolsDone(), viewer.doc.getMap("session").get("agentStatus")] as const,
    ([done, status]) => done === 1 && status === "idle",
    "the files written",
    60_000,
    20,
  );
  let turns = 0;
  let size = 0;
  while (size < TARGET_BYTES && turns < FILES) {
    turns++;
    await writers[turns % writers.length].say(`/read part-${turns}.txt`);
    await until(
      async () => [toolsDone(), viewer.doc.getMap("session").get("agentStatus")] as const,
      ([done, status]) => done === turns + 1 && status === "idle",
      `turn ${turns}`,
      30_000,
      20,
    );
    if (turns % 10 === 0)
      size = Buffer.byteLength(await (await session.api.call(`${session.path}/transcript`)).text());
  }
  await session.waitForIdle(60_000);
  const before = await (await session.api.call(`${session.path}/transcript`)).text();
  expect(Buffer.byteLength(before)).toBeGreaterThan(TARGET_BYTES);

  await stack.stopWorker();
  const stored = storedUpdates(stack.state);
  // Thousands of updates were written; compaction bounds the log (at most 5,000 updates past a snapshot),
  // and no stored row comes near Cloudflare's 2 MB limit: the snapshot is stored in parts.
  expect(stored.entries).toBeLessThanOrEqual(5001);
  expect(stored.largest).toBeLessThanOrEqual(2_000_000);
  await stack.startWorker();
  stack.workerRestarts++;

  const after = await (await session.api.call(`${session.path}/transcript`)).text();
  expect(after.length).toBe(before.length);
  expect(after === before).toBe(true);
  const late = new Viewer(
    () => `ws://127.0.0.1:${stack.apiPort}/parties/session-room/${session.id}`,
    api.cookie,
  );
  await late.connect();
  await viewer.connect();
  expect(late.snapshot() === viewer.snapshot()).toBe(true);
  late.close();
  viewer.close();

  count("long-transcript turns (80 000-character file reads)", turns);
  count("transcript bytes compared byte for byte after compaction and a restart", Buffer.byteLength(before));
  count("stored Yjs rows after compaction (DO SQLite)", stored.rows);
  count("stored Yjs entries after compaction (updates and snapshot)", stored.entries);
  count("largest stored Yjs row (Cloudflare's limit: 2 MB)", stored.largest, "bytes");
});
