/**
 * Schedules in the browser: B (an editor) creates one on the schedules page and sees its next run in the
 * browser's time zone; a bad cron is refused naming the minimum interval; "Run now" opens a session that
 * names the schedule as its origin and completes on its own; the run is listed; B pauses and deletes it.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { axeViolations } from "./a11y.ts";
import { confirmWith, it, phaseIs, SHOTS, WAIT, type Cast } from "./story.ts";

export function scheduleSteps(cast: () => Cast) {
  it("B schedules a session, runs it now, pauses and deletes the schedule", async () => {
    const { bob, run, workspaceURL } = cast();
    const page = bob.page;
    await page.goto(workspaceURL);
    await page
      .getByRole("navigation", { name: "Workspace" })
      .getByRole("link", { name: "Schedules" })
      .click();
    await page.getByRole("button", { name: "New schedule" }).click();
    // The dialog shows the catalog's default model, not an empty select.
    await page.waitForFunction(
      () => (document.querySelector("#sc-model") as HTMLSelectElement | null)?.value,
    );
    await page.getByLabel("Schedule name").fill(`standup ${run}`);
    await page.getByLabel("Cron").fill("* * * * *");
    await page.getByLabel("Time zone").fill("Europe/Berlin");
    await page.getByLabel("Prompt").fill(`scheduled hello ${run}`);
    await page.getByRole("button", { name: "Create schedule" }).click();
    await page.locator("#sc-cron-error", { hasText: "at least 5 minutes apart" }).waitFor(WAIT);
    await page.getByLabel("Cron").fill("0 9 * * 1-5");
    await page.locator("[data-cron-words]", { hasText: "At 09:00, Monday through Friday" }).waitFor(WAIT);
    await page.getByRole("button", { name: "Create schedule" }).click();
    const row = page.locator("tr[data-schedule]", { hasText: `standup ${run}` });
    await row.waitFor(WAIT);
    // 09:00 in Berlin, shown in the browser's zone (the test's Chromium runs in the machine's).
    await row.locator("[data-cron-words]", { hasText: "At 09:00, Monday through Friday" }).waitFor();
    const next = (await row.locator("[data-next-run]").textContent())?.trim() ?? "";
    assert.match(next, /\d/);
    await page.screenshot({ path: path.join(SHOTS, "schedules.png") });
    const found = await axeViolations(page);
    assert.deepEqual(found, [], JSON.stringify(found, null, 2));

    await row.getByRole("button", { name: `Run now: standup ${run}` }).click();
    await page.waitForURL(/\/s\/[^/]+$/);
    await page
      .locator("header.head [data-origin]", { hasText: `Started by schedule standup ${run}` })
      .waitFor(WAIT);
    await phaseIs(page, "Completed");

    await page.goBack();
    await row.getByRole("button", { name: `Runs of standup ${run}` }).click();
    await page.locator('li[data-outcome="started"]', { hasText: "run now" }).waitFor(WAIT);
    await row.getByRole("button", { name: `Pause standup ${run}` }).click();
    await row.locator("[data-next-run]", { hasText: "paused" }).waitFor(WAIT);
    await row.getByRole("button", { name: `Delete standup ${run}` }).click();
    await confirmWith(page, "Delete");
    await row.waitFor({ state: "detached", ...WAIT });
  });
}
