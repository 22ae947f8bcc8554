import { createExecutionContext, env } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import worker from "../../worker/index";
import { request, signIn, uniqueName } from "./helpers";

describe("dev sign-in", () => {
  it("signs in with a name, sets a signed HttpOnly cookie, and /api/me answers with the user", async () => {
    const name = uniqueName("Alice");
    const res = await request("/api/auth/dev", { body: { name: `  ${name}  ` } });
    expect(res.status).toBe(200);
    const { user } = (await res.json()) as { user: { id: string; name: string; email: string } };
    expect(user).toEqual({ id: expect.any(String), name, email: expect.stringMatching(/@dev\.local$/) });
    const setCookie = res.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^tandem_dev_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);

    const me = await request("/api/me", { headers: { cookie: setCookie.split(";")[0] } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ user });
  });

  it("signs the same name in as the same user, case-insensitively, and other names as others", async () => {
    const name = uniqueName("Bob Smith");
    const first = await signIn(name);
    const again = await signIn(name.toUpperCase());
    const other = await signIn(uniqueName("Bob Smith"));
    expect(again.user.id).toBe(first.user.id);
    expect(other.user.id).not.toBe(first.user.id);
  });

  it("gives names without latin letters distinct users", async () => {
    const a = await signIn(`日本 ${crypto.randomUUID().slice(0, 4)}`);
    const b = await signIn(`中文 ${crypto.randomUUID().slice(0, 4)}`);
    expect(a.user.id).not.toBe(b.user.id);
  });

  it.each([
    ["no body", undefined, "missing_body", undefined],
    ["malformed JSON", "{name:", "invalid_json", undefined],
    ["no name", {}, "invalid_input", "name"],
    ["a number", { name: 42 }, "invalid_input", "name"],
    ["only spaces", { name: "   " }, "invalid_input", "name"],
    ["101 characters", { name: "x".repeat(101) }, "invalid_input", "name"],
  ])("rejects %s with 400", async (_, body, code, field) => {
    const res = await request("/api/auth/dev", { method: "POST", body });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; field?: string } };
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
  });

  it("accepts a name of exactly 100 characters", async () => {
    const res = await request("/api/auth/dev", { body: { name: "y".repeat(100) } });
    expect(res.status).toBe(200);
  });

  it("answers 401 without a cookie, and for a forged or tampered one", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const bob = await signIn(uniqueName("Bob"));
    const [, signature] = decodeURIComponent(alice.cookie.split("=")[1]).split(".");
    const forged = [
      "",
      "tandem_dev_session=" + alice.user.id,
      "tandem_dev_session=" + encodeURIComponent(`${bob.user.id}.${signature}`),
      "tandem_dev_session=" + encodeURIComponent(`${alice.user.id}.${"A".repeat(43)}=`),
    ];
    for (const cookie of forged) {
      const res = await request("/api/me", { headers: cookie ? { cookie } : {} });
      expect(res.status, cookie).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "unauthenticated", message: expect.any(String) } });
    }
  });

  it("signs out by expiring the cookie", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const res = await alice.api("/api/auth/signout", { method: "POST" });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/^tandem_dev_session=;.*Max-Age=0/i);
  });

  it("requires a user on every /api route", async () => {
    for (const path of [
      "/api/me",
      "/api/tokens",
      "/api/workspaces",
      `/api/workspaces/${crypto.randomUUID()}`,
    ]) {
      expect((await request(path)).status, path).toBe(401);
    }
  });
});

