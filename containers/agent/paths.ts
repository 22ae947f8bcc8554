/** Confines a path the host reads for a session (an artifact, an instructions file) to a root, symlinks included. */
import { lstat, readlink, realpath } from "node:fs/promises";
import path from "node:path";

export class PathError extends Error {}

/** Linux gives up after 40 links in one path; so do we (a loop of links would never end). */
const MAX_LINKS = 40;

/** Whether `target` is `root` or below it. `..foo` is a name like any other, not a step up. */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Where `target` really leads: its real path when it exists; else symlinks are followed even when they
 * dangle (writing through a dangling link creates its target), and a missing rest is joined on to the
 * real path of the deepest existing ancestor.
 */
async function realTarget(target: string, links = { count: 0 }): Promise<string> {
  try {
    return await realpath(target);
  } catch {
    // missing, or a dangling link: resolved step by step below
  }
  const info = await lstat(target).catch(() => null);
  if (info?.isSymbolicLink()) {
    if (++links.count > MAX_LINKS) throw new PathError(`too many levels of symbolic links: ${target}`);
    return realTarget(path.resolve(path.dirname(target), await readlink(target)), links);
  }
  const parent = path.dirname(target);
  if (parent === target) return target;
  return path.join(await realTarget(parent, links), path.basename(target));
}
/**
 * Resolves a path (relative to the workspace, or absolute inside it) and refuses
 * anything outside: `..`, absolute paths elsewhere, and symlinks that point out of the workspace.
 */
export async function resolveInWorkspace(workspace: string, given: string): Promise<string> {
  if (given.includes("\0")) throw new PathError(`invalid path: ${JSON.stringify(given)}`);
  const root = await realpath(workspace);
  const lexical = path.resolve(workspace, given);
  const outside = `path is outside the workspace: ${given} (the workspace is ${workspace}; use a path inside it)`;
  if (!isInside(path.resolve(workspace), lexical) && !isInside(root, lexical)) throw new PathError(outside);
  const real = await realTarget(lexical);
  if (!isInside(root, real)) throw new PathError(`${outside}; it resolves through a symlink to ${real}`);
  return real;
}
