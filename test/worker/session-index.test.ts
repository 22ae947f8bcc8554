import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventually, waitForPhase } from "./session-helpers";

const roomStub = (id: string) => env.SessionRoom.get(env.SessionRoom.idFromName(id));

const indexedPhase = async (id: string) =>
  (await env.DB.prepare(`SELECT phase FROM sessions WHERE id = ?`).bind(id).first<{ phase: string }>())
    ?.phase;

describe("the D1 session index", () => {
  it("catches up from the room's alarm after a failed write, even across a restart", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { prompt: "hello", timeoutSeconds: 600 });
    await waitForPhase(owner, ws, id, "Running");
    await eventually(
      () => indexedPhase(id),
      (phase) => phase === "Running",
    );

    // D1 refuses every update of this session's row, as an outage would.
    const trigger = `fail_index_${id.replace(/-/g, "_")}`;
    await env.DB.prepare(
      `CREATE TRIGGER ${trigger} BEFORE UPDATE ON sessions WHEN OLD.id = '${id}' BEGIN SELECT RAISE(ABORT, 'index unavailable'); END`,
    ).run();
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Stopped");
    const retry = await eventually(
      () =>
        runInDurableObject(
          roomStub(id),
          (_i, state) =>
            state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'index_retry'`).toArray()[0]?.value,
        ),
      (value) => value !== undefined,
    );
    expect(JSON.parse(String(retry)).attempts).toBeGreaterThanOrEqual(1);
    expect(await indexedPhase(id)).toBe("Running");
    expect(await runInDurableObject(roomStub(id), (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // The room restarts while the index is behind; once D1 is back, the alarm brings the row up to date.
    await runInDurableObject(roomStub(id), (_i, state) => state.abort("restart")).catch(() => undefined);
    await env.DB.prepare(`DROP TRIGGER ${trigger}`).run();
    // However many attempts failed meanwhile, time passes until the next one is due.
    await runInDurableObject(roomStub(id), (_i, state) => {
      state.storage.sql.exec(
        `UPDATE meta SET value = json_set(value, '$.dueAt', 0) WHERE key = 'index_retry'`,
      );
    });
    await eventually(
      async () => {
        await runDurableObjectAlarm(roomStub(id));
        return indexedPhase(id);
      },
      (phase) => phase === "Stopped",
      10_000,
    );
    const listed = (await (await owner.api(`/api/workspaces/${ws}/sessions`)).json()) as {
      sessions: { id: string; phase: string }[];
    };
    expect(listed.sessions.find((s) => s.id === id)?.phase).toBe("Stopped");
    expect(
      await runInDurableObject(
        roomStub(id),
        (_i, state) =>
          state.storage.sql.exec(`SELECT count(*) AS n FROM meta WHERE key = 'index_retry'`).one().n,
      ),
    ).toBe(0);
  });
});
