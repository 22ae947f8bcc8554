import { afterEach, describe, expect, it } from "vitest";
import { api, ApiError, exists, setFetch } from "#lib/api.ts";

function reply(status: number, body?: unknown): typeof fetch {
  return async () =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json" },
    });
}

afterEach(() => setFetch((...args) => fetch(...args)));

describe("api client", () => {
  it("returns the parsed body", async () => {
    setFetch(reply(200, { user: { id: "u1", name: "Ada", email: "ada@example.com" } }));
    expect((await api.me()).user.name).toBe("Ada");
  });

  it("sends JSON bodies to the contract's paths", async () => {
    const seen: { url: string; init?: RequestInit }[] = [];
    setFetch(async (url, init) => {
      seen.push({ url: String(url), init });
      return new Response(JSON.stringify({ seq: 3, queued: true }), { status: 202 });
    });
    const res = await api.sendMessage("w 1", "s1", "hello");
    expect(res).toEqual({ seq: 3, queued: true });
    expect(seen[0].url).toBe("/api/workspaces/w%201/sessions/s1/messages");
    expect(seen[0].init?.method).toBe("POST");
    expect(JSON.parse(String(seen[0].init?.body))).toEqual({ text: "hello" });
  });

  it("turns {error:{code,message,field}} into one ApiError", async () => {
    setFetch(reply(400, { error: { code: "invalid", message: "must be ≤ 2", field: "temperature" } }));
    const err = await api.createSession("w", { temperature: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "invalid", message: "must be ≤ 2", field: "temperature" });
  });

  it("keeps the phase of a 409", async () => {
    setFetch(
      reply(409, {
        error: { code: "invalid_transition", message: "cannot stop a Stopped session", phase: "Stopped" },
      }),
    );
    const err = await api.stop("w", "s").catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, code: "invalid_transition", phase: "Stopped" });
  });

  it("reports a non-JSON failure and a network failure as ApiError", async () => {
    setFetch(
      async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    );
    await expect(api.workspaces()).rejects.toMatchObject({ status: 502, code: "http_502" });
    setFetch(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(api.workspaces()).rejects.toMatchObject({ status: 0, code: "network" });
  });

  it("returns nothing for 204", async () => {
    setFetch(async () => new Response(null, { status: 204 }));
    await expect(api.deleteSession("w", "s")).resolves.toBeUndefined();
  });

  it("probes downloads with HEAD", async () => {
    setFetch(async (_url, init) => new Response(null, { status: init?.method === "HEAD" ? 200 : 405 }));
    expect(await exists("/x")).toBe(true);
    setFetch(reply(404, { error: { code: "not_found", message: "no" } }));
    expect(await exists("/x")).toBe(false);
  });

  it("puts secrets by name and never reads a value back", async () => {
    const seen: { url: string; init?: RequestInit }[] = [];
    setFetch(async (url, init) => {
      seen.push({ url: String(url), init });
      return init?.method === "GET"
        ? new Response(JSON.stringify({ secrets: [{ name: "GITHUB_TOKEN", updatedAt: 1 }] }), { status: 200 })
        : new Response(null, { status: 204 });
    });
    await api.putSecret("w", "GITHUB_TOKEN", "ghp_x");
    await api.deleteSecret("w", "GITHUB_TOKEN");
    expect((await api.secrets("w")).secrets).toEqual([{ name: "GITHUB_TOKEN", updatedAt: 1 }]);
    expect(seen.map((s) => `${s.init?.method} ${s.url}`)).toEqual([
      "PUT /api/workspaces/w/secrets/GITHUB_TOKEN",
      "DELETE /api/workspaces/w/secrets/GITHUB_TOKEN",
      "GET /api/workspaces/w/secrets",
    ]);
    expect(JSON.parse(String(seen[0].init?.body))).toEqual({ value: "ghp_x" });
  });

  it("creates triggers and reads their deliveries", async () => {
    const seen: string[] = [];
    setFetch(async (url, init) => {
      seen.push(`${init?.method} ${String(url)}`);
      if (init?.method === "POST")
        return new Response(JSON.stringify({ trigger: { id: "t1" }, secret: "s3cret" }), { status: 201 });
      if (init?.method === "DELETE") return new Response(null, { status: 204 });
      return new Response(JSON.stringify({ deliveries: [] }), { status: 200 });
    });
    const created = await api.createTrigger("w", {
      name: "issues",
      session: {},
      promptTemplate: "{{issue.title}}",
    });
    expect(created.secret).toBe("s3cret");
    await api.deliveries("w", "t1");
    await api.deleteTrigger("w", "t1");
    expect(seen).toEqual([
      "POST /api/workspaces/w/triggers",
      "GET /api/workspaces/w/triggers/t1/deliveries",
      "DELETE /api/workspaces/w/triggers/t1",
    ]);
  });
});
