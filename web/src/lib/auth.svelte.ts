/** Who is signed in, for every page: loaded once from /api/me by the root layout. */
import { api, ApiError } from "./api";
import type { User } from "./api";

export const auth = $state<{ user: User | null; checked: boolean; error: string }>({
  user: null,
  checked: false,
  error: "",
});

export async function loadMe(): Promise<void> {
  try {
    auth.user = (await api.me()).user;
    auth.error = "";
  } catch (err) {
    auth.user = null;
    // 401 means "show the sign-in"; anything else is worth saying.
    auth.error =
      err instanceof ApiError && err.status === 401 ? "" : err instanceof Error ? err.message : String(err);
  } finally {
    auth.checked = true;
  }
}

/** The signed-in user; pages below the layout render only once there is one. */
export function currentUser(): User {
  if (!auth.user) throw new Error("not signed in");
  return auth.user;
}
