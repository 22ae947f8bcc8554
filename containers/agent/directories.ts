/** The agent host's own directories (workspace and archive roots). */
import { chmod, lstat, mkdir } from "node:fs/promises";

/**
 * A directory only this user can enter: workspaces hold cloned private repositories and whatever the
 * agent wrote, archives all of it. The defaults live in the shared temp directory, where another local
 * user could have made the name first (or planted a link to a place they can read): such a directory is
 * refused, and one of ours is closed to everyone else.
 */
export async function privateDirectory(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const info = await lstat(dir);
  const mine = process.getuid === undefined || info.uid === process.getuid();
  if (info.isSymbolicLink() || !info.isDirectory() || !mine) {
    throw new Error(
      `${dir} is not a directory of this user: the agent host keeps workspaces and archives only in its own`,
    );
  }
  if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  return dir;
}
