/**
 * Late joins of long sessions: a transcript written into a SessionRoom through the real DO ↔ agent
 * protocol (the scriptable agent host of the tests stands in for the agent, so 10,000 messages take
 * seconds, not an afternoon of model calls), then fresh viewers join and sync it.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { messageJSON, messageList } from "@tandem/protocol/transcript";
import { waitForSession, type Tandem } from "./stack";
import { now, openViewer } from "./viewers";

export interface LateJoin {
  messages: number;
  /** The transcript as the API serves it (GET …/transcript). */
  jsonBytes: number;
  /** Everything a new viewer receives to be fully synced. */
  syncBytes: number;
  ratioToJSON: number;
  syncParts: number;
  largestSyncPart: number;
  /** From opening the socket to the whole document applied, per join. */
  syncMs: number[];
  /** Then every message read as JSON, as a first render reads it (a settled one parsed), per join. */
  readMs: number[];
  /**
   * Where each join's time went: the upgrade (ticket, placement, socket), the server's answer (from the
   * socket open to its first part), receiving the parts (less applying them) and applying them.
   */
  phases: { upgradeMs: number; answerMs: number; receiveMs: number; applyMs: number }[];
  /** The room's Yjs log: every update as appended, against what is stored after compaction. */
  appendedBytes: number;
  storedBytes: number;
  storedRows: number;
  largestRow: number;
  /** The runtime's resident memory: before the session, after its transcript was written (and compacted), after the joins. */
  rssBefore: number;
  rssSeeded: number;
  rssAfterJoins: number;
}

type Seeded = Pick<LateJoin, "jsonBytes" | "appendedBytes" | "rssBefore" | "rssSeeded">;

/**
 * One long transcript in one runtime, written, then joined as often as asked: `seed`, then `join` (the
 * bench alternates the joins of several documents, so each sees the same machine), then `result`.
 */
export class LateJoinRun {
  readonly #tandem: Tandem;
  readonly #sessionId: string;
  readonly #expectMessages: number;
  readonly #seeded: Seeded;
  readonly #syncMs: number[] = [];
  readonly #readMs: number[] = [];
  readonly #phases: LateJoin["phases"] = [];
  #last = { syncBytes: 0, syncParts: 0, largestSyncPart: 0 };

  private constructor(tandem: Tandem, sessionId: string, expectMessages: number, seeded: Seeded) {
    this.#tandem = tandem;
    this.#sessionId = sessionId;
    this.#expectMessages = expectMessages;
    this.#seeded = seeded;
  }

  /** Writes the transcript `prompt` asks the scriptable agent for, and waits until it is all there. */
  static async seed(tandem: Tandem, prompt: string, expectMessages: number): Promise<LateJoinRun> {
    const { owner, workspaceId } = tandem;
    const rssBefore = tandem.runtimeRSS();
    const res = await tandem.api(owner, `/api/workspaces/${workspaceId}/sessions`, {
      prompt,
      timeoutSeconds: 1800,
    });
    const sessionId = ((await res.json()) as { session: { id: string } }).session.id;
    // Watches the whole seeding: the updates it receives are the updates the room appended to its log.
    const watcher = openViewer(await tandem.socketURL(sessionId), { kind: "tandem" }, { tokens: 0 });
    await watcher.synced;
    const transcriptPath = `/api/workspaces/${workspaceId}/sessions/${sessionId}/transcript`;
    let jsonBytes = 0;
    const deadline = Date.now() + 600_000;
    for (;;) {
      await waitForSession(
        tandem,
        sessionId,
        (s) => s.phase === "Running" && s.agentStatus === "idle",
        600_000,
      );
      const body = await (await tandem.api(owner, transcriptPath)).text();
      const count = (JSON.parse(body) as { messages: unknown[] }).messages.length;
      if (count >= expectMessages) {
        jsonBytes = Buffer.byteLength(body);
        break;
      }
      if (Date.now() > deadline) throw new Error(`only ${count} of ${expectMessages} messages`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const appendedBytes = watcher.syncBytes + watcher.updateBytes;
    watcher.close();
    return new LateJoinRun(tandem, sessionId, expectMessages, {
      jsonBytes,
      appendedBytes,
      rssBefore,
      rssSeeded: tandem.runtimeRSS(),
    });
  }

  /** A fresh viewer joins, syncs the whole document and reads every message. */
  async join(): Promise<void> {
    const url = await this.#tandem.socketURL(this.#sessionId);
    const started = now();
    const viewer = openViewer(url, { kind: "tandem" }, { tokens: 0, keepDoc: true });
    const synced = await viewer.synced;
    this.#syncMs.push(synced - started);
    const messages = messageList(viewer.doc!).toArray().map(messageJSON).length;
    this.#readMs.push(now() - synced);
    this.#phases.push({
      upgradeMs: viewer.openedAt - started,
      answerMs: viewer.firstSyncAt - viewer.openedAt,
      receiveMs: synced - viewer.firstSyncAt - viewer.applyMs,
      applyMs: viewer.applyMs,
    });
    viewer.close();
    if (messages < this.#expectMessages)
      throw new Error(`late joiner synced ${messages} of ${this.#expectMessages} messages`);
    this.#last = viewer;
  }

  result(): LateJoin {
    const last = this.#last;
    return {
      messages: this.#expectMessages,
      jsonBytes: this.#seeded.jsonBytes,
      syncBytes: last.syncBytes,
      ratioToJSON: last.syncBytes / this.#seeded.jsonBytes,
      syncParts: last.syncParts,
      largestSyncPart: last.largestSyncPart,
      syncMs: this.#syncMs,
      readMs: this.#readMs,
      phases: this.#phases,
      appendedBytes: this.#seeded.appendedBytes,
      ...roomLog(this.#tandem.persistTo, this.#sessionId),
      rssBefore: this.#seeded.rssBefore,
      rssSeeded: this.#seeded.rssSeeded,
      rssAfterJoins: this.#tandem.runtimeRSS(),
    };
  }
}

/** The room's stored Yjs log (worker/viewers/yjs-log.ts), read from its SQLite file in wrangler's local state. */
function roomLog(
  persistTo: string,
  sessionId: string,
): { storedBytes: number; storedRows: number; largestRow: number } {
  const dir = join(persistTo, "v3", "do", "tandem-SessionRoom");
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".sqlite"))) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      const meta = db.prepare(`SELECT value FROM meta WHERE key = 'session'`).get() as
        { value: string } | undefined;
      if (!meta || (JSON.parse(meta.value) as { id: string }).id !== sessionId) continue;
      const row = db
        .prepare(
          `SELECT coalesce(sum(length(data)), 0) AS bytes, count(*) AS rows, coalesce(max(length(data)), 0) AS largest FROM yjs_log`,
        )
        .get() as { bytes: number; rows: number; largest: number };
      return {
        storedBytes: Number(row.bytes),
        storedRows: Number(row.rows),
        largestRow: Number(row.largest),
      };
    } finally {
      db.close();
    }
  }
  throw new Error(`no SQLite file for session ${sessionId} under ${dir}`);
}
