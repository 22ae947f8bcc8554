import { Hono } from "hono";
import type { Credential } from "../db/types";
import type { Env } from "../env";
import type { Member, User } from "../db/types";

/**
 * Variables the middleware puts on the context: the signed-in user, the credential they came with (API
 * token, expiry) and, under a workspace, the membership.
 */
export type AppVariables = { user: User; credential: Credential; member: Member };
export type AppEnv = { Bindings: Env; Variables: AppVariables };

export const newApp = () => new Hono<AppEnv>();
