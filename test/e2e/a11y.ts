/** Accessibility checks with axe-core, run inside the page. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * The serious and critical WCAG 2.x A/AA violations on the page as it is now; with `bestPractice`, also
 * axe's best-practice rules (landmarks, one h1, headings in order, …) at any impact above minor.
 */
export async function axeViolations(page: Page, opts: { bestPractice?: boolean } = {}): Promise<Violation[]> {
  // Evaluated through the DevTools protocol: an inline <script> tag would be refused by the app's CSP.
  await page.evaluate(axeSource);
  const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", ...(opts.bestPractice ? ["best-practice"] : [])];
  const impacts = opts.bestPractice ? ["moderate", "serious", "critical"] : ["serious", "critical"];
  return await page.evaluate(
    async ({ tags, impacts }) => {
      const axe = (
        window as unknown as {
          axe: {
            run(
              ctx: Document,
              opts: object,
            ): Promise<{
              violations: {
                id: string;
                impact: string | null;
                help: string;
                nodes: { target: string[] }[];
              }[];
            }>;
          };
        }
      ).axe;
      const result = await axe.run(document, {
        runOnly: { type: "tag", values: tags },
      });
      return result.violations
        .filter((v) => v.impact !== null && impacts.includes(v.impact))
        .map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")),
        }));
    },
    { tags, impacts },
  );
}
