import { z } from "zod";
import { newApp } from "../http/app";
import { notFound } from "../http/errors";
import { readJson } from "../http/body";
import { clearDevCookie, setDevCookie, signInDevUser } from "../auth/dev";

export const DevSignInSchema = z.strictObject({ name: z.string().trim().min(1).max(100) });

/** /api/auth: the dev sign-in (AUTH_MODE=dev only) and sign-out. */
export const authRoutes = newApp()
  .post("/dev", async (c) => {
    if (c.env.AUTH_MODE !== "dev") throw notFound("dev sign-in is off: AUTH_MODE is not dev");
    const { name } = await readJson(c, DevSignInSchema);
    const user = await signInDevUser(c.env, name);
    await setDevCookie(c, user.id);
    return c.json({ user });
  })
  .post("/signout", (c) => {
    clearDevCookie(c);
    return c.body(null, 204);
  });

/** /api/me: who the request is made as. */
export const meRoutes = newApp().get("/", (c) => c.json({ user: c.var.user }));
