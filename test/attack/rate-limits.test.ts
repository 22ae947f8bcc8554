/**
 * Rate limits (wrangler.toml `[[ratelimits]]`, 60-second windows): 30 session creations and 60 messages
 * a minute per person, 60 webhook deliveries a minute per trigger; past that, 429 with Retry-After and the
 * JSON error shape, for that person or trigger only. Only valid requests count.
 */
import { describe, expect, it } from "vitest";
import { signBody } from "../../worker/secrets/hmac";
import { request, signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { observe, reportFigures, type Observed } from "./probe";

reportFigures();

/**
 * Local rate limiting counts in wall-clock minutes: a burst that straddles a minute would be split in two.
 * Waits for a fresh minute when the current one has less than `needMs` left.
 */
async function freshWindow(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

function expectLimited(res: Observed): void {
  expect(res.status).toBe(429);
  expect(res.errorShaped).toBe(true);
  expect(JSON.parse(res.text)).toMatchObject({ error: { code: "rate_limited" } });
  expect(res.headers.get("retry-after")).toBe("60");
}

describe("rate limits", () => {
  it("limits session creation to 30 a minute per person; invalid requests and other people do not count", async () => {
    const alice = await signIn(uniqueName("alice"));
    const bob = await signIn(uniqueName("bob"));
    const ws = await workspaceWith(alice, [{ client: bob, role: "editor" }]);
    await freshWindow(15_000);
    const create = async (client: Client, body: Record<string, unknown> = { timeoutSeconds: 60 }) =>
      observe(await client.api(`/api/workspaces/${ws}/sessions`, { body }));
    for (let i = 0; i < 10; i++) expect((await create(alice, { temperature: 9 })).status).toBe(400);
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await create(alice)).status);
    expect(statuses).toEqual(Array(30).fill(201));
    expectLimited(await create(alice));
    const listed = (
      (await (await alice.api(`/api/workspaces/${ws}/sessions?limit=100`)).json()) as {
        sessions: { id: string }[];
      }
    ).sessions;
    expect(listed).toHaveLength(30);
    // Clone creates a session too.
    expectLimited(
      await observe(
        await alice.api(`/api/workspaces/${ws}/sessions/${listed[0].id}/clone`, { method: "POST" }),
      ),
    );
    expect((await create(bob)).status).toBe(201);
  });

  it("limits messages to 60 a minute per person", async () => {
    const alice = await signIn(uniqueName("alice"));
    const bob = await signIn(uniqueName("bob"));
    const ws = await workspaceWith(alice, [{ client: bob, role: "editor" }]);
    // A session that waits for approval queues messages without an agent: cheap to send 60 to.
    const trigger = (await (
      await alice.api(`/api/workspaces/${ws}/triggers`, {
        body: { name: "t", session: {}, promptTemplate: "go", requireApproval: true },
      })
    ).json()) as {
      trigger: { id: string };
      secret: string;
    };
    const body = JSON.stringify({ n: 1 });
    const delivered = await request(`/webhooks/${trigger.trigger.id}`, {
      method: "POST",
      body,
      headers: { "x-hub-signature-256": await signBody(trigger.secret, body) },
    });
    const { sessionId } = (await delivered.json()) as { sessionId: string };
    await freshWindow(15_000);
    const send = async (client: Client, text: string) =>
      observe(await client.api(`/api/workspaces/${ws}/sessions/${sessionId}/messages`, { body: { text } }));
    for (let i = 0; i < 10; i++) expect((await send(alice, "   ")).status).toBe(400);
    const statuses = [];
    for (let i = 0; i < 60; i++) statuses.push((await send(alice, `message ${i}`)).status);
    expect(statuses).toEqual(Array(60).fill(202));
    expectLimited(await send(alice, "one too many"));
    expect((await send(bob, "bob still may")).status).toBe(202);
  });

  it("limits deliveries to 60 a minute per trigger, counting only signed ones", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const make = async () =>
      (await (
        await owner.api(`/api/workspaces/${ws}/triggers`, {
          body: { name: "t", session: {}, promptTemplate: "go", filter: { event: "never" } },
        })
      ).json()) as {
        trigger: { id: string };
        secret: string;
      };
    const [busy, quiet] = [await make(), await make()];
    await freshWindow(15_000);
    const deliver = async (t: { trigger: { id: string }; secret: string }, n: number, signed = true) => {
      const body = JSON.stringify({ n });
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-github-event": "issues",
      };
      if (signed) headers["x-hub-signature-256"] = await signBody(t.secret, body);
      return observe(await request(`/webhooks/${t.trigger.id}`, { method: "POST", body, headers }));
    };
    // Without the secret no one can use up a trigger's deliveries.
    for (let i = 0; i < 70; i++) expect((await deliver(busy, i, false)).status).toBe(401);
    const statuses = [];
    for (let i = 0; i < 60; i++) statuses.push((await deliver(busy, i)).status);
    expect(statuses).toEqual(Array(60).fill(200));
    expectLimited(await deliver(busy, 60));
    expect((await deliver(quiet, 0)).status).toBe(200);
  });
});
