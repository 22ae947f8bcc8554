/** Debian's chromium driven by playwright-core: one browser, one context per person. */
import { type Browser, chromium, type BrowserContext, type Page, type WebSocketRoute } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launch(): Promise<Browser> {
  // launch() gives every run a fresh temporary user-data-dir.
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export interface Person {
  name: string;
  /** The email the person signed in as: how an owner adds them to a workspace. */
  email: string;
  context: BrowserContext;
  page: Page;
}

export async function person(
  browser: Browser,
  baseURL: string,
  name: string,
  opts: {
    colorScheme?: "light" | "dark";
    viewport?: { width: number; height: number };
    initScript?: () => void;
  } = {},
): Promise<Person> {
  const context = await browser.newContext({
    baseURL,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    colorScheme: opts.colorScheme ?? "light",
  });
  context.setDefaultTimeout(30_000);
  if (opts.initScript) await context.addInitScript(opts.initScript);
  const page = await context.newPage();
  page.on("pageerror", (err) => console.error(`[${name} page error]`, err.message));
  watch(name, context);
  try {
    await page.goto("/");
    await page.getByLabel("Your name").fill(name);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Workspaces" }).waitFor();
  } catch (err) {
    const shown = await page
      .locator("body")
      .innerText({ timeout: 2_000 })
      .catch(() => "(no body)");
    console.error(`[${name}] could not sign in at ${page.url()}; the page shows: ${shown.slice(0, 500)}`);
    for (const line of watched.get(name)?.recent ?? []) console.error(`[${name}]   ${line}`);
    throw err;
  }
  const me = (await (await page.request.get("/api/me")).json()) as { user: { email: string } };
  return { name, email: me.user.email, context, page };
}

/**
 * What each person's pages said lately (console errors, API answers of 400 and up, failed requests): a
 * failed story step prints it with a screenshot of every page, so a CI log says why a wait ran out.
 */
export const watched = new Map<string, { context: BrowserContext; recent: string[] }>();

function watch(name: string, context: BrowserContext) {
  const recent: string[] = [];
  const note = (line: string) => {
    recent.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (recent.length > 30) recent.shift();
  };
  context.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") note(`console ${msg.type()}: ${msg.text()}`);
  });
  context.on("response", (res) => {
    if (res.status() >= 400) note(`${res.request().method()} ${res.url()} → ${res.status()}`);
  });
  context.on("requestfailed", (req) =>
    note(`${req.method()} ${req.url()} failed: ${req.failure()?.errorText}`),
  );
  watched.set(name, { context, recent });
}

export interface SocketSwitch {
  /** Closes the context's session sockets from the server's side and refuses new ones, like a network drop. */
  drop(): Promise<void>;
  restore(): void;
  /** Closes the open session sockets from the server's side with this close code, as the SessionRoom does. */
  closeAll(code: number, reason: string): Promise<void>;
}

/** Routes a context's session WebSockets through the test, so it can cut them. Call before opening pages. */
export async function socketSwitch(context: BrowserContext): Promise<SocketSwitch> {
  let down = false;
  const open = new Set<WebSocketRoute>();
  await context.routeWebSocket(/\/parties\//, (ws) => {
    if (down) return void ws.close({ code: 4000, reason: "test: offline" });
    open.add(ws);
    // With no handlers of its own, the route passes every message through both ways.
    ws.connectToServer();
    ws.onClose(() => open.delete(ws));
  });
  const closeAll = async (code: number, reason: string) => {
    for (const ws of [...open]) await ws.close({ code, reason });
  };
  return {
    async drop() {
      down = true;
      await closeAll(4000, "test: offline");
    },
    restore() {
      down = false;
    },
    closeAll,
  };
}

/** Through the UI, from the workspace list: a new workspace with these members; returns its path. */
export async function createWorkspace(
  page: Page,
  name: string,
  members: [Pick<Person, "name" | "email">, "owner" | "editor" | "viewer"][],
): Promise<string> {
  await page.getByLabel("Name").fill(name);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.waitForURL(/\/w\/[^/]+$/);
  const workspaceURL = new URL(page.url()).pathname;
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Members" }).click();
  for (const [who, role] of members) {
    await page.getByLabel("Email", { exact: true }).fill(who.email);
    await page.getByLabel("Role", { exact: true }).selectOption(role);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    // An invitation until the person comes (their first visit to the workspace makes them a member).
    await page.getByRole("cell", { name: who.email.toLowerCase(), exact: true }).waitFor();
  }
  await page.goto(workspaceURL);
  return workspaceURL;
}
