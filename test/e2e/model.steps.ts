/**
 * A session on the Messages API from the browser: a workspace's own key and base URL point its sessions at
 * the strict fake Messages API (test/fakes/anthropic.ts, in a process of its own), which refuses what the
 * real API refuses. The New Session dialog shows the chosen model's capabilities, locks thinking on for a
 * model that always thinks and offers its efforts; the effort reaches the API, no temperature does.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { after } from "node:test";
import { createWorkspace } from "./browser.ts";
import { setSecret } from "./integrations.ts";
import { agentSaid, it, phaseIs, SHOTS, WAIT, type Cast } from "./story.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface ModelView {
  id: string;
  label: string;
  retired: boolean;
  thinking: { mode: string };
  effort: { levels: string[] };
}
interface SentRequest {
  body: {
    model: string;
    thinking?: { type: string };
    output_config?: { effort?: string };
    temperature?: number;
    messages: { content: unknown }[];
  };
  path: string;
}

/** Starts the strict fake in its own process (it imports the catalog as TypeScript: tsx runs it); its URL. */
export async function startFake(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["test/fakes/anthropic-server.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = await Promise.race([
    createInterface({ input: child.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((first) => [String(first.value)]),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the fake Messages API did not start")), 30_000),
    ),
  ]);
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

export function modelSteps(cast: () => Cast) {
  let fake: { child: ChildProcess; url: string } | undefined;
  after(() => void fake?.child.kill("SIGTERM"));

  it("A points a workspace at the Messages API and creates a session with an effort the dialog offers for the model", async () => {
    const { alice, run } = cast();
    fake = await startFake();
    const page = alice.page;
    await page.goto("/");
    const workspaceURL = await createWorkspace(page, `Models ${run}`, []);
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Secrets" }).click();
    await setSecret(page, "ANTHROPIC_API_KEY", `sk-ant-e2e-${run}-0123456789`);
    await setSecret(page, "ANTHROPIC_BASE_URL", fake.url);

    // A model that always thinks and takes the lowest effort, from the catalog the dialog reads.
    const { models } = (await page.evaluate(() => fetch("/api/models").then((r) => r.json()))) as {
      models: ModelView[];
    };
    const model = models.find(
      (m) => !m.retired && m.thinking.mode === "always" && m.effort.levels.includes("low"),
    );
    assert.ok(model, "the catalog has a live model that always thinks");
    const reply = `Hello at low effort, ${run}.`;
    await fetch(`${fake.url}/_fake/enqueue`, {
      method: "POST",
      body: JSON.stringify([
        {
          kind: "message",
          content: [
            { type: "thinking", thinking: "A short thought.", signature: "sig-e2e" },
            { type: "text", text: reply },
          ],
        },
      ]),
    });

    await page.goto(workspaceURL);
    await page.getByRole("button", { name: "New session" }).click();
    await page.locator("#ns-model").selectOption(model.id);
    await page.locator("#ns-model-capabilities", { hasText: "always thinks" }).waitFor(WAIT);
    await page.locator("details.advanced summary").click();
    const thinking = page.getByLabel("Extended thinking");
    assert.equal(await thinking.isChecked(), true);
    assert.equal(await thinking.isDisabled(), true);
    await page.locator("#ns-thinking-hint", { hasText: `${model.label} always thinks` }).waitFor(WAIT);
    assert.equal(
      await page.getByLabel(/^Temperature/).count(),
      0,
      "the dialog offers Effort in temperature's place",
    );
    await page.locator("#ns-effort").selectOption({ label: "low" });
    await page.screenshot({ path: path.join(SHOTS, "new-session-effort.png") });
    await page.getByLabel("Display name", { exact: false }).fill(`Effort ${run}`);
    await page.getByLabel("First prompt", { exact: false }).fill("Say hello briefly");
    await page.getByRole("button", { name: "Create session" }).click();
    await page.waitForURL(/\/s\/[^/]+$/);
    await phaseIs(page, "Running");
    await agentSaid(page, reply).waitFor(WAIT);

    // The request reached the API as the model takes it, and the strict fake refused nothing.
    const { requests } = (await (await fetch(`${fake.url}/_fake/requests`)).json()) as {
      requests: SentRequest[];
    };
    const sent = requests.find((r) => JSON.stringify(r.body.messages).includes("Say hello briefly"));
    assert.ok(sent, "the session's first turn reached the fake API");
    assert.equal(sent.body.model, model.id);
    assert.equal(sent.body.output_config?.effort, "low");
    assert.equal(sent.body.thinking?.type, "adaptive");
    assert.equal("temperature" in sent.body, false);
    assert.deepEqual((await (await fetch(`${fake.url}/_fake/refusals`)).json()) as unknown, { refusals: [] });

    // The session view names the effort and says the stored temperature has no effect.
    await page.locator("[data-effort]", { hasText: "low" }).waitFor(WAIT);
    await page.locator("[data-temperature]", { hasText: "no effect" }).waitFor(WAIT);
  });
}
