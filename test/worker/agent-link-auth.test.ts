/** The agent link from the Worker's side: the room signs every request; nothing else reaches the agent. */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentLinkToken } from "@tandem/protocol/agent-auth";
import { AgentAuthError, agentCredential } from "../../worker/session/agent-auth";
import { agentEndpoint } from "../../worker/session/agent-link";
import type { Env } from "../../worker/env";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventually, FAILED_WITHIN_MS, fakeAgent, waitForPhase } from "./session-helpers";

async function runningSession() {
  const [owner, viewer] = await Promise.all([signIn(uniqueName("owner")), signIn(uniqueName("viewer"))]);
  const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
  const session = await createSession(owner, ws, {});
  await waitForPhase(owner, ws, session.id, "Running");
  return { owner, viewer, ws, id: session.id };
}

const refusedByFakeAgent = async () =>
  (
    (await (await fetch(`${env.AGENT_URL}/control/refused`)).json()) as {
      refused: { url: string; status: number }[];
    }
  ).refused;

describe("the room's agent link", () => {
  it("presents the session's token on the socket and on artifact downloads; the agent refuses requests without it", async () => {
    const { owner, ws, id } = await runningSession();
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "/artifact signed.md" },
    });
    await eventually(
      async () =>
        (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts`)).json()) as {
          artifacts: unknown[];
        },
      (body) => body.artifacts.length === 1,
    );
    expect((await refusedByFakeAgent()).filter((r) => r.url.includes(id))).toEqual([]);

    // The same requests without the token, or with another session's, are refused by the fake host's real check.
    const artifact = `${env.AGENT_URL}/sessions/${id}/artifacts/signed.md`;
    expect((await fetch(artifact)).status).toBe(401);
    expect(
      (
        await fetch(artifact, {
          headers: { authorization: `Bearer ${await agentLinkToken(env.AGENT_KEY!, "other")}` },
        })
      ).status,
    ).toBe(401);
    const socket = await fetch(`${env.AGENT_URL}/sessions/${id}/socket`, {
      headers: { upgrade: "websocket" },
    });
    expect(socket.status).toBe(401);
    expect(socket.webSocket).toBeNull();
  });

  it("believes only an agent that proves its key: an impostor at the agent's address gets no start and no trust", async () => {
    const { owner, ws, id } = await runningSession();
    await fetch(`${env.AGENT_URL}/control/impostor/${id}`, { method: "POST", body: "on" });
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "/artifact forged.md" },
    });
    const events = async () =>
      (
        (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
          events: { type: string; reason?: string }[];
        }
      ).events;
    const failed = await eventually(events, (list) => list.some((e) => e.type === "artifact_error"));
    expect(failed.find((e) => e.type === "artifact_error")?.reason).toContain(
      "without proving it holds the session's key",
    );
    expect(
      (
        (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts`)).json()) as {
          artifacts: unknown[];
        }
      ).artifacts,
    ).toEqual([]);

    // The socket drops; every reconnect reaches the impostor, which never gets a start frame (nor its secrets).
    await fakeAgent(id, "drop");
    await waitForPhase(owner, ws, id, "Failed", FAILED_WITHIN_MS);
    expect((await events()).find((e) => e.type === "agent_lost")?.reason).toContain(
      "without proving it holds the session's key",
    );
    expect((await fakeAgent(id)).received.filter((frame) => frame.type === "start")).toHaveLength(1);
  });

  it("will not dial the local agent host without AGENT_KEY", async () => {
    const { id } = await runningSession();
    await runInDurableObject(env.SessionRoom.get(env.SessionRoom.idFromName(id)), async (_room, state) => {
      const unkeyed = { ...env, AGENT_KEY: undefined } as Env;
      await expect(
        agentEndpoint(unkeyed, id, 60, state.storage).fetch(`/sessions/${id}/artifacts/x`),
      ).rejects.toThrow(AgentAuthError);
      await expect(
        agentEndpoint({ ...env, AGENT_KEY: "too-short" } as Env, id, 60, state.storage).openSocket(),
      ).rejects.toThrow(AgentAuthError);
    });
  });

  it("in production mints a key per session, keeps it, and gives it to the session's container", async () => {
    const { id } = await runningSession();
    const other = await runningSession();
    const given: { session: string; key: string }[] = [];
    // The container itself cannot run here (no Docker); this records what the room tells it.
    const containers = {
      idFromName: (name: string) => name,
      get: (name: string) => ({
        useAgentKey: async (key: string) => void given.push({ session: name, key }),
      }),
    };
    const production = (sessionEnv: Env) =>
      ({ ...sessionEnv, AGENT_URL: "", AgentContainer: containers }) as unknown as Env;
    const tokenOf = (sessionId: string) =>
      runInDurableObject(env.SessionRoom.get(env.SessionRoom.idFromName(sessionId)), (_room, state) =>
        agentCredential(production(env), state.storage, sessionId),
      );

    const first = await tokenOf(id);
    expect(await tokenOf(id)).toBe(first);
    await tokenOf(other.id);
    const [mine, again, theirs] = given;
    expect(mine).toEqual({ session: id, key: again.key });
    expect(mine.key.length).toBeGreaterThanOrEqual(43);
    expect(theirs.session).toBe(other.id);
    expect(theirs.key).not.toBe(mine.key);
    expect(first).toBe(await agentLinkToken(mine.key, id));
  });
});

describe("Durable Objects reachable from outside", () => {
  it("routes only the session room: /parties/agent-container/<id> is 404 for every member", async () => {
    const { owner, viewer, id } = await runningSession();
    for (const client of [owner, viewer]) {
      const plain = await client.api(`/parties/agent-container/${id}`);
      expect(plain.status).toBe(404);
      expect(((await plain.json()) as { error: { code: string } }).error.code).toBe("not_found");
      const upgrade = await client.api(`/parties/agent-container/${id}`, {
        headers: { upgrade: "websocket", "cf-container-target-port": "22" },
      });
      expect(upgrade.status).toBe(404);
      expect(upgrade.webSocket).toBeNull();
    }
    for (const path of [
      `/parties/AgentContainer/${id}`,
      `/parties//agent-container/${id}`,
      `/parties/session-room/../agent-container/${id}`,
    ]) {
      expect((await owner.api(path, { headers: { upgrade: "websocket" } })).status, path).toBe(404);
    }
    // The session room itself is still served to members.
    const room = await SELF.fetch(`http://localhost:8787/parties/session-room/${id}`, {
      headers: { upgrade: "websocket", cookie: owner.cookie },
    });
    expect(room.status).toBe(101);
    room.webSocket?.accept();
    room.webSocket?.close();
  });
});
