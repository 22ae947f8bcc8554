/**
 * The workspace shell in the browser: the navigation with the current page marked and one page width, the
 * phone's menu, the workspace switcher; the user menu's API tokens (created, used by a real API call, revoked
 * through the confirm dialog), theme and Sign out; and the keyboard (⌘K, c, /, ?).
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { axeViolations } from "./a11y.ts";
import { createWorkspace, person } from "./browser.ts";
import { pageText } from "./integrations.ts";
import { confirmWith, it, WAIT, type Cast } from "./story.ts";

const nav = (page: Page) => page.getByRole("navigation", { name: "Workspace" });
const userMenu = (page: Page, name: string) => page.locator("[data-user-menu]").filter({ hasText: name });

/** The workspace pages a person reaches from the shell, each with its `main.page`. */
const PAGES = [
  "members",
  "secrets",
  "usage",
  "schedules",
  "triggers",
  "workflows",
  "environment",
  "mcp",
  "settings",
];

async function asBearer(baseURL: string, token: string) {
  const res = await fetch(`${baseURL}/api/me`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { user?: { email: string } } };
}

export function shellSteps(cast: () => Cast) {
  it("A finds every workspace page in the navigation, the current one marked, all at one width", async () => {
    const { alice, workspaceURL } = cast();
    const page = alice.page;
    await page.goto(`${workspaceURL}/members`);
    await nav(page).getByRole("link", { name: "Members" }).waitFor(WAIT);
    assert.equal(await nav(page).getByRole("link", { name: "Members" }).getAttribute("aria-current"), "page");
    assert.equal(await nav(page).locator('[aria-current="page"]').count(), 1);

    const widths = new Map<string, string>();
    for (const name of PAGES) {
      await page.goto(`${workspaceURL}/${name}`);
      const main = page.locator("main.page");
      await main.waitFor(WAIT);
      const box = await main.evaluate((el) => {
        const style = getComputedStyle(el);
        return { maxWidth: style.maxWidth, marginLeft: style.marginLeft, marginRight: style.marginRight };
      });
      // The usage page had no container: content against the edge, no maximum width.
      assert.notEqual(box.maxWidth, "none", `${name} has no maximum width`);
      assert.equal(box.marginLeft, box.marginRight, `${name} is not centred`);
      widths.set(name, box.maxWidth);
    }
    assert.equal(new Set(widths.values()).size, 1, JSON.stringify(Object.fromEntries(widths)));

    // Every variable the pages use is defined (--mono and --link were used and never defined).
    const vars = await page.evaluate(() =>
      ["--mono", "--link", "--reading-width", "--warn-bg", "--warn-fg", "--danger", "--ok"].map((v) => [
        v,
        getComputedStyle(document.documentElement).getPropertyValue(v).trim(),
      ]),
    );
    for (const [name, value] of vars) assert.ok(value, `${name} is not defined`);

    // A failed load says why and offers to try again (one component on every page).
    await page.route(
      "**/api/workspaces/*/members",
      (route) =>
        route.fulfill({
          status: 503,
          contentType: "application/json",
          body: JSON.stringify({ error: { code: "unavailable", message: "The server is busy" } }),
        }),
      { times: 1 },
    );
    await page.goto(`${workspaceURL}/members`);
    const failed = page.locator("[data-load-error]", { hasText: "The server is busy" });
    await failed.getByRole("button", { name: "Try again" }).click();
    await failed.waitFor({ state: "detached", ...WAIT });
    await page.getByRole("table", { name: "Members" }).waitFor(WAIT);

    // The switcher lists the person's workspaces.
    await page.locator("[data-workspace-switcher]").click();
    await page.getByRole("menuitem", { name: "All workspaces" }).waitFor(WAIT);
    await page.keyboard.press("Escape");
  });

  it("on a phone the navigation folds behind a menu button", async () => {
    const { alice, workspaceURL } = cast();
    const phone = await alice.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${workspaceURL}/members`);
      const menu = phone.getByRole("button", { name: "Menu", exact: true });
      await menu.waitFor(WAIT);
      assert.equal(await nav(phone).getByRole("link", { name: "Usage" }).isVisible(), false);
      await menu.click();
      assert.equal(
        await phone.getByRole("button", { name: "Close menu" }).getAttribute("aria-expanded"),
        "true",
      );
      await nav(phone).getByRole("link", { name: "Usage" }).click();
      await phone.waitForURL(`**${workspaceURL}/usage`);
      await phone.getByRole("heading", { name: "Usage", level: 1 }).waitFor(WAIT);
      assert.equal(await nav(phone).getByRole("link", { name: "Usage" }).isVisible(), false);
    } finally {
      await phone.close();
    }
  });

  it("A creates an API token, a script uses it, and once revoked through the confirm dialog it gets 401", async () => {
    const { alice, run, stack } = cast();
    const page = alice.page;
    await userMenu(page, alice.name).click();
    await page.getByRole("menuitem", { name: "API tokens" }).click();
    await page.waitForURL("**/tokens");
    await page.getByLabel("Token name").fill(`cli ${run}`);
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = (await page.locator("[data-created-token] [data-secret]").textContent())?.trim() ?? "";
    assert.match(secret, /\S{20,}/);

    const used = await asBearer(stack.baseURL, secret);
    assert.equal(used.status, 200);
    assert.equal(used.body.user?.email, alice.email);

    // Shown once: after a reload the page no longer has it, and the list says it was used.
    await page.reload();
    const row = page.locator("tr", { hasText: `cli ${run}` });
    await row.waitFor(WAIT);
    assert.ok(!(await pageText(page)).includes(secret), "the token is shown a second time");
    assert.notEqual((await row.locator("[data-last-used]").textContent())?.trim(), "never");
    const found = await axeViolations(page, { bestPractice: true });
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));

    await row.getByRole("button", { name: `Revoke cli ${run}` }).click();
    await confirmWith(page, "Revoke");
    await page.locator("[data-toast]", { hasText: `cli ${run}` }).waitFor(WAIT);
    await row.waitFor({ state: "detached", ...WAIT });
    assert.equal((await asBearer(stack.baseURL, secret)).status, 401);
  });

  it("A picks the dark theme in the user menu; it stays after a reload, and System hands it back", async () => {
    const { alice } = cast();
    const page = alice.page;
    const background = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await background();
    await userMenu(page, alice.name).click();
    await page.getByRole("menuitemradio", { name: "Dark" }).click();
    await page.locator('html[data-theme="dark"]').waitFor({ state: "attached" });
    await page.keyboard.press("Escape");
    assert.notEqual(await background(), light);
    await page.reload();
    await page.locator('html[data-theme="dark"]').waitFor({ state: "attached", ...WAIT });
    await userMenu(page, alice.name).click();
    await page.getByRole("menuitemradio", { name: "System" }).click();
    await page.keyboard.press("Escape");
    assert.equal(await page.locator("html[data-theme]").count(), 0);
    assert.equal(await background(), light);
  });

  it("the keyboard: ⌘K opens a session, c starts a new one, / finds the search, ? lists the keys", async () => {
    const { alice, run, workspaceURL, sessionURL } = cast();
    const page = alice.page;
    await page.goto(`${workspaceURL}/members`);
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor(WAIT);

    await page.keyboard.press("Control+k");
    const palette = page.locator("[data-palette]");
    await palette.waitFor(WAIT);
    await palette.getByRole("option", { name: new RegExp(`e2e-${run}`) }).waitFor(WAIT);
    await page.keyboard.type(`e2e-${run}`);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**${sessionURL}`);

    await page.goto(`${workspaceURL}/members`);
    await page.getByRole("heading", { name: "Members", level: 1 }).waitFor(WAIT);
    await page.keyboard.press("?");
    const help = page.locator("[data-keyboard-help]");
    await help.getByText("Open the command palette").waitFor(WAIT);
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "detached", ...WAIT });

    // Keys typed in a field stay in the field.
    const email = page.getByLabel("Email", { exact: true });
    await email.click();
    await page.keyboard.type("c/");
    assert.equal(await email.inputValue(), "c/");
    assert.ok(page.url().endsWith(`${workspaceURL}/members`), page.url());
    await email.fill("");
    await email.blur();

    // `/` focuses the page's search field (the session list has one; here a field marked the same way).
    await page.evaluate(() => {
      const search = document.createElement("input");
      search.setAttribute("data-search", "");
      search.setAttribute("aria-label", "Search");
      document.querySelector("main")?.prepend(search);
    });
    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement?.hasAttribute("data-search")), true);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

    // `c` goes to the session list asking for the New Session dialog.
    await page.keyboard.press("c");
    await page.waitForFunction(
      (list) =>
        location.pathname === list &&
        (location.search.includes("new=1") || document.querySelector("dialog[open]") !== null),
      workspaceURL,
    );
  });

  it("the palette offers what the person's role allows: C, a viewer, gets no New session, Secrets or Triggers; A does", async () => {
    const { alice, carol, run } = cast();
    await alice.page.goto("/");
    const workspaceURL = await createWorkspace(alice.page, `Palette ${run}`, [[carol, "viewer"]]);
    // C's invitation becomes a membership when C's workspace list is next read.
    await carol.page.goto("/");
    await carol.page.getByRole("link", { name: `Palette ${run}` }).waitFor(WAIT);
    const offered = async (page: Page) => {
      await page.goto(`${workspaceURL}/members`);
      await page.getByRole("heading", { name: "Members", level: 1 }).waitFor(WAIT);
      await page.keyboard.press("Control+k");
      const palette = page.locator("[data-palette]");
      // The workspaces list (which says the role) has answered once this workspace is offered.
      await palette.getByRole("option", { name: `Palette ${run}`, exact: true }).waitFor(WAIT);
      const names = (await palette.getByRole("option").allInnerTexts()).map((t) =>
        t.replace(/\s+/g, " ").trim(),
      );
      await page.keyboard.press("Escape");
      await palette.waitFor({ state: "detached", ...WAIT });
      return names;
    };
    const refused = ["New session c", "Secrets", "Triggers", "Environment"];
    const viewer = await offered(carol.page);
    for (const name of refused) assert.ok(!viewer.includes(name), `a viewer is offered ${name}: ${viewer}`);
    assert.ok(viewer.includes("Members") && viewer.includes("Usage"), viewer.join(", "));
    const owner = await offered(alice.page);
    for (const name of refused) assert.ok(owner.includes(name), `an owner is not offered ${name}: ${owner}`);
  });

  it("A reads the API reference: the served document's real routes by tag, the raw JSON a link away", async () => {
    const { alice } = cast();
    const page = alice.page;
    await userMenu(page, alice.name).click();
    await page.getByRole("menuitem", { name: "API reference" }).click();
    await page.waitForURL("**/docs");
    await page.getByRole("heading", { name: "API reference", level: 1 }).waitFor(WAIT);
    const create = page.locator(
      '[data-api-group="Sessions"] [data-operation="POST /api/workspaces/{ws}/sessions"]',
    );
    await create.getByText("Create a session").waitFor(WAIT);
    await create.getByText("Who: owner, editor").waitFor();
    await create.locator("summary", { hasText: "CreateSession" }).click();
    await create.locator("li", { hasText: "prompt" }).first().waitFor();
    await create.locator('[data-status="201"]', { hasText: "session: Session" }).waitFor();
    // Every path the served document has is on the page, under one of the contents' sections.
    const raw = page.locator("[data-raw-openapi]");
    const served = (await (
      await page.request.get(new URL((await raw.getAttribute("href")) ?? "", page.url()).href)
    ).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(served.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    assert.ok(operations.length > 40, `${operations.length} operations`);
    const shown = await page
      .locator("[data-operation]")
      .evaluateAll((els) => els.map((el) => el.getAttribute("data-operation")));
    assert.deepEqual([...shown].sort(), [...operations].sort());
    await page
      .getByRole("navigation", { name: "API sections" })
      .getByRole("link", { name: "Secrets" })
      .click();
    assert.ok(page.url().endsWith("#tag-secrets"), page.url());
    const found = await axeViolations(page, { bestPractice: true });
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));
  });

  it("a person signs out from the user menu and is asked to sign in again", async () => {
    const { browser, run, stack } = cast();
    const erin = await person(browser, stack.baseURL, `Erin ${run}`);
    try {
      await userMenu(erin.page, erin.name).click();
      await erin.page.getByRole("menuitem", { name: "Sign out" }).click();
      await erin.page.getByRole("button", { name: "Sign in" }).waitFor(WAIT);
      assert.equal((await erin.page.request.get("/api/me")).status(), 401);
    } finally {
      await erin.context.close();
    }
  });
}
