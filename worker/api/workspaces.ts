import { z } from "zod";
import { newApp } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { requireRole } from "../auth/membership";
import { createWorkspace, getMyWorkspace, listMyWorkspaces, updateWorkspace } from "../db/workspaces";
import { addMember, changeRole, getMemberProfile, listMembers, removeMember, type MemberChange } from "../db/members";
import { findUserByEmail } from "../db/users";
import { AddMemberSchema, ChangeRoleSchema, CreateWorkspaceSchema, UpdateWorkspaceSchema, type Member, type Workspace } from "../protocol/workspace";
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
    return c.json({ workspace: (await createWorkspace(c.env.DB, c.var.user.id, name)) satisfies Workspace }, 201);
  })
  .get("/", async (c) => c.json({ workspaces: (await listMyWorkspaces(c.env.DB, c.var.user.id)) satisfies Workspace[] }))
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
    if (patch.monthlyBudgetUsd != null) c.executionCtx.waitUntil(stopIfBudgetReached(c.env, c.var.member.workspaceId));
    const workspace = await getMyWorkspace(c.env.DB, c.var.user.id, c.var.member.workspaceId);
    if (!workspace) throw notFound("workspace not found");
    return c.json({ workspace: workspace satisfies Workspace });
  })
  .get("/:ws/members", async (c) => c.json({ members: (await listMembers(c.env.DB, c.var.member.workspaceId)) satisfies Member[] }))
  .post("/:ws/members", async (c) => {
    requireRole(c, "owner");
    const body = await readJson(c, AddMemberSchema);
    const workspaceId = c.var.member.workspaceId;
    const found = await findUserByEmail(c.env.DB, body.user);
    if (!found) throw new HttpError("unknown_user", "no one has signed in with this email yet", { field: "user" });
    if (!(await addMember(c.env.DB, workspaceId, found.id, body.role))) {
      throw new HttpError("already_member", `${found.name} is already a member`, { field: "user" });
    }
    return c.json({ member: (await getMemberProfile(c.env.DB, workspaceId, found.id)) satisfies Member | null }, 201);
  })
  .patch("/:ws/members/:userId", async (c) => {
    requireRole(c, "owner");
    const { userId } = parseInput(MemberParamsSchema, c.req.param());
    const { role } = await readJson(c, ChangeRoleSchema);
    settle(await changeRole(c.env.DB, c.var.member.workspaceId, userId, role));
    // Their sockets reconnect at once, authorized for the new role; a viewer's share links end.
    c.executionCtx.waitUntil((await revokeMember(c.env, c.var.member.workspaceId, userId, role))());
    return c.json({ member: (await getMemberProfile(c.env.DB, c.var.member.workspaceId, userId)) satisfies Member | null });
  })
  .delete("/:ws/members/:userId", async (c) => {
    requireRole(c, "owner");
    const { userId } = parseInput(MemberParamsSchema, c.req.param());
    settle(await removeMember(c.env.DB, c.var.member.workspaceId, userId));
    c.executionCtx.waitUntil((await revokeMember(c.env, c.var.member.workspaceId, userId, null))());
    return c.body(null, 204);
  });
