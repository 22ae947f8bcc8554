/**
 * read_file, write_file, edit_file: plain file operations confined to the workspace. A file is never read
 * whole past MAX_WHOLE_BYTES: a repository can hold a file of hundreds of MB that takes a few KB in git,
 * and one such read would exhaust the container's memory (locally, the host process every session shares).
 */
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ToolError, resolveInWorkspace } from "./paths";
import { capOutput, defineTool } from "./types";

const MAX_READ = 50_000;
/** Larger files are read in part (read_file) or refused (edit_file). */
const MAX_WHOLE_BYTES = 10 * 1024 * 1024;

/** A regular file's size; anything else (a directory, a FIFO that would block forever, a device) is refused. */
async function regularFile(file: string, given: string): Promise<number> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new ToolError(`file not found: ${given}`);
  if (info.isDirectory()) throw new ToolError(`${given} is a directory; use the list tool`);
  if (!info.isFile()) throw new ToolError(`${given} is not a regular file`);
  return info.size;
}

async function readText(file: string, given: string): Promise<string> {
  const size = await regularFile(file, given);
  if (size > MAX_WHOLE_BYTES) throw new ToolError(`${given} is ${size} bytes: too large to edit with edit_file; use bash (sed, a script)`);
  return readFile(file, "utf8");
}

/** The head of a large file: enough bytes for MAX_READ characters, with a note of the whole size. */
async function readHead(file: string, given: string, size: number, cut?: (head: string) => string): Promise<string> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(file, "r");
    const buffer = Buffer.alloc(MAX_READ * 4);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString("utf8").slice(0, MAX_READ);
    return `${cut ? cut(head) : head}\n… [${given} is ${size} bytes: only its start is shown; read more with offset and limit, or with bash]`;
  } finally {
    await handle?.close();
  }
}

/**
 * Lines `start` (0-based) to `end` (exclusive) of a file read as a stream, stopping once MAX_READ
 * characters are in hand; a line longer than that is cut as it streams, never held whole.
 */
async function readLines(file: string, start: number, end: number | undefined): Promise<string> {
  const lines: string[] = [];
  let chars = 0;
  let index = 0;
  let current = "";
  const wanted = () => index >= start && (end === undefined || index < end);
  const done = () => (end !== undefined && index >= end) || chars > MAX_READ;
  const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let from = 0;
      for (let newline = chunk.indexOf("\n"); ; newline = chunk.indexOf("\n", from)) {
        const piece = chunk.slice(from, newline === -1 ? undefined : newline);
        if (wanted() && current.length <= MAX_READ) current += piece.slice(0, MAX_READ + 1 - current.length);
        if (newline === -1) break;
        if (wanted()) {
          lines.push(current);
          chars += current.length + 1;
        }
        current = "";
        index++;
        from = newline + 1;
        if (done()) return lines.join("\n");
      }
    }
    if (wanted() && current) lines.push(current);
  } finally {
    stream.destroy();
  }
  return lines.join("\n");
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
    const file = await resolveInWorkspace(workspace, input.path);
    const size = await regularFile(file, input.path);
    const whole = input.offset === undefined && input.limit === undefined;
    if (whole && size > MAX_WHOLE_BYTES) return readHead(file, input.path, size, cut);
    if (whole) return capOutput(await readFile(file, "utf8"), MAX_READ, cut);
    const start = (input.offset ?? 1) - 1;
    return capOutput(await readLines(file, start, input.limit === undefined ? undefined : start + input.limit), MAX_READ, cut);
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
