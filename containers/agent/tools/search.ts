/** list (glob) and grep over the workspace, in-process so they need nothing installed. */
import type { Dirent } from "node:fs";
import { readFile, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ToolError, displayPath, isInside, resolveInWorkspace } from "./paths";
import { defineTool } from "./types";

/** Not descended into: huge and rarely what the model is after (list shows node_modules/ itself). */
const SKIPPED_DIRS = new Set([".git", "node_modules"]);
/** Not even listed: git's internals are noise in every listing. */
const HIDDEN = new Set([".git"]);
const MAX_ENTRIES = 1000;
const MAX_MATCHES = 200;
const MAX_GREP_FILE = 1_000_000;

/** Converts a glob (`*`, `**`, `?`, `{a,b}`) to a regex over forward-slash relative paths. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "{") {
      braces++;
      out += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      out += ")";
    } else if (c === "," && braces > 0) out += "|";
    else out += c.replace(/[.+^$(){}|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

interface Entry {
  rel: string;
  absolute: string;
  isDir: boolean;
}

/** Walks `dir` breadth-first (no symlink following), yielding paths relative to it. */
async function* walk(dir: string, maxDepth: number): AsyncGenerator<Entry> {
  let level: { abs: string; rel: string }[] = [{ abs: dir, rel: "" }];
  for (let depth = 1; depth <= maxDepth && level.length; depth++) {
    const next: typeof level = [];
    for (const { abs, rel } of level) {
      const children: Dirent[] = await readdir(abs, { withFileTypes: true }).catch(() => []);
      children.sort((a, b) => a.name.localeCompare(b.name));
      for (const child of children) {
        if (HIDDEN.has(child.name)) continue;
        const childRel = rel ? `${rel}/${child.name}` : child.name;
        const childAbs = path.join(abs, child.name);
        const isDir = child.isDirectory();
        yield { rel: childRel, absolute: childAbs, isDir };
        if (isDir && !SKIPPED_DIRS.has(child.name)) next.push({ abs: childAbs, rel: childRel });
      }
    }
    level = next;
  }
}

async function resolveDir(workspace: string, given: string): Promise<string> {
  const dir = await resolveInWorkspace(workspace, given);
  const info = await stat(dir).catch(() => null);
  if (!info) throw new ToolError(`directory not found: ${given}`);
  if (!info.isDirectory()) throw new ToolError(`${given} is not a directory`);
  return dir;
}

export const listTool = defineTool({
  name: "list",
  description:
    "List files in the workspace matching a glob (`*` within a directory, `**` across directories, `{a,b}`). Directories end with `/`. Default: the top level of `path`.",
  input: z.object({
    pattern: z.string().min(1).optional().describe("glob relative to path, e.g. `*`, `**/*.ts`; default `*`"),
    path: z.string().min(1).optional().describe("directory to search from, relative to the workspace; default `.`"),
  }),
  async run(input, { workspace }) {
    const pattern = input.pattern ?? "*";
    const dir = await resolveDir(workspace, input.path ?? ".");
    const root = await realpath(workspace);
    const regex = globToRegExp(pattern);
    const maxDepth = pattern.includes("**") ? Infinity : pattern.split("/").length;
    const found: string[] = [];
    for await (const entry of walk(dir, maxDepth)) {
      if (!regex.test(entry.rel)) continue;
      if (found.length === MAX_ENTRIES) return `${found.join("\n")}\n… [more than ${MAX_ENTRIES} entries; narrow the pattern]`;
      found.push(displayPath(root, entry.absolute) + (entry.isDir ? "/" : ""));
    }
    return found.length ? found.join("\n") : `no files match ${pattern}`;
  },
});

export const grepTool = defineTool({
  name: "grep",
  description:
    "Search file contents in the workspace with a JavaScript regular expression. Returns `path:line: text` for each match (at most 200).",
  input: z.object({
    pattern: z.string().min(1).describe("regular expression"),
    path: z.string().min(1).optional().describe("directory to search, relative to the workspace; default `.`"),
    glob: z.string().min(1).optional().describe("only files whose path (relative to `path`) matches, e.g. `**/*.ts`"),
    ignore_case: z.boolean().optional(),
  }),
  async run(input, { workspace, cut = (head: string) => head }) {
    let regex: RegExp;
    try {
      regex = new RegExp(input.pattern, input.ignore_case ? "i" : "");
    } catch (error) {
      throw new ToolError(`invalid regular expression: ${(error as Error).message}`);
    }
    const dir = await resolveDir(workspace, input.path ?? ".");
    const root = await realpath(workspace);
    const fileFilter = input.glob ? globToRegExp(input.glob) : null;
    const matches: string[] = [];
    for await (const entry of walk(dir, Infinity)) {
      if (entry.isDir || (fileFilter && !fileFilter.test(entry.rel))) continue;
      // Containment by real path: a symlink is read only when it leads to a file inside the workspace.
      const file = await realpath(entry.absolute).catch(() => null);
      if (!file || !isInside(root, file)) continue;
      const info = await stat(file).catch(() => null);
      if (!info?.isFile() || info.size > MAX_GREP_FILE) continue;
      const buffer = await readFile(file);
      if (buffer.subarray(0, 8000).includes(0)) continue; // binary
      const lines = buffer.toString("utf8").split("\n");
      for (let i = 0; i < lines.length; i++) {
        if (!regex.test(lines[i])) continue;
        if (matches.length === MAX_MATCHES) return `${matches.join("\n")}\n… [more than ${MAX_MATCHES} matches]`;
        matches.push(`${displayPath(root, entry.absolute)}:${i + 1}: ${lines[i].length > 300 ? `${cut(lines[i].slice(0, 300))}…` : lines[i]}`);
      }
    }
    return matches.length ? matches.join("\n") : `no matches for /${input.pattern}/`;
  },
});
