/**
 * Cross-site request forgery: what another site's page can make a signed-in browser send (a form post,
 * a no-cors fetch, a WebSocket) is refused when it changes something or opens a socket with the cookie;
 * Tandem's own pages, API tokens and reads go on working.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signIn, tokenClient, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { createSession, waitForPhase } from "../worker/session-helpers";
import { connectRoom, type RoomClient } from "../worker/yjs-client";
import { observe, reportFigures } from "./probe";

reportFigures();

const EVIL = "https://evil.example";
const OWN = "http://localhost:8787";

async function workspacesOf(client: Client): Promise<string[]> {
  const res = await client.api("/api/workspaces");
  return ((await res.json()) as { workspaces: { name: string }[] }).workspaces.map((w) => w.name);
}

/** A request as a page would send it with the person's cookie. */
function fromPage(
  client: Client,
  path: string,
  init: { method?: string; origin?: string | null; site?: string; type?: string; body?: string } = {},
) {
  const headers: Record<string, string> = { cookie: client.cookie };
  if (init.origin) headers.origin = init.origin;
  if (init.site) headers["sec-fetch-site"] = init.site;
  if (init.type) headers["content-type"] = init.type;
  return SELF.fetch(`${OWN}${path}`, { method: init.method ?? "POST", headers, body: init.body });
}

