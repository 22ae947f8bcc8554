/** read_file, write_file, edit_file: plain file operations confined to the workspace. */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ToolError, resolveInWorkspace } from "./paths";
import { capOutput, defineTool } from "./types";

const MAX_READ = 50_000;

async function readText(file: string, given: string): Promise<string> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new ToolError(`file not found: ${given}`);
  if (info.isDirectory()) throw new ToolError(`${given} is a directory; use the list tool`);
  return readFile(file, "utf8");
}

export const readFileTool = defineTool({
  name: "read_file",
  description:
    "Read a text file from the workspace. Paths are relative to the workspace. Optional offset (first line, 1-based) and limit (number of lines) read part of a large file.",
  input: z.object({
    path: z.string().min(1).describe("file path relative to the workspace"),
    offset: z.number().int().min(1).optional().describe("first line to read, 1-based"),
    limit: z.number().int().min(1).optional().describe("number of lines to read"),
  }),
  async run(input, { workspace, cut }) {
    const text = await readText(await resolveInWorkspace(workspace, input.path), input.path);
    if (input.offset === undefined && input.limit === undefined) return capOutput(text, MAX_READ, cut);
    const lines = text.split("\n");
    const start = (input.offset ?? 1) - 1;
    return capOutput(lines.slice(start, input.limit === undefined ? undefined : start + input.limit).join("\n"), MAX_READ, cut);
  },
});

export const writeFileTool = defineTool({
  name: "write_file",
  description:
    "Create or overwrite a text file in the workspace (parent directories are created). Files under artifacts/ are shared with the people in the session.",
  input: z.object({
    path: z.string().min(1).describe("file path relative to the workspace"),
    content: z.string().describe("the complete new content of the file"),
  }),
  async run(input, { workspace }) {
    const file = await resolveInWorkspace(workspace, input.path);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, input.content);
    return `wrote ${Buffer.byteLength(input.content)} bytes to ${input.path}`;
  },
});

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

export const editFileTool = defineTool({
  name: "edit_file",
  description:
    "Replace an exact string in a file. old_string must occur exactly once (include surrounding lines to make it unique) unless replace_all is true.",
  input: z.object({
    path: z.string().min(1).describe("file path relative to the workspace"),
    old_string: z.string().min(1).describe("the exact text to replace"),
    new_string: z.string().describe("the replacement text"),
    replace_all: z.boolean().optional().describe("replace every occurrence"),
  }),
  async run(input, { workspace }) {
    const file = await resolveInWorkspace(workspace, input.path);
    const text = await readText(file, input.path);
    const count = countOccurrences(text, input.old_string);
    if (count === 0) throw new ToolError(`old_string not found in ${input.path}`);
    if (count > 1 && !input.replace_all) {
      throw new ToolError(`old_string is not unique in ${input.path} (found ${count} times); include more context`);
    }
    // A function replacement keeps `$&`-style patterns in new_string literal.
    const updated = input.replace_all
      ? text.split(input.old_string).join(input.new_string)
      : text.replace(input.old_string, () => input.new_string);
    await writeFile(file, updated);
    return `replaced ${input.replace_all ? count : 1} occurrence${count > 1 && input.replace_all ? "s" : ""} in ${input.path}`;
  },
});
