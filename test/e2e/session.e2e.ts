/**
 * Issue 4's scenario in real browsers against the real stack (wrangler dev + the local agent host running
 * Claude Code, its gateway answering as the offline model): three people watch and steer one session.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import type { Browser } from "playwright-core";
import { axeViolations } from "./a11y.ts";
import { accessSteps } from "./access.steps.ts";
import { shareSteps } from "./share.steps.ts";
import { scheduleSteps } from "./schedule.steps.ts";
import { gitSteps } from "./git.steps.ts";
import { modelSteps } from "./model.steps.ts";
import { steerSteps } from "./steer.steps.ts";
import { transcriptSteps } from "./transcript.steps.ts";
import { steeringSteps } from "./steering.steps.ts";
import { mcpSteps } from "./mcp.steps.ts";
import { inboxSteps } from "./inbox.steps.ts";
import { shellSteps } from "./shell.steps.ts";
import { tourSteps } from "./tour.steps.ts";
import { createWorkspace, launch, person, socketSwitch, type Person, type SocketSwitch } from "./browser.ts";
import { createTrigger, deliver, pageText, setSecret } from "./integrations.ts";
import { startStack, type Stack } from "./stack.ts";
import { agentSaid, confirmWith, it, phaseIs, send, SHOTS, transcript, WAIT, type Cast } from "./story.ts";

const run = Date.now().toString(36).slice(-5);

let stack: Stack;
let browser: Browser;
let alice: Person;
let bob: Person;
let carol: Person;
let carolNetwork: SocketSwitch;
let sessionURL = "";
let workspaceURL = "";

const all = () => [alice, bob, carol];
const cast = (): Cast => ({ run, stack, browser, alice, bob, carol, carolNetwork, workspaceURL, sessionURL });

describe("a session watched and steered by three people", { timeout: 600_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await launch();
    alice = await person(browser, stack.baseURL, `Alice ${run}`);
    bob = await person(browser, stack.baseURL, `Bob ${run}`);
    carol = await person(browser, stack.baseURL, `Carol ${run}`, { colorScheme: "dark" });
    carolNetwork = await socketSwitch(carol.context);
  });

  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  it("A creates a workspace, adds B as editor and C as viewer, and starts a session", async () => {
    const page = alice.page;
    workspaceURL = await createWorkspace(page, `E2E ${run}`, [
      [bob, "editor"],
      [carol, "viewer"],
    ]);
    await page.getByRole("button", { name: "New session" }).click();
    // The prompt comes first, focused; the settings beyond repositories, workflow and model are under Advanced.
    await page.locator("#ns-prompt:focus").waitFor(WAIT);
    await page.locator("details.advanced summary").click();
    // The dialog enforces the bounds before the API sees them.
    await page.getByLabel(/Max tokens/).fill("99");
    await page.getByRole("button", { name: "Create session" }).click();
    await page.locator("#ns-maxTokens-error").waitFor();
    await page.screenshot({ path: path.join(SHOTS, "new-session-dialog.png") });
    await page.getByLabel(/Max tokens/).fill("4000");
    await page.getByLabel(/Timeout/).fill("900");
    await page.getByLabel("Display name", { exact: false }).fill(`e2e-${run}`);
    await page.getByRole("button", { name: "Create session" }).click();
    await page.waitForURL(/\/s\/[^/]+$/);
    sessionURL = new URL(page.url()).pathname;
    await phaseIs(page, "Running");
  });

  it("B and C open it; everyone sees who is watching", async () => {
    await bob.page.goto(sessionURL);
    await carol.page.goto(sessionURL);
    for (const p of all()) await phaseIs(p.page, "Running");
    // A was there first, so A's awareness has both late joiners.
    for (const p of [bob, carol]) await alice.page.locator(`[data-peer="${p.name}"]`).waitFor(WAIT);
  });

  it("A's message and the agent's streamed reply appear for all three", async () => {
    await send(alice.page, "hello from Alice");
    for (const p of all()) {
      await transcript(p.page)
        .locator('article[data-role="user"]', { hasText: "hello from Alice" })
        .waitFor(WAIT);
      await transcript(p.page)
        .locator('article[data-role="user"]', { hasText: alice.name })
        .first()
        .waitFor(WAIT);
      await agentSaid(p.page, "hello from Alice").waitFor(WAIT);
    }
  });

  shareSteps(cast);

  it("C, a viewer, cannot send and sees no operation buttons", async () => {
    const page = carol.page;
    assert.equal(await page.locator("#composer-text").count(), 0);
    await page.getByRole("note").filter({ hasText: "viewer" }).waitFor();
    for (const name of ["Stop", "Resume", "Clone", "Delete", "Rename session"]) {
      assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, `viewer sees ${name}`);
    }
  });

  it("a non-member sees neither the session nor its transcript", async () => {
    const dan = await person(browser, stack.baseURL, `Dan ${run}`);
    await dan.page.goto(sessionURL);
    await dan.page.getByText("This session does not exist, or you are not a member").waitFor(WAIT);
    assert.equal(await dan.page.locator("section.transcript").count(), 0);
    await dan.context.close();
  });

  it("A sees B typing", async () => {
    await bob.page.locator("#composer-text").pressSequentially("hm");
    await alice.page.locator(".typing", { hasText: `${bob.name} is typing` }).waitFor(WAIT);
    await bob.page.locator("#composer-text").fill("");
    await bob.page.locator("#composer-text").blur();
    await alice.page.locator(".typing", { hasText: "typing" }).waitFor({ state: "detached", ...WAIT });
  });

  it("B interrupts while the agent runs `/run sleep 2`", async () => {
    await send(bob.page, "/run sleep 2");
    const tool = bob.page.locator('[data-tool="Bash"]', { hasText: "sleep 2" });
    await tool.locator(".status", { hasText: "running" }).waitFor(WAIT);
    await send(bob.page, "interrupt: use the main branch");
    // Queued until the agent reads it after the tool call, then read in the same turn.
    const queued = carol.page.locator("article.queued", { hasText: "interrupt: use the main branch" });
    await queued.waitFor(WAIT);
    await queued.waitFor({ state: "detached", ...WAIT });
    for (const p of all()) {
      await p.page.locator('[data-tool="Bash"] .status', { hasText: "done" }).waitFor(WAIT);
      await agentSaid(p.page, "interrupt: use the main branch").waitFor(WAIT);
    }
  });

  it("Claude Code's Bash call shows as a terminal: its command and how long it ran", async () => {
    const tool = carol.page.locator('[data-tool="Bash"]', { hasText: "sleep 2" }).first();
    await tool.locator(".terminal .command", { hasText: "sleep 2" }).waitFor(WAIT);
    assert.match((await tool.locator(".dur").textContent()) ?? "", /^\d+\.\d s$/);
  });

  transcriptSteps(cast);

  it("`/ask` puts the session in waiting_input and B's answer resumes it", async () => {
    await send(alice.page, "/ask Which branch should I use?");
    for (const p of all()) {
      await p.page.locator('[data-agent-status="waiting_input"]').waitFor(WAIT);
      await p.page.locator(".question.waiting", { hasText: "Which branch should I use?" }).waitFor(WAIT);
    }
    await send(bob.page, "release-2");
    for (const p of all()) {
      await agentSaid(p.page, "release-2").waitFor(WAIT);
      await p.page.locator(".question.waiting").waitFor({ state: "detached", ...WAIT });
    }
  });

  it("a transcript containing <img onerror> renders as text", async () => {
    const evil = '<img src=x onerror="window.__xss=1">';
    await send(alice.page, evil);
    for (const p of all()) {
      await agentSaid(p.page, evil).waitFor(WAIT);
      assert.equal(await transcript(p.page).locator("img").count(), 0);
      assert.equal(await p.page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    }
  });

  it("C, a viewer, exports the transcript as Markdown", async () => {
    await carol.page.getByRole("button", { name: "Export" }).click();
    const link = carol.page.getByRole("menuitem", { name: "Markdown" });
    await link.waitFor(WAIT);
    const [download] = await Promise.all([carol.page.waitForEvent("download"), link.click()]);
    const file = await download.path();
    const text = readFileSync(file, "utf8");
    assert.match(text, /hello from Alice/);
    assert.match(text, /interrupt: use the main branch/);
  });

  steeringSteps(cast);

  it("takes screenshots of the session view at desktop and phone width", async () => {
    await alice.page.screenshot({ path: path.join(SHOTS, "session-desktop.png") });
    await carol.page.screenshot({ path: path.join(SHOTS, "session-viewer-dark-desktop.png") });
    const phone = await bob.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(sessionURL);
    await agentSaid(phone, "release-2").waitFor(WAIT);
    await phone.screenshot({ path: path.join(SHOTS, "session-phone.png") });
    await phone.screenshot({ path: path.join(SHOTS, "session-phone-full.png"), fullPage: true });
    await phone.close();
  });

  it("has no serious accessibility violations, light and dark, desktop and phone", async () => {
    for (const page of [alice.page, carol.page]) {
      const found = await axeViolations(page);
      assert.deepEqual(found, [], JSON.stringify(found, null, 2));
    }
    const phone = await carol.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(sessionURL);
    await agentSaid(phone, "release-2").waitFor(WAIT);
    const found = await axeViolations(phone);
    await phone.close();
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));
  });

  it("a dropped connection shows as reconnecting and catches up", async () => {
    await carolNetwork.drop();
    await carol.page.locator('[data-connection="reconnecting"]').waitFor(WAIT);
    await send(alice.page, "said while Carol was away");
    carolNetwork.restore();
    await carol.page.locator("[data-connection]").waitFor({ state: "detached", ...WAIT });
    await agentSaid(carol.page, "said while Carol was away").waitFor(WAIT);
  });

  it("A stops it and all three see Stopped", async () => {
    await alice.page.getByRole("button", { name: "Stop", exact: true }).click();
    for (const p of all()) await phaseIs(p.page, "Stopped");
    await bob.page.getByRole("button", { name: "Resume", exact: true }).waitFor();
    assert.equal(await bob.page.locator("#composer-text").isDisabled(), true);
  });

  it("B resumes it with its history, and the list shows phases live", async () => {
    await alice.page.goto(workspaceURL);
    const row = alice.page.locator("tr", { hasText: `e2e-${run}` });
    await row.locator('[data-phase="Stopped"]').waitFor(WAIT);
    await bob.page.getByRole("button", { name: "Resume", exact: true }).click();
    for (const p of all().slice(1)) await phaseIs(p.page, "Running");
    await row.locator('[data-phase="Running"]').waitFor(WAIT);
    await send(bob.page, "still there?");
    await agentSaid(carol.page, "still there?").waitFor(WAIT);
    assert.ok((await transcript(carol.page).locator("article", { hasText: "hello from Alice" }).count()) > 0);
    await bob.page.getByRole("button", { name: "Stop", exact: true }).click();
    await row.locator('[data-phase="Stopped"]').waitFor(WAIT);
    await alice.page.screenshot({ path: path.join(SHOTS, "workspace-sessions.png") });
    const found = await axeViolations(alice.page);
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));
  });

  it("A clones it from the list and deletes the clone after confirming", async () => {
    const page = alice.page;
    await page
      .locator("tr", { hasText: `e2e-${run}` })
      .getByRole("button", { name: /^Clone/ })
      .click();
    await page.waitForURL(/\/s\/[^/]+$/);
    assert.notEqual(new URL(page.url()).pathname, sessionURL);
    await page.waitForFunction(
      () => (document.querySelector("header.head h1")?.textContent?.trim() ?? "…") !== "…",
    );
    const cloneName = (await page.locator("header.head h1").textContent())?.trim() ?? "";
    await page.goto(workspaceURL);
    const clone = page.locator("tr", { hasText: cloneName });
    await clone.waitFor(WAIT);
    await clone.getByRole("button", { name: /^Delete/ }).click();
    await confirmWith(page, "Delete");
    await clone.waitFor({ state: "detached", ...WAIT });
    await page.locator("tr", { hasText: `e2e-${run}` }).waitFor();
  });

  it("A sets a secret and creates a trigger; a signed webhook starts a session shown with its delivery", async () => {
    const page = alice.page;
    const value = `ghp_e2e_${run}_never_shown`;
    await page.goto(workspaceURL);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Secrets" }).click();
    await setSecret(page, "GITHUB_TOKEN", value);
    assert.ok(!(await pageText(page)).includes(value), "the secret's value is still in the page");

    await page.goto(workspaceURL);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Triggers" }).click();
    const trigger = await createTrigger(page, `issues ${run}`, { event: "issues", action: "opened" });
    assert.match(trigger.secret, /\S{16,}/);
    assert.ok(
      trigger.curl.includes(trigger.secret) && trigger.curl.includes(trigger.webhookUrl),
      trigger.curl,
    );
    assert.match(trigger.curl, /X-Hub-Signature-256: sha256=\$sig/);
    await page.screenshot({ path: path.join(SHOTS, "trigger-created.png") });
    await page.getByRole("button", { name: "I have copied the secret" }).click();
    await page.reload();
    await page.locator(`tr[data-trigger="${trigger.id}"]`).waitFor(WAIT);
    assert.ok(
      !(await pageText(page)).includes(trigger.secret),
      "the trigger's secret is shown a second time",
    );

    const sent = await deliver(trigger.webhookUrl, trigger.secret, {
      action: "opened",
      issue: { title: `Example ${run}`, number: 7 },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await page.getByRole("button", { name: `Deliveries of issues ${run}` }).click();
    const row = page.locator(`tr[data-delivery="${sent.deliveryId}"]`);
    await row.locator('[data-status="accepted"]').waitFor(WAIT);
    await page.screenshot({ path: path.join(SHOTS, "triggers.png"), fullPage: true });
    const found = await axeViolations(page);
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));

    await row.getByRole("link", { name: /Open session/ }).click();
    await page.waitForURL(`**/s/${sent.body.sessionId}`);
    await page
      .locator("header.head [data-origin]", {
        hasText: `Started by trigger issues ${run} (delivery ${sent.deliveryId})`,
      })
      .waitFor(WAIT);
    // Payload text arrives quoted: data for the agent, not instructions.
    await transcript(page)
      .locator('article[data-role="user"]', { hasText: `Look at issue "Example ${run}" (7)` })
      .waitFor(WAIT);
  });

  it("a trigger that requires approval starts a session that waits until B approves it", async () => {
    const page = alice.page;
    await page.goto(workspaceURL);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Triggers" }).click();
    const trigger = await createTrigger(
      page,
      `approved ${run}`,
      { event: "issues", action: "opened" },
      { requireApproval: true },
    );
    await page.getByRole("button", { name: "I have copied the secret" }).click();
    const sent = await deliver(trigger.webhookUrl, trigger.secret, {
      action: "opened",
      issue: { title: `Needs a look ${run}`, number: 8 },
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));

    const b = bob.page;
    await b.goto(workspaceURL);
    const row = b.locator(`tr[data-session="${sent.body.sessionId}"]`);
    await row
      .locator('[data-phase="Pending"][data-awaiting-approval]', { hasText: "awaiting approval" })
      .waitFor(WAIT);
    await row.getByRole("link", { name: /^Open/ }).click();
    await b.waitForURL(`**/s/${sent.body.sessionId}`);
    // Everyone sees that it waits; only owners and editors can approve it.
    await carol.page.goto(new URL(b.url()).pathname);
    const waiting = carol.page.locator('[data-notice="approval"]');
    await waiting.getByText("an owner or editor of the workspace approves it").waitFor(WAIT);
    assert.equal(await waiting.getByRole("button", { name: "Approve" }).count(), 0);
    assert.match(
      (await b.locator("#composer-text").getAttribute("placeholder")) ?? "",
      /waits for an owner or editor to approve it/,
    );
    await b.getByRole("button", { name: "Approve", exact: true }).waitFor(WAIT);
    await b.screenshot({ path: path.join(SHOTS, "session-awaiting-approval.png") });
    await b.getByRole("button", { name: "Approve", exact: true }).click();
    await b.getByRole("button", { name: "Approve", exact: true }).waitFor({ state: "detached", ...WAIT });
    // A trigger's session finishes on its own: once the agent has answered the delivery, it is Completed.
    for (const page of [b, carol.page]) {
      await phaseIs(page, "Completed");
      await page.locator('[data-notice="completed"]', { hasText: "finished on its own" }).waitFor(WAIT);
    }
    await carol.page.locator("dd[data-interactive=false]", { hasText: "on its own" }).waitFor(WAIT);
    await b.getByRole("button", { name: "Resume", exact: true }).waitFor(WAIT);
    assert.equal(await b.getByRole("button", { name: "Resume", exact: true }).isEnabled(), true);
  });

  scheduleSteps(cast);
  accessSteps(cast);
  gitSteps(cast);
  modelSteps(cast);
  steerSteps(cast);
  mcpSteps(cast);
  inboxSteps(cast);
  shellSteps(cast);
  tourSteps(cast);
});
