import { z } from "zod";
import { newApp } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { requireRole } from "../auth/membership";
import { createWorkspace, getMyWorkspace, listMyWorkspaces, updateWorkspace } from "../db/workspaces";
import { changeRole, getMemberProfile, listMembers, removeMember, type MemberChange } from "../db/members";
import { acceptInvitations, invite, listInvitations, withdrawInvitation } from "../db/invitations";
import {
  AddMemberSchema,
  ChangeRoleSchema,
  CreateWorkspaceSchema,
  InvitationParamsSchema,
  UpdateWorkspaceSchema,
  type Invitation,
  type Member,
  type Workspace,
} from "../protocol/workspace";
import { revokeMember } from "../sessions/revoke";
import { stopIfBudgetReached } from "../sessions/budget-checks";

const MemberParamsSchema = z.object({ ws: z.string(), userId: z.string().min(1).max(100) });

const lastOwner = () => new HttpError("last_owner", "a workspace keeps at least one owner");

function settle(change: MemberChange): void {
  if (change === "not_member") throw notFound("member not found");
  if (change === "last_owner") throw lastOwner();
}

/**
 * /api/workspaces. Under /:ws the membership is already loaded (requireMember in index.ts), so a
 * non-member never reaches these handlers.
 */
export const workspaceRoutes = newApp()
  .post("/", async (c) => {
    const { name } = await readJson(c, CreateWorkspaceSchema);
    return c.json(
      { workspace: (await createWorkspace(c.env.DB, c.var.user.id, name)) satisfies Workspace },
      201,
    );
  })
  .get("/", async (c) => {
    // The person is here: workspaces that invited their email are theirs now.
    await acceptInvitations(c.env.DB, c.var.user, Date.now());
    return c.json({ workspaces: (await listMyWorkspaces(c.env.DB, c.var.user.id)) satisfies Workspace[] });
  })
  .get("/:ws", async (c) => {
    const workspace = await getMyWorkspace(c.env.DB, c.var.user.id, c.var.member.workspaceId);
    if (!workspace) throw notFound("workspace not found");
    return c.json({ workspace: workspace satisfies Workspace });
  })
  .patch("/:ws", async (c) => {
    requireRole(c, "owner");
    const patch = await readJson(c, UpdateWorkspaceSchema);
    await updateWorkspace(c.env.DB, c.var.member.workspaceId, patch);
    // A budget set below what the month has spent already stops the running sessions now.
    if (patch.monthlyBudgetUsd != null)
      c.executionCtx.waitUntil(stopIfBudgetReached(c.env, c.var.member.workspaceId));
    const workspace = await getMyWorkspace(c.env.DB, c.var.user.id, c.var.member.workspaceId);
    if (!workspace) throw notFound("workspace not found");
    return c.json({ workspace: workspace satisfies Workspace });
  })
  .get("/:ws/members", async (c) => {
    const workspaceId = c.var.member.workspaceId;
    const [members, invitations] = await Promise.all([
      listMembers(c.env.DB, workspaceId),
      listInvitations(c.env.DB, workspaceId),
    ]);
    return c.json({ members: members satisfies Member[], invitations: invitations satisfies Invitation[] });
  })
  /**
   * An invitation, the same answer whether or not the email has an account (so adding reveals no one's): it
   * becomes a membership when that person next comes. An email that is a member's already is a 409 (the
   * members list shows it anyway).
   */
  .post("/:ws/members", async (c) => {
    requireRole(c, "owner");
    const body = await readJson(c, AddMemberSchema);
    const workspaceId = c.var.member.workspaceId;
    const now = Date.now();
    if (!(await invite(c.env.DB, workspaceId, body.user, body.role, c.var.user.id, now))) {
      throw new HttpError("already_member", `${body.user} is already a member`, { field: "user" });
    }
    const invitation: Invitation = {
      email: body.user.toLowerCase(),
      role: body.role,
      invitedBy: c.var.user.name,
      createdAt: now,
    };
    return c.json({ invitation }, 201);
  })
  .delete("/:ws/invitations/:email", async (c) => {
    requireRole(c, "owner");
    const { email } = parseInput(InvitationParamsSchema, { email: c.req.param("email") });
    if (!(await withdrawInvitation(c.env.DB, c.var.member.workspaceId, email)))
      throw notFound("invitation not found");
    return c.body(null, 204);
  })
  .patch("/:ws/members/:userId", async (c) => {
    requireRole(c, "owner");
    const { userId } = parseInput(MemberParamsSchema, c.req.param());
    const { role } = await readJson(c, ChangeRoleSchema);
    settle(await changeRole(c.env.DB, c.var.member.workspaceId, userId, role));
    // Their sockets reconnect at once, authorized for the new role; a viewer's share links end.
    c.executionCtx.waitUntil((await revokeMember(c.env, c.var.member.workspaceId, userId, role))());
    return c.json({
      member: (await getMemberProfile(c.env.DB, c.var.member.workspaceId, userId)) satisfies Member | null,
    });
  })
  .delete("/:ws/members/:userId", async (c) => {
    requireRole(c, "owner");
    const { userId } = parseInput(MemberParamsSchema, c.req.param());
    settle(await removeMember(c.env.DB, c.var.member.workspaceId, userId));
    c.executionCtx.waitUntil((await revokeMember(c.env, c.var.member.workspaceId, userId, null))());
    return c.body(null, 204);
  });
