/**
 * Adding a member reveals no one's account: the answer (status, body, headers) and the members list are
 * the same whether or not an email has signed in before; the invitation becomes a membership when that
 * person comes (their next request to the workspace, or their first sign-in), and not before.
 */
import { describe, expect, it } from "vitest";
import { devEmail } from "../../worker/auth/dev";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import { observe, reportFigures } from "./probe";

reportFigures();

/** The answer with what differs by nature (the email itself, the time) taken out. */
function shape(text: string, email: string): string {
  return text.replaceAll(email.toLowerCase(), "<email>").replace(/"createdAt":\d+/g, '"createdAt":0');
}

describe("adding a member by email", () => {
  it("answers the same for an email with an account and one without, and lists both the same", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const existing = await signIn(uniqueName("has an account"));
    const fresh = `no-account-${crypto.randomUUID()}@example.com`;

    const answers = [];
    for (const email of [existing.user.email, fresh]) {
      const res = await observe(
        await owner.api(`/api/workspaces/${ws}/members`, { body: { user: email, role: "editor" } }),
      );
      answers.push({
        status: res.status,
        body: shape(res.text, email),
        type: res.headers.get("content-type"),
      });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.status).toBe(201);
    expect(answers[0]!.body).not.toContain(existing.user.name);
    expect(answers[0]!.body).not.toContain(existing.user.id);

    const listed = await observe(await owner.api(`/api/workspaces/${ws}/members`));
    expect(listed.text).not.toContain(existing.user.name);
    expect(listed.text).not.toContain(existing.user.id);
    const { invitations } = JSON.parse(listed.text) as { invitations: { email: string }[] };
    expect(invitations.map((i) => i.email).sort()).toEqual([existing.user.email.toLowerCase(), fresh].sort());
  });

  it("the invited person is a member once they come, and not a moment before; a fresh email at its first sign-in", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const existing = await signIn(uniqueName("invited"));
    await owner.api(`/api/workspaces/${ws}/members`, { body: { user: existing.user.email, role: "viewer" } });
    // Acting on them by id before they come: they are no member.
    expect(
      (
        await observe(
          await owner.api(`/api/workspaces/${ws}/members/${existing.user.id}`, {
            method: "PATCH",
            body: { role: "editor" },
          }),
        )
      ).status,
    ).toBe(404);
    expect((await observe(await existing.api(`/api/workspaces/${ws}`))).status).toBe(200);
    const members = (
      JSON.parse((await observe(await owner.api(`/api/workspaces/${ws}/members`))).text) as {
        members: { userId: string; role: string }[];
      }
    ).members;
    expect(members.find((m) => m.userId === existing.user.id)?.role).toBe("viewer");

    // An email no account has yet (a dev user's email follows from the name): its first sign-in is its coming.
    const other = await signIn(uniqueName("another owner"));
    const ws2 = await workspaceWith(other);
    const unseen = uniqueName("not yet seen");
    const unseenEmail = await devEmail(unseen);
    await other.api(`/api/workspaces/${ws2}/members`, { body: { user: unseenEmail, role: "editor" } });
    const newcomer = await signIn(unseen);
    expect(newcomer.user.email).toBe(unseenEmail);
    const theirs = JSON.parse((await observe(await newcomer.api("/api/workspaces"))).text) as {
      workspaces: { id: string; role: string }[];
    };
    expect(theirs.workspaces).toEqual([expect.objectContaining({ id: ws2, role: "editor" })]);
  });

  it("a stranger sees neither the members nor the invitations, and cannot withdraw one (404)", async () => {
    const owner = await signIn(uniqueName("owner"));
    const stranger = await signIn(uniqueName("stranger"));
    const ws = await workspaceWith(owner);
    const email = `someone-${crypto.randomUUID()}@example.com`;
    await owner.api(`/api/workspaces/${ws}/members`, { body: { user: email, role: "viewer" } });
    expect((await observe(await stranger.api(`/api/workspaces/${ws}/members`))).status).toBe(404);
    expect(
      (
        await observe(
          await stranger.api(`/api/workspaces/${ws}/invitations/${encodeURIComponent(email)}`, {
            method: "DELETE",
          }),
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await observe(
          await owner.api(`/api/workspaces/${ws}/invitations/${encodeURIComponent(email)}`, {
            method: "DELETE",
          }),
        )
      ).status,
    ).toBe(204);
  });
});
