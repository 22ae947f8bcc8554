import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request, signIn, tokenClient, uniqueName } from "./helpers";

type TokenListing = { tokens: Record<string, unknown>[] };

describe("API tokens", () => {
  it("creates a token shown once, which then works as a Bearer token (and as ?token= only on the session socket)", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const res = await alice.api("/api/tokens", { body: { name: "  laptop CLI  " } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; token: string; name: string; createdAt: number };
    expect(created).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^tdm_[A-Za-z0-9_-]{43}$/),
      name: "laptop CLI",
      createdAt: expect.any(Number),
    });

    const bearer = await request("/api/me", { headers: { authorization: `Bearer ${created.token}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toMatchObject({ user: { id: alice.user.id } });

    // In an HTTP URL a token would end up in logs and histories: refused there, even next to a cookie.
    const query = await request(`/api/me?token=${encodeURIComponent(created.token)}`);
    expect(query.status).toBe(401);
    expect((await alice.api(`/api/me?token=${encodeURIComponent(created.token)}`)).status).toBe(401);
  });

  it("stores only the SHA-256 of the token", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const { token, tokenId } = await tokenClient(alice);
    const row = await env.DB.prepare("SELECT hash FROM api_tokens WHERE id = ?")
      .bind(tokenId)
      .first<{ hash: string }>();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    expect(row?.hash).toBe([...digest].map((b) => b.toString(16).padStart(2, "0")).join(""));
  });

  it("lists my tokens with their use, never their secret or hash", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const cli = await tokenClient(alice, "cli");
    await tokenClient(alice, "ci");
    await cli.api("/api/me");

    const res = await alice.api("/api/tokens");
    expect(res.status).toBe(200);
    const { tokens } = (await res.json()) as TokenListing;
    expect(tokens.map((t) => t.name)).toEqual(["cli", "ci"]);
    for (const token of tokens)
      expect(Object.keys(token).sort()).toEqual(["createdAt", "id", "lastUsedAt", "name"]);
    expect(tokens[0].lastUsedAt).toEqual(expect.any(Number));
    expect(tokens[1].lastUsedAt).toBeNull();
    expect(JSON.stringify(tokens)).not.toContain(cli.token);

    const bob = await signIn(uniqueName("Bob"));
    expect(await (await bob.api("/api/tokens")).json()).toEqual({ tokens: [] });
  });

  it("revokes a token: it stops working at once and leaves the list", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const cli = await tokenClient(alice);
    expect((await cli.api("/api/me")).status).toBe(200);

    expect((await alice.api(`/api/tokens/${cli.tokenId}`, { method: "DELETE" })).status).toBe(204);
    expect((await cli.api("/api/me")).status).toBe(401);
    expect((await request(`/api/me?token=${cli.token}`)).status).toBe(401);
    expect(await (await alice.api("/api/tokens")).json()).toEqual({ tokens: [] });
    expect((await alice.api(`/api/tokens/${cli.tokenId}`, { method: "DELETE" })).status).toBe(404);
  });

  it("can revoke itself with its own token", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const cli = await tokenClient(alice);
    expect((await cli.api(`/api/tokens/${cli.tokenId}`, { method: "DELETE" })).status).toBe(204);
    expect((await cli.api("/api/me")).status).toBe(401);
  });

  it("answers 404 for someone else's token id or an unknown one, and 400 for a malformed id", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const bob = await signIn(uniqueName("Bob"));
    const cli = await tokenClient(alice);
    expect((await bob.api(`/api/tokens/${cli.tokenId}`, { method: "DELETE" })).status).toBe(404);
    expect((await cli.api("/api/me")).status).toBe(200);
    expect((await bob.api(`/api/tokens/${crypto.randomUUID()}`, { method: "DELETE" })).status).toBe(404);
    const malformed = await bob.api("/api/tokens/not-an-id", { method: "DELETE" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { field: string } }).error.field).toBe("id");
  });

  it("answers 401 for a bad token, even alongside a valid cookie", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const { token } = await tokenClient(alice);
    const bad = [`${token}x`, token.replace(/^tdm_/, ""), "tdm_", `tdm_${"A".repeat(43)}`, "garbage"];
    for (const value of bad) {
      expect(
        (await request("/api/me", { headers: { authorization: `Bearer ${value}` } })).status,
        value,
      ).toBe(401);
      expect((await request(`/api/me?token=${encodeURIComponent(value)}`)).status, value).toBe(401);
    }
    expect((await alice.api("/api/me", { headers: { authorization: "Bearer tdm_wrong" } })).status).toBe(401);
    expect((await alice.api("/api/me", { headers: { authorization: `Basic ${btoa("a:b")}` } })).status).toBe(
      401,
    );
  });

  it.each([
    ["no body", undefined, "missing_body", undefined],
    ["no name", {}, "invalid_input", "name"],
    ["a name that is not a string", { name: ["x"] }, "invalid_input", "name"],
    ["an empty name", { name: " " }, "invalid_input", "name"],
    ["a 101-character name", { name: "n".repeat(101) }, "invalid_input", "name"],
  ])("rejects creation with %s: 400", async (_, body, code, field) => {
    const alice = await signIn(uniqueName("Alice"));
    const res = await alice.api("/api/tokens", { method: "POST", body });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code, message: expect.any(String), ...(field && { field }) },
    });
  });

  it("needs a signed-in user for every token route", async () => {
    expect((await request("/api/tokens", { body: { name: "x" } })).status).toBe(401);
    expect((await request("/api/tokens")).status).toBe(401);
    expect((await request(`/api/tokens/${crypto.randomUUID()}`, { method: "DELETE" })).status).toBe(401);
  });
});