describe("cookie-authenticated state changes", () => {
  it("refuses another site's form post (text/plain) and its JSON, and creates nothing", async () => {
    const alice = await signIn(uniqueName("alice"));
    const name = uniqueName("forged");
    const attempts = [
      { origin: EVIL, type: "text/plain", body: JSON.stringify({ name }) },
      { origin: EVIL, type: "application/x-www-form-urlencoded", body: `{"name":"${name}","x":"=1"}` },
      { origin: EVIL, type: "application/json", body: JSON.stringify({ name }) },
      { origin: "null", type: "application/json", body: JSON.stringify({ name }) },
      { origin: null, site: "cross-site", type: "text/plain", body: JSON.stringify({ name }) },
      {
        origin: "http://localhost:8787.evil.example",
        type: "application/json",
        body: JSON.stringify({ name }),
      },
    ];
    for (const attempt of attempts) {
      const res = await observe(await fromPage(alice, "/api/workspaces", attempt));
      expect(res.status, JSON.stringify(attempt)).toBe(403);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: "cross_site_request" } });
    }
    expect(await workspacesOf(alice)).not.toContain(name);
  });

  it("refuses a body not sent as JSON even from Tandem's own origin (415), and takes it as JSON", async () => {
    const alice = await signIn(uniqueName("alice"));
    const name = uniqueName("plain");
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      undefined,
    ]) {
      const res = await observe(
        await fromPage(alice, "/api/workspaces", { origin: OWN, type, body: JSON.stringify({ name }) }),
      );
      expect(res.status, String(type)).toBe(415);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: "unsupported_media_type" } });
    }
    expect(await workspacesOf(alice)).not.toContain(name);
    for (const type of [
      "application/json",
      "application/json; charset=utf-8",
      "Application/JSON",
      "application/merge-patch+json",
    ]) {
      const res = await observe(
        await fromPage(alice, "/api/workspaces", {
          origin: OWN,
          type,
          body: JSON.stringify({ name: `${name} ${type}` }),
        }),
      );
      expect(res.status, type).toBe(201);
    }
  });

  it("accepts Tandem's own origin, PUBLIC_URL's, and requests without an Origin (curl, scripts)", async () => {
    const alice = await signIn(uniqueName("alice"));
    expect(env.PUBLIC_URL).toBe(OWN);
    const json = { type: "application/json", body: JSON.stringify({ name: uniqueName("ok") }) };
    expect((await fromPage(alice, "/api/workspaces", { origin: OWN, ...json })).status).toBe(201);
    expect((await fromPage(alice, "/api/workspaces", { origin: null, ...json })).status).toBe(201);
    expect(
      (await fromPage(alice, "/api/workspaces", { origin: null, site: "same-origin", ...json })).status,
    ).toBe(201);
    // Reached under another host name (a proxy), from a page of that same origin, or of PUBLIC_URL.
    for (const origin of ["http://127.0.0.1:8787", OWN]) {
      const res = await SELF.fetch("http://127.0.0.1:8787/api/workspaces", {
        method: "POST",
        headers: { cookie: alice.cookie, origin, "content-type": "application/json" },
        body: JSON.stringify({ name: uniqueName("proxied") }),
      });
      expect(res.status, origin).toBe(201);
    }
  });

  it("refuses a forged operation on a session (stop, delete) and a forged sign-in", async () => {
    const alice = await signIn(uniqueName("alice"));
    const ws = await workspaceWith(alice);
    const session = await createSession(alice, ws, { timeoutSeconds: 120 });
    await waitForPhase(alice, ws, session.id, "Running");
    for (const [method, path] of [
      ["POST", "stop"],
      ["DELETE", ""],
    ] as const) {
      const res = await observe(
        await fromPage(alice, `/api/workspaces/${ws}/sessions/${session.id}/${path}`, {
          method,
          origin: EVIL,
        }),
      );
      expect(res.status, path).toBe(403);
    }
    expect((await alice.api(`/api/workspaces/${ws}/sessions/${session.id}`)).status).toBe(200);
    expect(
      (
        (await (await alice.api(`/api/workspaces/${ws}/sessions/${session.id}`)).json()) as {
          session: { phase: string };
        }
      ).session.phase,
    ).toBe("Running");
    const signInAs = await observe(
      await SELF.fetch(`${OWN}/api/auth/dev`, {
        method: "POST",
        headers: { origin: EVIL, "content-type": "application/json" },
        body: JSON.stringify({ name: "mallory" }),
      }),
    );
    expect(signInAs.status).toBe(403);
    expect(signInAs.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a forged stop whose URL carries an empty or blank ?token= (a token named but not given is no token)", async () => {
    const alice = await signIn(uniqueName("alice"));
    const ws = await workspaceWith(alice);
    const session = await createSession(alice, ws, { timeoutSeconds: 120 });
    await waitForPhase(alice, ws, session.id, "Running");
    for (const query of ["?token=", "?token=&token=tdm_x", "?token=%20"]) {
      const res = await observe(
        await fromPage(alice, `/api/workspaces/${ws}/sessions/${session.id}/stop${query}`, { origin: EVIL }),
      );
      expect(res.status, query).toBe(401);
      expect(res.errorShaped).toBe(true);
    }
    const view = (await (await alice.api(`/api/workspaces/${ws}/sessions/${session.id}`)).json()) as {
      session: { phase: string };
    };
    expect(view.session.phase).toBe("Running");
  });

  it("lets API tokens through from anywhere: they are not cookies a page can borrow", async () => {
    const alice = await signIn(uniqueName("alice"));
    const cli = await tokenClient(alice);
    const res = await cli.api("/api/workspaces", {
      body: { name: uniqueName("cli") },
      headers: { origin: EVIL },
    });
    expect(res.status).toBe(201);
  });

  it("answers reads from any origin without sharing them (no CORS headers)", async () => {
    const alice = await signIn(uniqueName("alice"));
    const res = await fromPage(alice, "/api/workspaces", { method: "GET", origin: EVIL });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("cookie-authenticated WebSocket upgrades", () => {
  it("refuses another site's page, accepts Tandem's own and API tokens from anywhere", async () => {
    const alice = await signIn(uniqueName("alice"));
    const ws = await workspaceWith(alice);
    const session = await createSession(alice, ws, { timeoutSeconds: 120 });
    const evil = await connectRoom(session.id, { cookie: alice.cookie, origin: EVIL });
    expect(evil).toBeInstanceOf(Response);
    const refused = await observe(evil as Response);
    expect(refused.status).toBe(403);
    expect(refused.errorShaped).toBe(true);

    const own = (await connectRoom(session.id, { cookie: alice.cookie, origin: OWN })) as RoomClient;
    await own.synced;
    const cli = await tokenClient(alice);
    const viaToken = (await connectRoom(session.id, { origin: EVIL }, `?token=${cli.token}`)) as RoomClient;
    await viaToken.synced;
    own.close();
    viaToken.close();
  });

  it("refuses another site's page that names an empty ?token= to borrow the cookie", async () => {
    const alice = await signIn(uniqueName("alice"));
    const ws = await workspaceWith(alice);
    const session = await createSession(alice, ws, { timeoutSeconds: 120 });
    for (const query of ["?token=", "?token=&token=x"]) {
      const hijack = await connectRoom(session.id, { cookie: alice.cookie, origin: EVIL }, query);
      expect(hijack, query).toBeInstanceOf(Response);
      const refused = await observe(hijack as Response);
      expect(refused.status, query).toBe(401);
      expect(refused.errorShaped).toBe(true);
    }
  });
});

describe("a page that rebinds its own name to the dev server (DNS rebinding)", () => {
  // The page's origin is its own name on the dev server's port: same-origin to it, so the Origin check passes.
  const REBOUND = "http://rebind.evil.example:8787";

  it("gets no dev sign-in, no API, no socket and no webhook under a host name that is not Tandem's", async () => {
    const signInAs = await observe(
      await SELF.fetch(`${REBOUND}/api/auth/dev`, {
        method: "POST",
        headers: { origin: REBOUND, "content-type": "application/json" },
        body: JSON.stringify({ name: "mallory" }),
      }),
    );
    expect(signInAs.status).toBe(403);
    expect(JSON.parse(signInAs.text)).toMatchObject({ error: { code: "host_not_allowed" } });
    expect(signInAs.headers.get("set-cookie")).toBeNull();

    // With a cookie got some other way, nothing else answers either: the API, a socket, a webhook.
    const alice = await signIn(uniqueName("alice"));
    const ws = await workspaceWith(alice);
    const session = await createSession(alice, ws, { timeoutSeconds: 120 });
    const create = await observe(
      await SELF.fetch(`${REBOUND}/api/workspaces/${ws}/sessions`, {
        method: "POST",
        headers: { cookie: alice.cookie, origin: REBOUND, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "/run id" }),
      }),
    );
    expect(create.status).toBe(403);
    expect(create.errorShaped).toBe(true);
    const socket = await connectRoom(session.id, { cookie: alice.cookie, origin: REBOUND }, "", (url, init) =>
      SELF.fetch(url.replace(OWN, REBOUND), init),
    );
    expect(socket).toBeInstanceOf(Response);
    expect((socket as Response).status).toBe(403);
    const webhook = await SELF.fetch(`${REBOUND}/webhooks/any`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(webhook.status).toBe(403);
  });

  it("still answers Tandem's own names: PUBLIC_URL's, localhost and 127.0.0.1", async () => {
    for (const base of [OWN, "http://127.0.0.1:8787", "http://localhost:5173", "http://[::1]:8787"]) {
      const res = await SELF.fetch(`${base}/api/openapi.json`);
      expect(res.status, base).toBe(200);
    }
  });
});
