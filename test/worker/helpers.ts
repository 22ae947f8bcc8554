import { SELF } from "cloudflare:test";

export interface Client {
  cookie: string;
  user: { id: string; name: string; email: string };
  api(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
}

const ORIGIN = "http://localhost:8787";

/** Signs a person in through the dev sign-in and returns a client that carries their cookie. */
export async function signIn(name: string): Promise<Client> {
  const res = await SELF.fetch(`${ORIGIN}/api/auth/dev`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
  const { user } = (await res.json()) as { user: Client["user"] };
  return {
    cookie,
    user,
    api: (path, init = {}) => request(path, { ...init, headers: { cookie, ...init.headers } }),
  };
}

/** A request with no credentials unless headers carry some. */
export function request(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
  }
  return SELF.fetch(`${ORIGIN}${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body });
}

/** A workspace owned by `owner`, with the other people invited in the given roles and come (so members). */
export async function workspaceWith(
  owner: Client,
  others: { client: Client; role: "owner" | "editor" | "viewer" }[] = [],
): Promise<string> {
  const res = await owner.api("/api/workspaces", { body: { name: "Test workspace" } });
  if (res.status !== 201) throw new Error(`workspace create failed: ${res.status} ${await res.text()}`);
  const { workspace } = (await res.json()) as { workspace: { id: string } };
  for (const { client, role } of others) {
    const added = await owner.api(`/api/workspaces/${workspace.id}/members`, {
      body: { user: client.user.email, role },
    });
    if (added.status !== 201) throw new Error(`member add failed: ${added.status} ${await added.text()}`);
    // An invitation becomes a membership when the person comes.
    const came = await client.api(`/api/workspaces/${workspace.id}`);
    if (came.status !== 200)
      throw new Error(`invited member could not come: ${came.status} ${await came.text()}`);
  }
  return workspace.id;
}

/** A display name no other test uses, so tests never meet each other's dev users. */
export function uniqueName(base: string): string {
  return `${base} ${crypto.randomUUID().slice(0, 8)}`;
}

/** Creates an API token for `owner` and returns a client that authenticates with it as a Bearer token. */
export async function tokenClient(
  owner: Client,
  name = "test token",
): Promise<Client & { token: string; tokenId: string }> {
  const res = await owner.api("/api/tokens", { body: { name } });
  if (res.status !== 201) throw new Error(`token create failed: ${res.status} ${await res.text()}`);
  const { id, token } = (await res.json()) as { id: string; token: string };
  const authorization = `Bearer ${token}`;
  return {
    cookie: "",
    user: owner.user,
    token,
    tokenId: id,
    api: (path, init = {}) => request(path, { ...init, headers: { authorization, ...init.headers } }),
  };
}
