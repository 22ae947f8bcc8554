/**
 * The git round trip in the browser: a workflow of the workspace's own, chosen in the New Session dialog; a
 * private repository on a fake GitHub (git over HTTP behind the token, and the pull-request API) cloned with
 * the workspace's GITHUB_TOKEN; the agent's write in the Changes panel of an owner and of a viewer, live;
 * a push that opens a pull request, whose link the session and the list show.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { type FakeGitHub, startFakeGitHub } from "../fakes/github.ts";
import { createWorkspace } from "./browser.ts";
import { setSecret } from "./integrations.ts";
import { agentSaid, it, phaseIs, send, SHOTS, WAIT, type Cast } from "./story.ts";

const TOKEN = "ghp_e2etoken0123456789abcdefABCDEFghij";

/** A fake GitHub holding acme/app (one commit on main), and its folder. */
async function fakeGitHub(): Promise<{ github: FakeGitHub; root: string }> {
  const root = mkdtempSync(path.join(tmpdir(), "tandem-e2e-github-"));
  const work = path.join(root, "work");
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(path.join(work, "README.md"), "# app\n");
  execFileSync("git", ["add", "."], { cwd: work });
  execFileSync(
    "git",
    ["-c", "user.name=Test", "-c", "user.email=t@example.com", "commit", "-q", "-m", "readme"],
    { cwd: work },
  );
  execFileSync("git", ["clone", "-q", "--bare", work, path.join(root, "acme", "app.git")]);
  return { github: await startFakeGitHub({ root, token: TOKEN }), root };
}

export function gitSteps(cast: () => Cast) {
  let github: FakeGitHub | undefined;
  let root = "";
  let workspaceURL = "";
  let sessionURL = "";

  after(async () => {
    await github?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("A adds a workflow of the workspace's own and starts a session with it on a private repository", async () => {
    const { alice, carol, run } = cast();
    ({ github, root } = await fakeGitHub());
    const page = alice.page;
    await page.goto("/");
    workspaceURL = await createWorkspace(page, `Git ${run}`, [[carol, "viewer"]]);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Secrets" }).click();
    await setSecret(page, "GITHUB_TOKEN", TOKEN);
    await setSecret(page, "GITHUB_API_URL", github.apiURL);

    await page.goto(workspaceURL);
    await page
      .getByRole("navigation", { name: "Workspace" })
      .getByRole("link", { name: "Workflows" })
      .click();
    await page.locator("#wf-name").fill("release-notes");
    await page.locator("#wf-title").fill("Release notes");
    await page.locator("#wf-systemPrompt").fill("Workflow: release notes. Keep them short.");
    await page.locator("#wf-firstMessage").fill("Release notes: {{prompt}}");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.locator('tr[data-workflow="release-notes"]').waitFor(WAIT);
    await page.screenshot({ path: path.join(SHOTS, "workflows.png") });

    await page.goto(workspaceURL);
    await page.getByRole("button", { name: "New session" }).click();
    await page.locator("details.advanced summary").click();
    await page.getByLabel("Display name", { exact: false }).fill(`Git notes ${run}`);
    await page.getByRole("button", { name: "Add repository" }).click();
    await page.getByLabel("Git URL 1").fill(`${github.url}/acme/app.git`);
    await page.locator("#ns-workflow").selectOption("release-notes");
    assert.deepEqual(
      await page.locator('#ns-workflow optgroup[label="This workspace"] option').allTextContents(),
      ["Release notes (release-notes)"],
    );
    await page.getByRole("button", { name: "Create session" }).click();
    await page.waitForURL(/\/s\/[^/]+$/);
    sessionURL = new URL(page.url()).pathname;
    await phaseIs(page, "Running");
    // Cloned with the token: git asked the fake GitHub with it, and the token is nowhere on the page.
    assert.ok(github.gitAuth.some((auth) => auth !== null));
    assert.ok(!(await page.content()).includes(TOKEN));
  });

  it("the agent's write appears in the Changes panel of A and of C, a viewer, as it happens", async () => {
    const { alice, carol } = cast();
    await carol.page.goto(sessionURL);
    await phaseIs(carol.page, "Running");
    await carol.page.locator("[data-changes]").getByText("No changes yet.").waitFor(WAIT);
    await send(alice.page, '/write app/login.ts export const fixed = "the <b>login</b> flow";');
    await agentSaid(alice.page, "login.ts").first().waitFor(WAIT);
    for (const page of [alice.page, carol.page])
      await page.locator('[data-changes] li[data-file="login.ts"]').waitFor(WAIT);
    const panel = carol.page.locator("[data-changes]");
    await panel.getByRole("button", { name: "Show the diff" }).click();
    const added = panel.locator("[data-diff] .line.add", {
      hasText: 'export const fixed = "the <b>login</b> flow";',
    });
    await added.waitFor(WAIT);
    // highlight.js loads on demand and colours the code; the markup in it stays text.
    await added.locator(".hljs-keyword", { hasText: "export" }).waitFor(WAIT);
    assert.equal(await panel.locator("[data-diff] b").count(), 0, "markup in a diff must show as text");
    assert.equal(await carol.page.getByRole("button", { name: "Push…" }).count(), 0, "a viewer cannot push");
    await carol.page.screenshot({ path: path.join(SHOTS, "changes-panel.png") });
  });

  it("A pushes with a pull request; the session and the list link to it", async () => {
    const { alice, carol, run } = cast();
    const page = alice.page;
    const push = page.locator("[data-changes]").getByRole("button", { name: "Push…" });
    await push.click({ trial: true }); // enabled once the agent is idle
    // The header's ⋯ menu leads to the Changes panel's Push…, focused: Enter opens the form.
    await page.getByRole("button", { name: "More actions" }).click();
    await page.getByRole("menuitem", { name: "Push…" }).click();
    await page.waitForFunction(() => document.activeElement?.hasAttribute("data-push-open"));
    await page.keyboard.press("Enter");
    assert.equal(await page.locator("#push-branch").getAttribute("placeholder"), `tandem/git-notes-${run}`);
    await page.locator("#push-pr-title").fill("Release notes");
    await page.getByRole("button", { name: "Push", exact: true }).click();
    await page.locator("[data-push-result]").waitFor(WAIT);
    assert.equal(github?.pulls.length, 1);
    assert.deepEqual(github?.pulls[0].body, {
      title: "Release notes",
      body: "",
      head: `tandem/git-notes-${run}`,
      base: "main",
    });
    const pullURL = `${github?.url}/acme/app/pull/1`;
    for (const p of [page, carol.page]) {
      assert.equal(await p.locator("[data-changes] [data-pull-request]").getAttribute("href", WAIT), pullURL);
    }
    await page.goto(workspaceURL);
    const row = page.locator(`tr:has(a[href="${sessionURL}"])`);
    assert.equal(await row.locator("[data-pull-request]").getAttribute("href", WAIT), pullURL);
  });
}
