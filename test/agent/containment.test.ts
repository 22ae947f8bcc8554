/** The file tools stay inside the workspace by real paths, on a real filesystem. */
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, afterAll, describe, expect, it } from "vitest";
import { childEnv } from "../../containers/agent/secrets";
import { type ToolContext, runTool } from "../../containers/agent/tools/index";
import { removeTempDirs, tempDir } from "./helpers";

let ctx: ToolContext;
let workspace: string;
let outside: string;
beforeEach(async () => {
  workspace = await tempDir("tandem-contain-");
  outside = await tempDir("tandem-outside-");
  await writeFile(path.join(outside, "secret.txt"), "outside secret\n");
  ctx = { workspace, env: childEnv({}, workspace), signal: new AbortController().signal };
});
afterAll(removeTempDirs);

const run = (name: string, input: unknown) => runTool(name, input, ctx);

describe("containment by real paths", () => {
  it("write_file refuses a dangling symlink that leads out, directly or through a chain of links", async () => {
    await symlink(path.join(outside, "planted.txt"), path.join(workspace, "dangling.txt"));
    await symlink(path.join(workspace, "dangling.txt"), path.join(workspace, "chain.txt"));
    await symlink(path.join(outside, "newdir"), path.join(workspace, "gone"));
    for (const given of ["dangling.txt", "chain.txt", "gone/file.txt"]) {
      const result = await run("write_file", { path: given, content: "pwned" });
      expect(result.isError, given).toBe(true);
      expect(result.output).toContain("outside the workspace");
    }
    expect(existsSync(path.join(outside, "planted.txt"))).toBe(false);
    expect(existsSync(path.join(outside, "newdir"))).toBe(false);
    const edit = await run("edit_file", { path: "chain.txt", old_string: "a", new_string: "b" });
    expect(edit).toMatchObject({ isError: true, output: expect.stringContaining("outside the workspace") });
  });

  it("write_file through a dangling symlink that stays inside creates its target", async () => {
    await symlink("./real/target.txt", path.join(workspace, "inside-link.txt"));
    expect((await run("write_file", { path: "inside-link.txt", content: "kept in" })).isError).toBe(false);
    expect(await readFile(path.join(workspace, "real/target.txt"), "utf8")).toBe("kept in");
  });

  it("a loop of symlinks is an error, not a hang", async () => {
    await symlink(path.join(workspace, "b"), path.join(workspace, "a"));
    await symlink(path.join(workspace, "a"), path.join(workspace, "b"));
    expect(await run("write_file", { path: "a", content: "x" })).toMatchObject({ isError: true, output: expect.stringContaining("symbolic links") });
  });

  it("grep does not follow symlinks out of the workspace, but searches those that stay in", async () => {
    await writeFile(path.join(workspace, "notes.txt"), "an inside secret\n");
    await symlink(path.join(outside, "secret.txt"), path.join(workspace, "leak.txt"));
    await symlink(outside, path.join(workspace, "leakdir"));
    await symlink(path.join(workspace, "notes.txt"), path.join(workspace, "alias.txt"));
    const result = await run("grep", { pattern: "secret" });
    expect(result.isError).toBe(false);
    expect(result.output).not.toContain("outside secret");
    expect(result.output.split("\n").sort()).toEqual(["alias.txt:1: an inside secret", "notes.txt:1: an inside secret"]);
    expect((await run("grep", { pattern: "secret", path: "leakdir" })).output).toContain("outside the workspace");
  });

  it("names that merely begin with `..` are ordinary names; `..` itself still is not", async () => {
    for (const given of ["..foo", "dir/..bar/notes.md", "...", "..foo/../..baz"]) {
      expect((await run("write_file", { path: given, content: given })).isError, given).toBe(false);
      expect((await run("read_file", { path: given })).output).toBe(given);
    }
    expect(await readFile(path.join(workspace, "..foo"), "utf8")).toBe("..foo");
    expect((await run("list", { path: "dir/..bar" })).output).toBe("dir/..bar/notes.md");
    expect((await run("grep", { pattern: "bar", path: "dir" })).output).toBe("dir/..bar/notes.md:1: dir/..bar/notes.md");
    for (const given of ["..", "../x", "..foo/../../x", "dir/../../x"]) {
      expect((await run("write_file", { path: given, content: "x" })).output, given).toContain("outside the workspace");
    }
  });
});
