import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app";
import { forbidden, notFound } from "../http/errors";
import { acceptInvitations } from "../db/invitations";
import { getMembership } from "../db/members";
import type { Member, Role, User } from "../db/types";

/** The user's membership of the workspace; an invitation waiting for their email becomes it now. */
export async function membershipOf(db: D1Database, workspaceId: string, user: User): Promise<Member | null> {
  const member = await getMembership(db, workspaceId, user.id);
  if (member || !user.email) return member;
  await acceptInvitations(db, user, Date.now(), workspaceId);
  return getMembership(db, workspaceId, user.id);
}

/** Loads the user's membership of `:ws`; to a non-member the workspace does not exist (404, never 403). */
export const requireMember = createMiddleware<AppEnv>(async (c, next) => {
  const member = await membershipOf(c.env.DB, c.req.param("ws") ?? "", c.var.user);
  if (!member) throw notFound("workspace not found");
  c.set("member", member);
  await next();
});

/** Throws 403 unless the member's role is one of `roles`. */
export function requireRole(c: Context<AppEnv>, ...roles: Role[]): void {
  if (!roles.includes(c.var.member.role)) throw forbidden(`requires the ${roles.join(" or ")} role`);
}
