import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request, signIn, tokenClient, uniqueName, workspaceWith, type Client } from "./helpers";

type ErrorBody = { error: { code: string; message: string; field?: string } };
type Role = "owner" | "editor" | "viewer";

/** An owner, an editor, a viewer, someone outside, and the workspace the first three share. */
async function team() {
  const [owner, editor, viewer, outsider] = await Promise.all(
    ["Owner", "Editor", "Viewer", "Outsider"].map((name) => signIn(uniqueName(name))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  return { owner, editor, viewer, outsider, ws, byRole: { owner, editor, viewer } as Record<Role, Client> };
}

async function error(res: Response): Promise<ErrorBody["error"]> {
  return ((await res.json()) as ErrorBody).error;
}

describe("workspaces", () => {
  it("creates a workspace whose creator is its owner, in my list only", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const bob = await signIn(uniqueName("Bob"));
    const res = await alice.api("/api/workspaces", { body: { name: "  Platform team " } });
    expect(res.status).toBe(201);
    const { workspace } = (await res.json()) as { workspace: { id: string } };
    expect(workspace).toEqual({
      id: expect.any(String),
      name: "Platform team",
      role: "owner",
      createdAt: expect.any(Number),
      idleStopMinutes: 15,
      monthlyBudgetUsd: null,
    });

    expect(await (await alice.api("/api/workspaces")).json()).toEqual({ workspaces: [workspace] });
    expect(await (await alice.api(`/api/workspaces/${workspace.id}`)).json()).toEqual({ workspace });
    expect(await (await bob.api("/api/workspaces")).json()).toEqual({ workspaces: [] });
  });

  it("lists every workspace I belong to with my role in each", async () => {
    const { owner, editor, viewer, ws } = await team();
    const own = await workspaceWith(editor);
    const list = async (c: Client) =>
      ((await (await c.api("/api/workspaces")).json()) as { workspaces: { id: string; role: Role }[] })
        .workspaces;
    expect((await list(editor)).map((w) => [w.id, w.role])).toEqual([
      [ws, "editor"],
      [own, "owner"],
    ]);
    expect((await list(viewer)).map((w) => [w.id, w.role])).toEqual([[ws, "viewer"]]);
    expect((await list(owner)).map((w) => [w.id, w.role])).toEqual([[ws, "owner"]]);
  });

  it.each([
    ["no body", undefined, "missing_body", undefined],
    ["no name", {}, "invalid_input", "name"],
    ["a numeric name", { name: 7 }, "invalid_input", "name"],
    ["a blank name", { name: "  " }, "invalid_input", "name"],
    ["a 101-character name", { name: "w".repeat(101) }, "invalid_input", "name"],
    ["a JSON array", [], "invalid_input", undefined],
  ])("rejects creation with %s: 400, nothing created", async (_, body, code, field) => {
    const alice = await signIn(uniqueName("Alice"));
    const res = await alice.api("/api/workspaces", { method: "POST", body });
    expect(res.status).toBe(400);
    const err = await error(res);
    expect(err.code).toBe(code);
    expect(err.field).toBe(field);
    expect(await (await alice.api("/api/workspaces")).json()).toEqual({ workspaces: [] });
  });

  it("accepts a 100-character name", async () => {
    const alice = await signIn(uniqueName("Alice"));
    expect((await alice.api("/api/workspaces", { body: { name: "w".repeat(100) } })).status).toBe(201);
  });

  it("works with an API token as with the cookie", async () => {
    const alice = await signIn(uniqueName("Alice"));
    const cli = await tokenClient(alice);
    const ws = await workspaceWith(cli);
    expect((await alice.api(`/api/workspaces/${ws}`)).status).toBe(200);
  });
});

describe("workspace settings", () => {
  it("lets an owner set idleStopMinutes (1–1440) and the name; each member sees them", async () => {
    const { owner, viewer, ws } = await team();
    const res = await owner.api(`/api/workspaces/${ws}`, {
      method: "PATCH",
      body: { idleStopMinutes: 1440, name: " Renamed " },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { workspace: unknown }).workspace).toMatchObject({
      id: ws,
      name: "Renamed",
      idleStopMinutes: 1440,
      role: "owner",
    });
    expect(await (await viewer.api(`/api/workspaces/${ws}`)).json()).toMatchObject({
      workspace: { idleStopMinutes: 1440, role: "viewer" },
    });
    expect(
      (
        (await (
          await owner.api(`/api/workspaces/${ws}`, { method: "PATCH", body: { idleStopMinutes: 1 } })
        ).json()) as { workspace: { idleStopMinutes: number } }
      ).workspace.idleStopMinutes,
    ).toBe(1);
  });

  it.each([
    ["0 minutes", { idleStopMinutes: 0 }, "idleStopMinutes"],
    ["1441 minutes", { idleStopMinutes: 1441 }, "idleStopMinutes"],
    ["a fraction", { idleStopMinutes: 2.5 }, "idleStopMinutes"],
    ["a string", { idleStopMinutes: "15" }, "idleStopMinutes"],
    ["an unknown setting", { idleStopMinutes: 5, color: "red" }, undefined],
    ["nothing", {}, undefined],
  ])("refuses %s: 400 naming the field, nothing changed", async (_, body, field) => {
    const { owner, ws } = await team();
    const res = await owner.api(`/api/workspaces/${ws}`, { method: "PATCH", body });
    expect(res.status).toBe(400);
    expect((await error(res)).field).toBe(field);
    expect(await (await owner.api(`/api/workspaces/${ws}`)).json()).toMatchObject({
      workspace: { idleStopMinutes: 15 },
    });
  });
});

describe("roles on every workspace and member route", () => {
  const routes: {
    name: string;
    call: (c: Client, ws: string, target: Client) => Promise<Response>;
    allowed: Role[];
    ok: number;
  }[] = [
    {
      name: "GET workspace",
      call: (c, ws) => c.api(`/api/workspaces/${ws}`),
      allowed: ["owner", "editor", "viewer"],
      ok: 200,
    },
    {
      name: "PATCH workspace",
      call: (c, ws) => c.api(`/api/workspaces/${ws}`, { method: "PATCH", body: { idleStopMinutes: 30 } }),
      allowed: ["owner"],
      ok: 200,
    },
    {
      name: "GET members",
      call: (c, ws) => c.api(`/api/workspaces/${ws}/members`),
      allowed: ["owner", "editor", "viewer"],
      ok: 200,
    },
    {
      name: "POST member",
      call: (c, ws, target) =>
        c.api(`/api/workspaces/${ws}/members`, { body: { user: target.user.email, role: "viewer" } }),
      allowed: ["owner"],
      ok: 201,
    },
    {
      name: "PATCH member",
      call: (c, ws, target) =>
        c.api(`/api/workspaces/${ws}/members/${target.user.id}`, {
          method: "PATCH",
          body: { role: "editor" },
        }),
      allowed: ["owner"],
      ok: 200,
    },
    {
      name: "DELETE member",
      call: (c, ws, target) => c.api(`/api/workspaces/${ws}/members/${target.user.id}`, { method: "DELETE" }),
      allowed: ["owner"],
      ok: 204,
    },
  ];

  for (const route of routes) {
    it(`${route.name}: ${route.allowed.join("/")} allowed, others 403, non-members 404`, async () => {
      const { outsider, ws, byRole, owner } = await team();
      // A fresh person to add, already a member for PATCH/DELETE, so each call has a valid target.
      const target = await signIn(uniqueName("Target"));
      if (route.name !== "POST member") {
        await owner.api(`/api/workspaces/${ws}/members`, {
          body: { user: target.user.email, role: "viewer" },
        });
        await target.api(`/api/workspaces/${ws}`);
      }
      for (const role of ["viewer", "editor", "owner"] as Role[]) {
        const res = await route.call(byRole[role], ws, target);
        if (route.allowed.includes(role)) {
          expect(res.status, `${role}: ${await res.clone().text()}`).toBe(route.ok);
        } else {
          expect(res.status, role).toBe(403);
          expect((await error(res)).code).toBe("forbidden");
        }
      }
      const stranger = await route.call(outsider, ws, target);
      expect(stranger.status).toBe(404);
      expect((await error(stranger)).code).toBe("not_found");
      expect((await route.call(owner, crypto.randomUUID(), target)).status).toBe(404);
      expect((await route.call(owner, "not-a-workspace", target)).status).toBe(404);
    });
  }

  it("answers 401 before anything else without a user", async () => {
    const { ws, editor } = await team();
    expect((await request(`/api/workspaces/${ws}`)).status).toBe(401);
    expect(
      (await request(`/api/workspaces/${ws}/members/${editor.user.id}`, { method: "DELETE" })).status,
    ).toBe(401);
  });
});

describe("members", () => {
  it("lists members with name, email, role and when they joined", async () => {
    const { owner, editor, viewer, ws } = await team();
    const res = await viewer.api(`/api/workspaces/${ws}/members`);
    const { members } = (await res.json()) as { members: Record<string, unknown>[] };
    expect(members).toEqual(
      [
        [owner, "owner"],
        [editor, "editor"],
        [viewer, "viewer"],
      ].map(([c, role]) => ({
        userId: (c as Client).user.id,
        name: (c as Client).user.name,
        email: expect.stringMatching(/@dev\.local$/),
        role,
        createdAt: expect.any(Number),
      })),
    );
  });

  it("invites a person by their exact email, in any case; they are a member once they come", async () => {
    const { owner, ws } = await team();
    const [lower, upper] = await Promise.all(["Lower", "Upper"].map((n) => signIn(uniqueName(n))));
    for (const [client, user, role] of [
      [lower, lower.user.email, "viewer"],
      [upper, upper.user.email.toUpperCase(), "editor"],
    ] as const) {
      const res = await owner.api(`/api/workspaces/${ws}/members`, { body: { user, role } });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({
        invitation: {
          email: client.user.email,
          role,
          invitedBy: owner.user.name,
          createdAt: expect.any(Number),
        },
      });
      const listed = (await (await owner.api(`/api/workspaces/${ws}/members`)).json()) as {
        members: { userId: string }[];
        invitations: { email: string }[];
      };
      expect(listed.invitations.map((i) => i.email)).toContain(client.user.email);
      expect(listed.members.map((m) => m.userId)).not.toContain(client.user.id);
      expect((await client.api(`/api/workspaces/${ws}`)).status).toBe(200);
      const after = (await (await owner.api(`/api/workspaces/${ws}/members`)).json()) as {
        members: { userId: string; role: string }[];
        invitations: { email: string }[];
      };
      expect(after.members.find((m) => m.userId === client.user.id)?.role).toBe(role);
      expect(after.invitations.map((i) => i.email)).not.toContain(client.user.email);
    }
  });

  it("an invitation is withdrawn by an owner (204, then 404), and then comes to nothing", async () => {
    const { owner, ws } = await team();
    const person = await signIn(uniqueName("Invited"));
    await owner.api(`/api/workspaces/${ws}/members`, { body: { user: person.user.email, role: "viewer" } });
    const path = `/api/workspaces/${ws}/invitations/${encodeURIComponent(person.user.email)}`;
    expect((await owner.api(path, { method: "DELETE" })).status).toBe(204);
    expect((await owner.api(path, { method: "DELETE" })).status).toBe(404);
    expect((await person.api(`/api/workspaces/${ws}`)).status).toBe(404);
  });

  it("never adds by display name or id, so adding reveals no one's email", async () => {
    const { owner, ws } = await team();
    const person = await signIn(uniqueName("Private Person"));
    for (const user of [person.user.name, person.user.id]) {
      const res = await owner.api(`/api/workspaces/${ws}/members`, { body: { user, role: "viewer" } });
      const text = await res.text();
      expect(res.status, user).toBe(400);
      expect(JSON.parse(text)).toMatchObject({ error: { code: "invalid_input", field: "user" } });
      expect(text).not.toContain(person.user.email);
    }
    expect((await person.api(`/api/workspaces/${ws}`)).status).toBe(404);
  });

  it("invites an email no one has signed in with yet, and refuses an existing member (409)", async () => {
    const { owner, editor, ws } = await team();
    const unknown = await owner.api(`/api/workspaces/${ws}/members`, {
      body: { user: "nobody-at-all@example.com", role: "viewer" },
    });
    expect(unknown.status).toBe(201);
    expect(await unknown.json()).toMatchObject({
      invitation: { email: "nobody-at-all@example.com", role: "viewer" },
    });

    const again = await owner.api(`/api/workspaces/${ws}/members`, {
      body: { user: editor.user.email, role: "viewer" },
    });
    expect(again.status).toBe(409);
    expect((await error(again)).code).toBe("already_member");
    const roles = (
      (await (await owner.api(`/api/workspaces/${ws}/members`)).json()) as {
        members: { userId: string; role: string }[];
      }
    ).members;
    expect(roles.find((m) => m.userId === editor.user.id)?.role).toBe("editor");
  });

  it.each([
    ["no body", undefined, "missing_body", undefined],
    ["no user", { role: "viewer" }, "invalid_input", "user"],
    ["a numeric user", { user: 5, role: "viewer" }, "invalid_input", "user"],
    ["no role", { user: "someone@example.com" }, "invalid_input", "role"],
    ["an unknown role", { user: "someone@example.com", role: "admin" }, "invalid_input", "role"],
  ])("rejects adding with %s: 400", async (_, body, code, field) => {
    const { owner, ws } = await team();
    const res = await owner.api(`/api/workspaces/${ws}/members`, { method: "POST", body });
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code, ...(field && { field }) });
  });

  it("changes a role, which takes effect at once", async () => {
    const { owner, editor, ws } = await team();
    const res = await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
      method: "PATCH",
      body: { role: "owner" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ member: { userId: editor.user.id, role: "owner" } });
    const outsider = await signIn(uniqueName("New"));
    expect(
      (
        await editor.api(`/api/workspaces/${ws}/members`, {
          body: { user: outsider.user.email, role: "viewer" },
        })
      ).status,
    ).toBe(201);
  });

  it("rejects a bad role change (400) and an unknown member (404)", async () => {
    const { owner, editor, outsider, ws } = await team();
    const path = `/api/workspaces/${ws}/members/${editor.user.id}`;
    for (const body of [undefined, {}, { role: "admin" }, { role: 1 }]) {
      const res = await owner.api(path, { method: "PATCH", body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const stranger = `/api/workspaces/${ws}/members/${outsider.user.id}`;
    expect((await owner.api(stranger, { method: "PATCH", body: { role: "editor" } })).status).toBe(404);
    expect((await owner.api(stranger, { method: "DELETE" })).status).toBe(404);
  });

  it("removes a member, who then sees nothing of the workspace", async () => {
    const { owner, viewer, ws } = await team();
    expect(
      (await owner.api(`/api/workspaces/${ws}/members/${viewer.user.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    expect((await viewer.api(`/api/workspaces/${ws}`)).status).toBe(404);
    expect(await (await viewer.api("/api/workspaces")).json()).toEqual({ workspaces: [] });
  });

  it("keeps at least one owner: the last owner can be neither demoted nor removed (409)", async () => {
    const { owner, editor, ws } = await team();
    const self = `/api/workspaces/${ws}/members/${owner.user.id}`;
    const demote = await owner.api(self, { method: "PATCH", body: { role: "editor" } });
    expect(demote.status).toBe(409);
    expect((await error(demote)).code).toBe("last_owner");
    expect((await owner.api(self, { method: "DELETE" })).status).toBe(409);
    expect((await owner.api(self, { method: "PATCH", body: { role: "owner" } })).status).toBe(200);

    // With a second owner, the first may step down and then leave.
    await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
      method: "PATCH",
      body: { role: "owner" },
    });
    expect((await owner.api(self, { method: "PATCH", body: { role: "viewer" } })).status).toBe(200);
    expect((await editor.api(self, { method: "DELETE" })).status).toBe(204);
    const lastOwner = `/api/workspaces/${ws}/members/${editor.user.id}`;
    expect((await editor.api(lastOwner, { method: "DELETE" })).status).toBe(409);
    const { members } = (await (await editor.api(`/api/workspaces/${ws}/members`)).json()) as {
      members: { role: string }[];
    };
    expect(members.filter((m) => m.role === "owner")).toHaveLength(1);
  });

  it("never leaves a workspace without an owner when two owners demote each other at once", async () => {
    const { owner, editor, ws } = await team();
    await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
      method: "PATCH",
      body: { role: "owner" },
    });
    const results = await Promise.all([
      owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
        method: "PATCH",
        body: { role: "viewer" },
      }),
      editor.api(`/api/workspaces/${ws}/members/${owner.user.id}`, {
        method: "PATCH",
        body: { role: "viewer" },
      }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    // The loser is refused either by its role (already demoted: 403) or by the last-owner rule (409).
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const { members } = (await (await owner.api(`/api/workspaces/${ws}/members`)).json()) as {
      members: { role: string }[];
    };
    expect(members.filter((m) => m.role === "owner")).toHaveLength(1);
  });
});
