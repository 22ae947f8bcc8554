/**
 * Approvals in the room, with the fake agent host asking for them (/approval): a pending approval keeps the
 * idle clock still (the team has to answer; the run's timeout still counts); a member removed from the
 * workspace can no longer answer (404, as for anyone outside it); a stop closes what nobody answered, and a
 * late answer to it is 409 already_decided.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../worker/session/record";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import {
  createSession,
  eventually,
  roomStub,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";

const storedRecord = (id: string) =>
  runInDurableObject(
    roomStub(id),
    (_room, state) =>
      JSON.parse(
        String(state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one().value),
      ) as SessionRecord,
  );

async function askApproval(
  client: Client,
  ws: string,
  id: string,
): Promise<{ id: string; status: string; closedReason?: string }> {
  expect(
    (await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "/approval Bash" } }))
      .status,
  ).toBe(202);
  const messages = await eventually(
    () => transcriptOf(client, ws, id),
    (m) => m.some((x) => x.blocks.some((b) => b.type === "approval")),
  );
  return messages.flatMap((m) => m.blocks).find((b) => b.type === "approval") as unknown as {
    id: string;
    status: string;
  };
}

const decide = (client: Client, ws: string, id: string, approvalId: string, body: unknown) =>
  client.api(`/api/workspaces/${ws}/sessions/${id}/approvals/${encodeURIComponent(approvalId)}`, { body });

describe("approvals in the room", () => {
  it("a pending approval keeps the idle clock still; answered, the session idles again", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { permissionMode: "ask" });
    await waitForPhase(owner, ws, id, "Running");
    const approval = await askApproval(owner, ws, id);
    await waitForAgentStatus(owner, ws, id, "waiting_input");
    expect((await storedRecord(id)).idleSince).toBeNull();
    expect((await decide(owner, ws, id, approval.id, { decision: "allow" })).status).toBe(200);
    await waitForAgentStatus(owner, ws, id, "idle");
    expect(
      (
        await eventually(
          () => storedRecord(id),
          (r) => r.idleSince !== null,
        )
      ).idleSince,
    ).not.toBeNull();
  });

  it("a member removed from the workspace cannot answer; a stop closes the approval and a late answer is 409", async () => {
    const owner = await signIn(uniqueName("owner"));
    const editor = await signIn(uniqueName("editor"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
    const { id } = await createSession(owner, ws, { permissionMode: "ask" });
    await waitForPhase(owner, ws, id, "Running");
    const approval = await askApproval(owner, ws, id);
    expect(
      (await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    expect((await decide(editor, ws, id, approval.id, { decision: "allow" })).status).toBe(404);

    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Stopped", 10_000);
    const closed = (await transcriptOf(owner, ws, id))
      .flatMap((m) => m.blocks)
      .find((b) => b.type === "approval");
    expect(closed).toMatchObject({ status: "closed" });
    const late = await decide(owner, ws, id, approval.id, { decision: "allow" });
    expect(late.status).toBe(409);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("already_decided");
  });
});
