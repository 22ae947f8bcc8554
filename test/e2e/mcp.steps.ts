/**
 * A workspace's MCP servers from the browser (issue 22): an owner adds a real MCP server (the MCP SDK's own,
 * on loopback, in a process of its own) with a header read from a secret, and one that does not answer; a
 * viewer sees the list without header values. In a new session both see each server's status in the
 * sidebar (the silent one failed, with the reason), and an MCP tool call shows in both, labelled with its
 * server.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import path from "node:path";
import { after } from "node:test";
import type { Page } from "playwright-core";
import { createWorkspace } from "./browser.ts";
import { pageText, setSecret } from "./integrations.ts";
import { it, phaseIs, send, SHOTS, transcript, WAIT, type Cast } from "./story.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

async function startMcpServer(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["test/fakes/mcp-server-main.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = await Promise.race([
    createInterface({ input: child.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((first) => [String(first.value)]),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the MCP server did not start")), 30_000),
    ),
  ]);
  return { child, origin: (JSON.parse(line) as { origin: string }).origin };
}

/** A loopback port nothing listens on: a server there does not answer. */
async function silentPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function addServer(page: Page, name: string, url: string, secretHeader?: [string, string]) {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("URL", { exact: true }).fill(url);
  if (secretHeader) {
    await page.getByRole("button", { name: "Add a header" }).click();
    await page.getByLabel("Header name").fill(secretHeader[0]);
    await page.getByLabel("Secret", { exact: true }).selectOption(secretHeader[1]);
  }
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await page.locator(`tr[data-mcp-server="${name}"]`).waitFor(WAIT);
}

export function mcpSteps(cast: () => Cast) {
  let mcp: { child: ChildProcess; origin: string } | undefined;
  let sessionPath = "";
  const token = `mcp-e2e-${crypto.randomUUID()}`;
  after(() => void mcp?.child.kill("SIGTERM"));

  it("A adds MCP servers to a workspace, one with a header from a secret; C, a viewer, sees them without values", async () => {
    const { alice, carol, run } = cast();
    mcp = await startMcpServer();
    const page = alice.page;
    await page.goto("/");
    const workspaceURL = await createWorkspace(page, `MCP ${run}`, [[carol, "viewer"]]);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Secrets" }).click();
    await setSecret(page, "MCP_TOKEN", token);
    await page.goto(workspaceURL);
    await page
      .getByRole("navigation", { name: "Workspace" })
      .getByRole("link", { name: "MCP servers" })
      .click();
    await addServer(page, "docs", `${mcp.origin}/mcp`, ["Authorization", "MCP_TOKEN"]);
    await addServer(page, "silent", `http://127.0.0.1:${await silentPort()}/mcp`);
    await page.locator('tr[data-mcp-server="docs"]', { hasText: "secret MCP_TOKEN" }).waitFor(WAIT);
    await page.screenshot({ path: path.join(SHOTS, "mcp-servers.png"), fullPage: true });

    await carol.page.goto(`${workspaceURL}/mcp`);
    const row = carol.page.locator('tr[data-mcp-server="docs"]');
    await row.getByText("Authorization").waitFor(WAIT);
    assert.equal(await row.getByText("MCP_TOKEN").count(), 0, "a viewer sees which secret a header names");
    assert.equal(await carol.page.getByRole("button", { name: "Add", exact: true }).count(), 0);
    assert.ok(!(await pageText(carol.page)).includes(token));

    await page.goto(workspaceURL);
    await page.getByRole("button", { name: "New session" }).click();
    await page.getByRole("button", { name: "Create session" }).click();
    await page.waitForURL(/\/s\/[^/]+$/);
    sessionPath = new URL(page.url()).pathname;
    await phaseIs(page, "Running");
  });

  it("A and C see each server's status in the session; an MCP tool call shows in both, labelled with its server", async () => {
    const { alice, carol } = cast();
    await carol.page.goto(sessionPath);
    for (const page of [alice.page, carol.page]) {
      await page.locator('[data-mcp-server="docs"][data-mcp-status="connected"]').waitFor(WAIT);
      await page.locator('[data-mcp-server="silent"][data-mcp-status="failed"] .reason').waitFor(WAIT);
    }
    await send(alice.page, '/call mcp__docs__echo {"text": "hello from the browser"}');
    for (const page of [alice.page, carol.page]) {
      const call = transcript(page).locator('[data-tool="mcp__docs__echo"]');
      await call.locator(".server", { hasText: "docs" }).waitFor(WAIT);
      await call.click();
      await call.getByText("echo from MCP: hello from the browser").waitFor(WAIT);
      assert.ok(!(await pageText(page)).includes(token));
    }
    await carol.page.screenshot({ path: path.join(SHOTS, "mcp-session.png"), fullPage: true });
  });
}
