/**
 * The story's later steps: the app's Content-Security-Policy, workspace settings, a session that finishes on
 * its own, and live views that end for good (session deleted, access removed, sign-in expired) while a
 * role change keeps one going.
 */
import assert from "node:assert/strict";
import path from "node:path";
import type { Page } from "playwright-core";
import { axeViolations } from "./a11y.ts";
import { socketSwitch } from "./browser.ts";
import {
  agentSaid,
  confirmWith,
  it,
  MAX_RECONNECT_DELAY_MS,
  phaseIs,
  SHOTS,
  socketsOpened,
  WAIT,
  type Cast,
} from "./story.ts";

/** Adds a script element and an inline handler to the page; says whether either ran and which directives refused them. */
function injectInlineScript(): Promise<{ ran: string[]; refused: string[] }> {
  return new Promise((resolve) => {
    const w = window as unknown as { __injected?: boolean; __handler?: boolean };
    const refused: string[] = [];
    document.addEventListener("securitypolicyviolation", (e) => refused.push(e.effectiveDirective));
    const script = document.createElement("script");
    script.textContent = "window.__injected = true";
    document.body.append(script);
    const holder = document.createElement("div");
    holder.innerHTML = '<img src="/no-such-image.png" onerror="window.__handler = true">';
    document.body.append(holder);
    setTimeout(() => {
      const ran = [w.__injected && "script", w.__handler && "handler"].filter(
        (x): x is string => typeof x === "string",
      );
      resolve({ ran, refused: [...new Set(refused)].sort() });
    }, 500);
  });
}

/** The ended view opens no socket again: its timers are run past twice the longest reconnect delay. */
async function noNewSockets(count: () => Promise<number>, page: Page): Promise<void> {
  const before = await count();
  assert.ok(before > 0, "no session socket was seen: the counter cannot tell");
  await page.clock.runFor(2 * MAX_RECONNECT_DELAY_MS);
  assert.equal(await count(), before, "the ended live view opened another socket");
}