// Access tests call the Worker with AUTH_MODE=access and serve the team's keys from a stubbed fetch:
// the Worker runs in the test's isolate, so jose's JWKS request reaches the stub.
describe("Cloudflare Access", () => {
  const team = "tandem-test.cloudflareaccess.com";
  const audience = "tandem-test-audience";
  const certsURL = `https://${team}/cdn-cgi/access/certs`;
  const accessEnv = {
    ...env,
    AUTH_MODE: "access" as const,
    ACCESS_TEAM_DOMAIN: team,
    ACCESS_AUDIENCE: audience,
  };
  let signingKey: CryptoKey;
  let otherKey: CryptoKey;
  let publicJwk: JWK;
  let certsFetches = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair("RS256")).privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (url !== certsURL) return realFetch(input, init);
      certsFetches++;
      return Response.json({ keys: [publicJwk] });
    });
  });
  afterAll(() => vi.restoreAllMocks());

  function jwt(
    claims: Record<string, unknown>,
    options: { key?: CryptoKey; aud?: string; iss?: string; exp?: string | number } = {},
  ) {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .setIssuer(options.iss ?? `https://${team}`)
      .setAudience(options.aud ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? "5m")
      .sign(options.key ?? signingKey);
  }

  async function call(path: string, headers: Record<string, string> = {}, method = "GET") {
    return worker.fetch(
      new Request(`http://localhost:8787${path}`, { method, headers }),
      accessEnv,
      createExecutionContext(),
    );
  }

  it("accepts a valid JWT from the header, creating the user by email with the email's local part as name", async () => {
    const local = `carol.${crypto.randomUUID().slice(0, 8)}`;
    const res = await call("/api/me", {
      "cf-access-jwt-assertion": await jwt({ email: `${local}@Example.com` }),
    });
    expect(res.status).toBe(200);
    const { user } = (await res.json()) as { user: { id: string; name: string; email: string } };
    expect(user).toEqual({ id: expect.any(String), name: local, email: `${local}@example.com` });

    const again = await call("/api/me", {
      "cf-access-jwt-assertion": await jwt({ email: `${local}@example.com` }),
    });
    expect(((await again.json()) as { user: { id: string } }).user.id).toBe(user.id);
  });

  it("uses the name claim when there is one, and reads the CF_Authorization cookie", async () => {
    const email = `${crypto.randomUUID()}@example.com`;
    const token = await jwt({ email, name: "Dana Scully" });
    const res = await call("/api/me", { cookie: `other=1; CF_Authorization=${token}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { name: "Dana Scully", email } });
  });

  it("fetches the team's keys once and keeps them", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await call("/api/me", {
        "cf-access-jwt-assertion": await jwt({ email: "eve@example.com" }),
      });
      expect(res.status).toBe(200);
    }
    expect(certsFetches).toBe(1);
  });

  it.each([
    ["expired", { exp: Math.floor(Date.now() / 1000) - 60 }, { email: "x@example.com" }],
    ["for another audience", { aud: "someone-else" }, { email: "x@example.com" }],
    ["from another issuer", { iss: "https://evil.cloudflareaccess.com" }, { email: "x@example.com" }],
    ["signed with another key", { key: "other" }, { email: "x@example.com" }],
    ["without an email (a service token)", {}, { common_name: "ci.access" }],
  ])("rejects a JWT %s with 401", async (_, options, claims) => {
    const key = (options as { key?: string }).key === "other" ? otherKey : signingKey;
    const token = await jwt(claims, { ...(options as object), key });
    const res = await call("/api/me", { "cf-access-jwt-assertion": token });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
  });

  it("rejects garbage, an unsigned JWT, and no JWT at all", async () => {
    const unsigned = `${btoa(JSON.stringify({ alg: "none" }))}.${btoa(JSON.stringify({ email: "x@example.com", aud: audience, iss: `https://${team}` }))}.`;
    for (const headers of [
      { "cf-access-jwt-assertion": "not-a-jwt" },
      { "cf-access-jwt-assertion": unsigned },
      {},
    ] as Record<string, string>[]) {
      expect((await call("/api/me", headers)).status).toBe(401);
    }
  });

  it("ignores the dev cookie and turns the dev sign-in off", async () => {
    const alice = await signIn(uniqueName("Alice"));
    expect((await call("/api/me", { cookie: alice.cookie })).status).toBe(401);
    const dev = await worker.fetch(
      new Request("http://localhost:8787/api/auth/dev", {
        method: "POST",
        body: JSON.stringify({ name: "Mallory" }),
      }),
      accessEnv,
      createExecutionContext(),
    );
    expect(dev.status).toBe(404);
  });

  it("still accepts API tokens", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const created = await alice.api("/api/tokens", { body: { name: "cli" } });
    const { token } = (await created.json()) as { token: string };
    const res = await call("/api/me", { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { id: alice.user.id } });
  });
});

describe("an AUTH_MODE that is neither dev nor access", () => {
  it("signs nobody in by the dev cookie (fail closed), and API tokens still work", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const mistyped = { ...env, AUTH_MODE: "production" } as unknown as typeof env;
    const call = (path: string, headers: Record<string, string>) =>
      worker.fetch(
        new Request(`http://localhost:8787${path}`, { headers }),
        mistyped,
        createExecutionContext(),
      );
    expect((await call("/api/me", { cookie: alice.cookie })).status).toBe(401);
    const { token } = (await (await alice.api("/api/tokens", { body: { name: "cli" } })).json()) as {
      token: string;
    };
    expect((await call("/api/me", { authorization: `Bearer ${token}` })).status).toBe(200);
  });
});

describe("OpenAPI", () => {
  it("serves an OpenAPI 3.1 document to anyone", async () => {
    const res = await request("/api/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, object> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/auth/dev",
        "/api/me",
        "/api/tokens",
        "/api/workspaces/{ws}/members/{userId}",
      ]),
    );
  });
});
