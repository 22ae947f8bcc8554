/** Confines every path a tool touches to the session's workspace, symlinks included. */
import { realpath } from "node:fs/promises";
import path from "node:path";

export class ToolError extends Error {}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The real path of `target`, or of its deepest existing ancestor joined with the missing rest. */
async function realpathOfExisting(target: string): Promise<string> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      const real = await realpath(current);
      return missing.length ? path.join(real, ...missing.reverse()) : real;
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return target;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolves a path given by the model (relative to the workspace, or absolute inside it) and refuses
 * anything outside: `..`, absolute paths elsewhere, and symlinks that point out of the workspace.
 */
export async function resolveInWorkspace(workspace: string, given: string): Promise<string> {
  if (given.includes("\0")) throw new ToolError(`invalid path: ${JSON.stringify(given)}`);
  const root = await realpath(workspace);
  const lexical = path.resolve(workspace, given);
  const outside = `path is outside the workspace: ${given} (the workspace is ${workspace}; use a path inside it)`;
  if (!isInside(path.resolve(workspace), lexical) && !isInside(root, lexical)) throw new ToolError(outside);
  const real = await realpathOfExisting(lexical);
  if (!isInside(root, real)) throw new ToolError(`${outside}; it resolves through a symlink to ${real}`);
  return real;
}

/** A path relative to the workspace with forward slashes, as tools report it. */
export function displayPath(workspaceReal: string, absolute: string): string {
  const rel = path.relative(workspaceReal, absolute);
  return rel === "" ? "." : rel.split(path.sep).join("/");
}
