/**
 * Steering Claude together (issue 22), two browsers on one session against the strict fake Messages API:
 * an owner and a viewer watch an approval card appear, the viewer has no buttons, the owner denies with a
 * message and Claude's next request carries it; a plan approved in the owner's browser shows as approved in
 * the viewer's; a model switch in the settings shows in the next request the fake receives.
 */
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import path from "node:path";
import { after } from "node:test";
import type { Page } from "playwright-core";
import { createWorkspace } from "./browser.ts";
import { setSecret } from "./integrations.ts";
import { startFake } from "./model.steps.ts";
import { agentSaid, it, phaseIs, send, SHOTS, WAIT, type Cast } from "./story.ts";

interface ModelView {
  id: string;
  label: string;
  retired: boolean;
  thinking: { mode: string };
}
interface SentRequest {
  body: { model: string; messages: { content: unknown }[] };
}

const card = (page: Page, id: string) => page.locator(`[data-approval="${id}"]`);

export function steerSteps(cast: () => Cast) {
  let fake: { child: ChildProcess; url: string } | undefined;
  let sessionURL = "";
  let models: ModelView[] = [];
  after(() => void fake?.child.kill("SIGTERM"));
  const enqueue = (...responses: unknown[]) =>
    fetch(`${fake!.url}/_fake/enqueue`, { method: "POST", body: JSON.stringify(responses) });
  const sent = async () =>
    ((await (await fetch(`${fake!.url}/_fake/requests`)).json()) as { requests: SentRequest[] }).requests;

  it("A (owner) and C (viewer) watch an approval card appear; C cannot answer; A denies with a message and Claude's next request carries it", async () => {
    const { alice, carol, run } = cast();
    fake = await startFake();
    const page = alice.page;
    await page.goto("/");
    const workspaceURL = await createWorkspace(page, `Steer ${run}`, [[carol, "viewer"]]);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Secrets" }).click();
    await setSecret(page, "ANTHROPIC_API_KEY", `sk-ant-e2e-${run}-0123456789`);
    await setSecret(page, "ANTHROPIC_BASE_URL", fake.url);
    models = (
      (await page.evaluate(() => fetch("/api/models").then((r) => r.json()))) as { models: ModelView[] }
    ).models;
    const model = models.find((m) => !m.retired && m.thinking.mode !== "always");
    assert.ok(model, "the catalog has a live model that thinks only when asked");

    await enqueue(
      {
        kind: "message",
        content: [
          {
            type: "tool_use",
            id: "toolu_e2e_bash",
            name: "Bash",
            input: { command: "echo steer > steer.txt", description: "Write a file" },
          },
        ],
      },
      { kind: "message", content: [{ type: "text", text: `Understood, no file, ${run}.` }] },
    );
    const wsId = workspaceURL.split("/").pop()!;
    const created = (await page.evaluate(
      async ({ wsId, model }) =>
        (
          await fetch(`/api/workspaces/${wsId}/sessions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              model,
              permissionMode: "ask",
              displayName: "Steered",
              prompt: "make a file",
            }),
          })
        ).json(),
      { wsId, model: model.id },
    )) as { session: { id: string } };
    sessionURL = `${workspaceURL}/s/${created.session.id}`;
    await page.goto(sessionURL);
    await carol.page.goto(sessionURL);
    await phaseIs(page, "Running");
    await page.locator('[data-permission-mode="ask"]').first().waitFor(WAIT);

    for (const p of [page, carol.page])
      await card(p, "toolu_e2e_bash").locator("pre", { hasText: "echo steer > steer.txt" }).waitFor(WAIT);
    assert.equal(
      await card(carol.page, "toolu_e2e_bash").getByRole("button").count(),
      0,
      "a viewer sees the card, not its buttons",
    );
    await card(carol.page, "toolu_e2e_bash")
      .locator("[data-outcome]", { hasText: "Waiting for an owner or editor" })
      .waitFor(WAIT);
    await page.screenshot({ path: path.join(SHOTS, "approval-card.png") });
    await card(page, "toolu_e2e_bash")
      .getByLabel(/Message to Claude/)
      .fill("not in this repository");
    await card(page, "toolu_e2e_bash").getByRole("button", { name: "Deny" }).click();

    for (const p of [page, carol.page])
      await card(p, "toolu_e2e_bash")
        .locator("[data-outcome]", { hasText: `Denied by ${alice.name}: not in this repository` })
        .waitFor(WAIT);
    await agentSaid(carol.page, `Understood, no file, ${run}.`).waitFor(WAIT);
    const carried = (await sent()).some((r) =>
      JSON.stringify(r.body.messages.at(-1)).includes(
        `${alice.name} denied this tool call: not in this repository`,
      ),
    );
    assert.ok(carried, "Claude's next request carries the denial and its message");
  });

  it("a plan approved in A's browser shows as approved in C's; a model switch in the settings shows in the next request", async () => {
    const { alice, carol, run } = cast();
    const page = alice.page;
    await page.getByLabel("Permission mode").selectOption("plan");
    await carol.page.locator('[data-permission-mode="plan"]').first().waitFor(WAIT);
    await enqueue(
      {
        kind: "message",
        content: [{ type: "tool_use", id: "toolu_e2e_plan", name: "ExitPlanMode", input: {} }],
      },
      { kind: "message", content: [{ type: "text", text: `Planned, ${run}.` }] },
    );
    await send(page, "plan the fix");
    await card(carol.page, "toolu_e2e_plan").waitFor(WAIT);
    await card(page, "toolu_e2e_plan").getByLabel("Continue in").selectOption("auto");
    await card(page, "toolu_e2e_plan").getByRole("button", { name: "Approve plan" }).click();
    await card(carol.page, "toolu_e2e_plan")
      .locator("[data-outcome]", { hasText: `Approved (continues in auto) by ${alice.name}` })
      .waitFor(WAIT);
    await agentSaid(carol.page, `Planned, ${run}.`).waitFor(WAIT);

    const current =
      (await page.evaluate(() => document.querySelector("[data-model]")?.getAttribute("data-model"))) ?? "";
    const other = models.find((m) => !m.retired && m.thinking.mode !== "always" && m.id !== current);
    assert.ok(other, "the catalog has a second live model");
    await page.getByLabel("Model", { exact: true }).selectOption(other.id);
    await page.locator(`[data-model="${other.id}"]`).waitFor(WAIT);
    const before = (await sent()).length;
    // Claude Code greets the new model with a "Hi" of its own, sometimes after this is queued: the answer
    // is for the message only (twice in ~60 runs the greeting took it).
    await enqueue({
      kind: "message",
      answers: "which model now?",
      content: [{ type: "text", text: `Now on another model, ${run}.` }],
    });
    await send(page, "which model now?");
    await agentSaid(carol.page, `Now on another model, ${run}.`)
      .waitFor(WAIT)
      .catch(async (error: unknown) => {
        // A rare failure (the scripted answer taken by another request): say which requests Claude made.
        const made = (await sent())
          .slice(Math.max(0, before - 2))
          .map((r) => JSON.stringify(r.body.messages.at(-1)).slice(0, 200));
        throw new Error(
          [String(error), "the model's last requests (their last message):", ...made].join("\n"),
        );
      });
    const after = (await sent()).slice(before);
    assert.ok(
      after.length > 0 && after.every((r) => r.body.model === other.id),
      `the next request asks for ${other.id}`,
    );
  });
}
