/**
 * A repository URL stored with credentials before they were refused (`https://user:token@host/…`) shows
 * nowhere and travels nowhere: not in the session's REST view, its exports, the shared document, a
 * clone (which goes through the create body's schema), nor the agent's start.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import {
  createSession,
  eventsOf,
  fakeAgent,
  restartRoom,
  roomStub,
  waitForPhase,
} from "../worker/session-helpers";
import { countLeaks, observe, reportFigures } from "./probe";

reportFigures();

describe("a repository URL stored with credentials", () => {
  it("is stripped from the view, the exports, a clone and the agent's start", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const token = `ghp_${crypto.randomUUID().replaceAll("-", "")}`;
    const session = await createSession(owner, ws, {
      repos: [{ url: "https://github.com/acme/private.git" }],
    });
    await waitForPhase(owner, ws, session.id, "Running");
    await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, session.id, "Stopped");
    // As a session stored before the refusal holds it.
    await runInDurableObject(roomStub(session.id), (_room, state) => {
      const row = state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one();
      const record = JSON.parse(String(row.value)) as { repos: { url: string }[] };
      record.repos = [{ url: `https://x-access-token:${token}@github.com/acme/private.git` }];
      state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
    });
    await restartRoom(session.id);

    const path = `/api/workspaces/${ws}/sessions/${session.id}`;
    const seen: string[] = [];
    for (const url of [path, `${path}/export?format=markdown`, `${path}/transcript`]) {
      const res = await observe(await owner.api(url));
      expect(res.status).toBe(200);
      seen.push(res.text);
    }
    const pdf = await owner.api(`${path}/export?format=pdf`);
    seen.push(new TextDecoder("latin1").decode(await pdf.arrayBuffer()));
    const view = JSON.parse(seen[0]) as { session: { repos: { url: string }[] } };
    expect(view.session.repos).toEqual([{ url: "https://github.com/acme/private.git" }]);

    const clone = await observe(await owner.api(`${path}/clone`, { method: "POST" }));
    expect(clone.status).toBe(201);
    seen.push(clone.text);
    const cloneId = (JSON.parse(clone.text) as { session: { id: string } }).session.id;
    await waitForPhase(owner, ws, cloneId, "Running");
    const start = (await fakeAgent(cloneId)).received.find((frame) => frame.type === "start");
    expect(start?.repos).toEqual([{ url: "https://github.com/acme/private.git" }]);
    seen.push(JSON.stringify(start));

    // The stored session resumed: its agent is started without the credentials too.
    await owner.api(`${path}/resume`, { method: "POST" });
    await waitForPhase(owner, ws, session.id, "Running");
    seen.push(
      JSON.stringify(await fakeAgent(session.id)),
      JSON.stringify(await eventsOf(owner, ws, session.id)),
    );
    expect(countLeaks(seen.join("\n"), [token, "x-access-token"])).toBe(0);
    expect(seen.join("\n")).toContain("github.com/acme/private.git");
  });
});
