import { z } from "zod";
import { newApp } from "../http/app";
import { notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { generateApiToken, hashApiToken } from "../auth/api-token";
import { insertToken, listTokens, revokeToken } from "../db/tokens";
import { revokeForUser } from "../sessions/revoke";

export const CreateTokenSchema = z.strictObject({ name: z.string().trim().min(1).max(100) });
const TokenParamsSchema = z.object({ id: z.uuid() });

/** /api/tokens: the signed-in user's own API tokens. The secret is returned once, at creation. */
export const tokenRoutes = newApp()
  .post("/", async (c) => {
    const { name } = await readJson(c, CreateTokenSchema);
    const token = generateApiToken();
    const created = await insertToken(c.env.DB, c.var.user.id, name, await hashApiToken(token));
    return c.json({ id: created.id, token, name: created.name, createdAt: created.createdAt }, 201);
  })
  .get("/", async (c) => c.json({ tokens: await listTokens(c.env.DB, c.var.user.id) }))
  .delete("/:id", async (c) => {
    const { id } = parseInput(TokenParamsSchema, c.req.param());
    if (!(await revokeToken(c.env.DB, c.var.user.id, id))) throw notFound("token not found");
    c.executionCtx.waitUntil(revokeForUser(c.env, c.var.user.id, { tokenId: id }));
    return c.body(null, 204);
  });
