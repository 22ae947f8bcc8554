import { newApp } from "../http/app";
import { notFound } from "../http/errors";
import { readJson } from "../http/body";
import { clearDevCookie, setDevCookie, signInDevUser } from "../auth/dev";
import { acceptInvitations } from "../db/invitations";
import { DevSignInSchema, type User } from "../protocol/workspace";

/** /api/auth: the dev sign-in (AUTH_MODE=dev only) and sign-out. */
export const authRoutes = newApp()
  .post("/dev", async (c) => {
    if (c.env.AUTH_MODE !== "dev") throw notFound("dev sign-in is off: AUTH_MODE is not dev");
    const { name } = await readJson(c, DevSignInSchema);
    const user = await signInDevUser(c.env, name);
    // Signing in is coming: every workspace that invited this email has them as a member now.
    await acceptInvitations(c.env.DB, user, Date.now());
    await setDevCookie(c, user.id);
    return c.json({ user: user satisfies User });
  })
  .post("/signout", (c) => {
    clearDevCookie(c);
    return c.body(null, 204);
  });

/** /api/me: who the request is made as. */
export const meRoutes = newApp().get("/", (c) => c.json({ user: c.var.user satisfies User }));
