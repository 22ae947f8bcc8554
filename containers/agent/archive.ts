/**
 * The session's workspace as one tar.gz (the system `tar`, `.git` folders included): made by the agent
 * after a turn that changed files and on every stop, pulled by the DO into R2, and pushed back to a new
 * agent, which extracts it instead of cloning. Beside the workspace's files it carries the host's member
 * for the session (`.tandem-agent/`: Claude Code's session files and what the host keeps, claude/state.ts),
 * which a restore moves back out of the workspace; the workspace's own file of that name is not archived.
 */
import { execFile, spawn } from "node:child_process";
import { cp, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

export class ArchiveError extends Error {}

export interface ArchiveResult {
  size: number;
  /** Larger than the cap: the archive was not kept. */
  overLimit: boolean;
}

/** Removes everything inside `dir` but not `dir` itself (in a container /workspace belongs to root's tree). */
export async function emptyDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  await Promise.all(entries.map((entry) => rm(path.join(dir, entry), { recursive: true, force: true })));
}

/** Runs tar; GNU tar exits 1 when a file changed while it was read, which still leaves a usable archive. */
function tar(args: string[], input?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("tar", args, { stdio: [input ? "pipe" : "ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => reject(new ArchiveError(`tar could not start: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0 || (code === 1 && !input)) resolve();
      else reject(new ArchiveError(`tar exited with ${code}: ${stderr.trim().slice(0, 1000)}`));
    });
    if (input && child.stdin) {
      pipeline(input, child.stdin).catch((error: Error) => {
        child.kill("SIGKILL");
        reject(new ArchiveError(`the archive could not be read: ${error.message}`));
      });
    }
  });
}

let sparseFlags: Promise<string[]> | null = null;

/**
 * GNU tar reads a sparse file's holes as data unless told `--sparse`: a 1 GiB disk image or core dump
 * took every archive many seconds, and its restore wrote the whole size to disk. bsdtar (libarchive) finds
 * the holes by itself and knows no such flag.
 */
function sparseCreateFlags(): Promise<string[]> {
  sparseFlags ??= new Promise((resolve) => {
    execFile("tar", ["--version"], (error, stdout) =>
      resolve(!error && stdout.includes("GNU tar") ? ["--sparse"] : []),
    );
  });
  return sparseFlags;
}

/** Unpacks a workspace archive into `dir` as a restore does (tar refuses members that climb out with `..`). */
export function extractArchive(dir: string, body: Readable): Promise<void> {
  return tar(["-xzf", "-", "--no-same-owner", "-C", dir], body);
}

/** Passes bytes through until `max`, then fails the stream: a body may not outgrow what it declared. */
export function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > max ? new Error(`more than ${max} bytes`) : null, chunk);
    },
  });
}

/** The host's member of an archive: a directory of that name beside the workspace's files. */
export interface ArchiveMember {
  /** The directory that holds the member. */
  parent: string;
  name: string;
}

export class WorkspaceArchive {
  readonly workspace: string;
  /** The latest archive; replaced by rename, so a download in progress keeps reading the one it opened. */
  readonly file: string;
  readonly maxBytes: number;
  readonly #member: ArchiveMember | null;

  constructor(options: { workspace: string; file: string; maxBytes: number; member?: ArchiveMember }) {
    this.workspace = path.resolve(options.workspace);
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    this.#member = options.member
      ? { parent: path.resolve(options.member.parent), name: options.member.name }
      : null;
  }

  /** The workspace's files, then the host's member (its name without `./`, so the exclusion spares it). */
  async #members(): Promise<string[]> {
    const member = this.#member;
    if (!member) return ["-C", this.workspace, "."];
    const exists =
      (await stat(path.join(member.parent, member.name)).catch(() => null))?.isDirectory() ?? false;
    return [
      "--anchored",
      `--exclude=./${member.name}`,
      "-C",
      this.workspace,
      ".",
      ...(exists ? ["-C", member.parent, member.name] : []),
    ];
  }

  /** Archives the whole workspace; an archive over the cap is deleted and reported as such. */
  async save(): Promise<ArchiveResult> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const partial = `${this.file}.${process.pid}.${Date.now()}.partial`;
    try {
      await tar([...(await sparseCreateFlags()), "-czf", partial, ...(await this.#members())]);
      const { size } = await stat(partial);
      if (size > this.maxBytes) {
        await rm(partial, { force: true });
        return { size, overLimit: true };
      }
      await rename(partial, this.file);
      return { size, overLimit: false };
    } catch (error) {
      await rm(partial, { force: true });
      throw error instanceof ArchiveError ? error : new ArchiveError(String(error));
    }
  }

  /** The latest archive's size, or null when none was made. */
  async size(): Promise<number | null> {
    const info = await stat(this.file).catch(() => null);
    return info?.isFile() ? info.size : null;
  }

  /** Replaces the workspace's contents with an archive's; the host's member goes back beside it. */
  async restore(body: Readable): Promise<void> {
    await emptyDirectory(this.workspace);
    await extractArchive(this.workspace, body);
    const member = this.#member;
    if (!member) return;
    const extracted = path.join(this.workspace, member.name);
    const target = path.join(member.parent, member.name);
    await rm(target, { recursive: true, force: true });
    if (!(await stat(extracted).catch(() => null))?.isDirectory()) return; // saved before the member existed
    await mkdir(member.parent, { recursive: true });
    await rename(extracted, target).catch(async (error: NodeJS.ErrnoException) => {
      // Another filesystem (a container's /workspace volume): copied, then removed from the workspace.
      if (error.code !== "EXDEV") throw error;
      await cp(extracted, target, { recursive: true });
      await rm(extracted, { recursive: true, force: true });
    });
  }

  async remove(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