export function accessSteps(cast: () => Cast) {
  let onceURL = "";

  it("the app's Content-Security-Policy refuses injected inline script, and no page can frame the app", async () => {
    const { alice, workspaceURL, stack } = cast();
    const page = alice.page;
    const response = await page.goto(workspaceURL);
    assert.match(response?.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/);
    const policy =
      (await page.locator('meta[http-equiv="content-security-policy"]').getAttribute("content")) ?? "";
    assert.match(policy, /script-src 'self' 'sha256-[^']+'(;|$)/);
    assert.match(policy, /object-src 'none'/);
    assert.match(policy, /connect-src 'self'/);
    await page.getByRole("heading", { level: 1 }).waitFor(WAIT);
    assert.deepEqual(await page.evaluate(injectInlineScript), {
      ran: [],
      refused: ["script-src-attr", "script-src-elem"],
    });

    // Without the policy the same injection runs: the check above can fail.
    const bare = await page.context().newPage();
    await bare.goto(`${stack.baseURL}/api/openapi.json`);
    assert.deepEqual((await bare.evaluate(injectInlineScript)).ran, ["script", "handler"]);
    // A page that frames the app gets an empty frame, never the app.
    await bare.setContent(`<iframe src="${stack.baseURL}${workspaceURL}" title="framed"></iframe>`);
    await bare.waitForTimeout(1500);
    const framed = bare.frames().find((f) => f !== bare.mainFrame());
    // The app's page carries its policy in a <meta>: a frame that loaded it would have one.
    const inFrame = framed
      ? await framed
          .evaluate(() => document.querySelector('meta[http-equiv="content-security-policy"]') !== null)
          .catch(() => false)
      : false;
    assert.equal(inFrame, false, "the app rendered inside another page's frame");
    await bare.close();
  });

  it("A sets the workspace's idle stop on its settings page; B, an editor, sees it read-only", async () => {
    const { alice, bob, workspaceURL } = cast();
    const page = alice.page;
    await page.goto(workspaceURL);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(/\/settings$/);
    const idle = page.getByLabel(/Idle stop/);
    await idle.waitFor(WAIT);
    assert.equal(await idle.inputValue(), "15");
    await idle.fill("0");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#ws-idleStopMinutes-error", { hasText: "1 to 1440" }).waitFor();
    await idle.fill("90");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved." }).waitFor(WAIT);
    const api = await page.request.get(`/api/workspaces/${workspaceURL.split("/")[2]}`);
    assert.equal(
      ((await api.json()) as { workspace: { idleStopMinutes: number } }).workspace.idleStopMinutes,
      90,
    );

    // The workspace-wide phase-change callback: its signing secret shown once, then only the URL.
    const hook = "http://127.0.0.1:9/tandem-events";
    await page.getByLabel("Callback URL").fill("ftp://example.com/x");
    await page.getByRole("button", { name: "Set callback" }).click();
    await page.locator("#callback-url-error").waitFor();
    await page.getByLabel("Callback URL").fill(hook);
    await page.getByRole("button", { name: "Set callback" }).click();
    const secret = (await page.locator("[data-callback-secret] [data-secret]").textContent())?.trim() ?? "";
    assert.match(secret, /\S{16,}/);
    await page.locator(`[data-callback-url="${hook}"]`).waitFor();
    await page.screenshot({ path: path.join(SHOTS, "workspace-settings.png"), fullPage: true });
    assert.deepEqual(await axeViolations(page), []);
    await page.reload();
    await page.locator(`[data-callback-url="${hook}"]`).waitFor(WAIT);
    assert.equal(await page.locator("[data-callback-secret]").count(), 0);
    await page.getByRole("button", { name: "Remove callback" }).click();
    await confirmWith(page, "Remove");
    await page.getByText("No callback is set.").waitFor(WAIT);

    await bob.page.goto(`${workspaceURL}/settings`);
    await bob.page.getByRole("note").filter({ hasText: "Only owners" }).waitFor(WAIT);
    await bob.page.locator('[data-idle-stop-minutes="90"]', { hasText: "1 hour 30 minutes" }).waitFor();
    assert.equal(await bob.page.getByRole("button", { name: "Save" }).count(), 0);
  });

  it("B starts a session that finishes on its own: it reaches Completed, says so, and resumes", async () => {
    const { bob, run, workspaceURL } = cast();
    const b = bob.page;
    await b.goto(workspaceURL);
    await b.getByRole("button", { name: "New session" }).click();
    // Name and finishing on its own are under the dialog's Advanced.
    await b.locator("details.advanced summary").click();
    await b.getByLabel("Display name", { exact: false }).fill(`once-${run}`);
    await b.getByLabel("Finish on its own when a turn ends with nothing queued").check();
    await b.getByLabel(/First prompt/).fill("list the open questions");
    await b.getByRole("button", { name: "Create session" }).click();
    await b.waitForURL(/\/s\/[^/]+$/);
    onceURL = new URL(b.url()).pathname;
    await agentSaid(b, "list the open questions").waitFor(WAIT);
    await phaseIs(b, "Completed");
    await b.locator('[data-notice="completed"]', { hasText: "finished on its own" }).waitFor(WAIT);
    await b.locator("dd[data-interactive=false]").waitFor(WAIT);
    assert.match(
      (await b.locator("#composer-text").getAttribute("placeholder")) ?? "",
      /Completed: resume it/,
    );
    await b.screenshot({ path: path.join(SHOTS, "session-completed.png") });
    await b.getByRole("button", { name: "Resume", exact: true }).click();
    await phaseIs(b, "Running");
  });

  it("deleting a session ends everyone's live view of it", async () => {
    const { bob, carol, workspaceURL } = cast();
    const opened = await socketsOpened(carol.page);
    await carol.page.goto(onceURL);
    await phaseIs(carol.page, "Running");
    await bob.page.getByRole("button", { name: "More actions" }).click();
    await bob.page.getByRole("menuitem", { name: "Delete" }).click();
    await confirmWith(bob.page, "Delete");
    await bob.page.waitForURL(`**${workspaceURL}`);
    const ended = carol.page.locator('[data-ended="deleted"]');
    await ended.getByRole("heading", { name: "This session was deleted" }).waitFor(WAIT);
    await ended.getByRole("link", { name: "Back to the sessions" }).waitFor();
    await noNewSockets(opened, carol.page);
  });

  it("a viewer made editor gets the composer without a reload; once removed, the live view ends for good", async () => {
    const { alice, carol, sessionURL, workspaceURL } = cast();
    const c = carol.page;
    const opened = await socketsOpened(c);
    await c.goto(sessionURL);
    await c.getByRole("note").filter({ hasText: "viewer" }).waitFor(WAIT);
    assert.equal(await c.locator("#composer-text").count(), 0);

    await alice.page.goto(`${workspaceURL}/members`);
    await alice.page.getByLabel(`Role of ${carol.name}`).selectOption("editor");
    // The room closes C's socket (4403); a fresh ticket carries the new role.
    await c.locator("#composer-text").waitFor(WAIT);
    await c.getByRole("button", { name: "Resume", exact: true }).waitFor(WAIT);

    await alice.page.getByRole("button", { name: `Remove ${carol.name}` }).click();
    await confirmWith(alice.page, "Remove");
    const ended = c.locator('[data-ended="revoked"]');
    await ended
      .getByRole("heading", { name: "Your access to this session ended" })
      .waitFor({ timeout: 10_000 });
    assert.equal(await c.locator("section.transcript").count(), 0);
    await noNewSockets(opened, c);
    await c.screenshot({ path: path.join(SHOTS, "session-access-ended.png") });
    assert.deepEqual(await axeViolations(c), []);
  });

  it("an expired sign-in ends the live view and offers to sign in again", async () => {
    const { bob, sessionURL } = cast();
    const network = await socketSwitch(bob.context);
    const b = bob.page;
    const opened = await socketsOpened(b);
    await b.goto(sessionURL);
    await phaseIs(b, "Stopped");
    await b.locator("[data-connection]").waitFor({ state: "detached", ...WAIT });
    // The SessionRoom's close at a credential's expiry (an Access JWT's exp; the dev sign-in has none).
    await network.closeAll(4401, "credential expired");
    const ended = b.locator('[data-ended="expired"]');
    await ended.getByRole("heading", { name: "Your sign-in expired" }).waitFor(WAIT);
    await noNewSockets(opened, b);
    await ended.getByRole("button", { name: "Sign in again" }).click();
    // Still signed in here (the cookie is good), so the page comes back live.
    await phaseIs(b, "Stopped");
    await b.locator("[data-connection]").waitFor({ state: "detached", ...WAIT });
  });
}
