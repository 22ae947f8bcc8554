/**
 * Page views do not pin containers: a stopped session's changes are made once per saved workspace (by the
 * agent as it saves, else by the workbench on the first ask) and kept in R2, so fifty viewers opening the
 * page start no container; the workbench, which does start one, is limited per person and per workspace.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import { createSession, waitForAgentStatus, waitForPhase } from "../worker/session-helpers";
import { observe, reportFigures } from "./probe";

reportFigures();

const workbenchCalls = async () =>
  ((await (await fetch(`${env.AGENT_URL}/control-workbench`)).json()) as { action: string }[]).length;

async function stoppedWithChanges() {
  const owner = await signIn(uniqueName("owner"));
  const viewers = await Promise.all(Array.from({ length: 5 }, (_, i) => signIn(uniqueName(`viewer ${i}`))));
  const ws = await workspaceWith(
    owner,
    viewers.map((client) => ({ client, role: "viewer" as const })),
  );
  const session = await createSession(owner, ws, { repos: [{ url: "https://github.com/acme/app.git" }] });
  await waitForPhase(owner, ws, session.id, "Running");
  const path = `/api/workspaces/${ws}/sessions/${session.id}`;
  await owner.api(`${path}/messages`, { body: { text: "/write repo-1/src/fix.ts export const fixed = 1;" } });
  await waitForAgentStatus(owner, ws, session.id, "idle");
  await owner.api(`${path}/stop`, { method: "POST" });
  await waitForPhase(owner, ws, session.id, "Stopped");
  return { owner, viewers, ws, sessionId: session.id, path };
}

describe("a stopped session's changes", () => {
  it("are kept when its workspace is saved: fifty page views ask no workbench at all", async () => {
    const { viewers, path } = await stoppedWithChanges();
    const before = await workbenchCalls();
    for (let i = 0; i < 50; i++) {
      const res = await observe(await viewers[i % viewers.length].api(`${path}/changes`));
      expect(res.status).toBe(200);
      expect(res.text).toContain("+export const fixed = 1;");
    }
    expect(await workbenchCalls()).toBe(before);
  });

  it("kept nowhere (the agent could not answer as it saved): the workbench makes them once, then they are kept", async () => {
    const { viewers, sessionId, path } = await stoppedWithChanges();
    await env.ARTIFACTS.delete(`sessions/${sessionId}/workspace-changes.json`);
    const before = await workbenchCalls();
    for (let i = 0; i < 20; i++)
      expect((await observe(await viewers[i % viewers.length].api(`${path}/changes`))).status).toBe(200);
    expect((await workbenchCalls()) - before).toBe(1);
  });

  it("a person asking the workbench too often gets 429 (Retry-After) while someone else still may", async () => {
    const { owner, viewers, ws, sessionId, path } = await stoppedWithChanges();
    const editor = await signIn(uniqueName("editor"));
    await owner.api(`/api/workspaces/${ws}/members`, { body: { user: editor.user.email, role: "editor" } });
    await editor.api(`/api/workspaces/${ws}`);
    // Local rate limiting counts in wall-clock minutes: start the burst in a fresh one.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 20_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await observe(await owner.api(`${path}/push`, { body: { branch: `tandem/try-${i}` } }))).status,
      );
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    const limited = await observe(await owner.api(`${path}/push`, { body: { branch: "tandem/again" } }));
    expect(limited.status).toBe(429);
    expect(limited.errorShaped).toBe(true);
    expect(limited.headers.get("retry-after")).toBe("60");
    // Changes already kept cost no workbench call, so the limit does not stand in the way of reading them.
    expect((await observe(await owner.api(`${path}/changes`))).status).toBe(200);
    expect(
      (await observe(await editor.api(`${path}/push`, { body: { branch: "tandem/editor" } }))).status,
    ).toBe(200);
    await env.ARTIFACTS.delete(`sessions/${sessionId}/workspace-changes.json`);
    expect((await observe(await viewers[0].api(`${path}/changes`))).status).toBe(200);
  });
});
