import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/app";
import { forbidden, notFound } from "../http/errors";
import { getMembership } from "../db/members";
import type { Role } from "../db/types";

export { getMembership };

/** Loads the user's membership of `:ws`; to a non-member the workspace does not exist (404, never 403). */
export const requireMember = createMiddleware<AppEnv>(async (c, next) => {
  const member = await getMembership(c.env.DB, c.req.param("ws") ?? "", c.var.user.id);
  if (!member) throw notFound("workspace not found");
  c.set("member", member);
  await next();
});

/** Throws 403 unless the member's role is one of `roles`. */
export function requireRole(c: Context<AppEnv>, ...roles: Role[]): void {
  if (!roles.includes(c.var.member.role)) throw forbidden(`requires the ${roles.join(" or ")} role`);
}
