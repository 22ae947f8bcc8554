/** The owner's integration pages driven through the UI, and a webhook delivery signed the way GitHub signs one. */
import { createHmac, randomUUID } from "node:crypto";
import type { Page } from "playwright-core";

/** Sets a workspace secret on the secrets page (already open) and waits for it to be listed. */
export async function setSecret(page: Page, name: string, value: string): Promise<void> {
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Value", { exact: true }).fill(value);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page
    .getByRole("status")
    .filter({ hasText: `${name} saved.` })
    .waitFor();
  await page.locator(`tr[data-secret-name="${name}"]`).waitFor();
}

/** Everything the page shows, including what inputs hold: a secret's value must be in none of it. */
export async function pageText(page: Page): Promise<string> {
  return await page.evaluate(
    () =>
      `${document.documentElement.outerHTML}\n${[...document.querySelectorAll("input, textarea")].map((e) => (e as HTMLInputElement).value).join("\n")}`,
  );
}

export interface CreatedTrigger {
  id: string;
  secret: string;
  webhookUrl: string;
  curl: string;
}

/** Creates a trigger with the dialog on the triggers page (already open); returns what the page shows once. */
export async function createTrigger(
  page: Page,
  name: string,
  filter: { event: string; action: string },
  options: { requireApproval?: boolean } = {},
): Promise<CreatedTrigger> {
  await page.getByRole("button", { name: "New trigger" }).click();
  await page.getByLabel("Trigger name").fill(name);
  await page.getByLabel(/^Event/).fill(filter.event);
  await page.getByLabel(/^Action/).fill(filter.action);
  if (options.requireApproval) await page.getByLabel("Require approval").check();
  await page
    .getByLabel("Prompt template")
    .fill("Look at issue {{issue.title}} ({{issue.number}}){{missing.path}}");
  await page.getByRole("button", { name: "Create trigger" }).click();
  const panel = page.locator("[data-trigger-created]");
  await panel.waitFor();
  return {
    id: (await panel.getAttribute("data-trigger-created")) ?? "",
    secret: (await panel.locator("[data-secret]").textContent())?.trim() ?? "",
    webhookUrl: (await panel.locator("[data-webhook-url]").textContent())?.trim() ?? "",
    curl: (await panel.locator("[data-curl]").textContent()) ?? "",
  };
}

/** POSTs a GitHub-style `issues` delivery signed with HMAC-SHA256 of the raw body. */
export async function deliver(url: string, secret: string, payload: unknown, deliveryId = randomUUID()) {
  const body = JSON.stringify(payload);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as { sessionId?: string; url?: string }, deliveryId };
}
