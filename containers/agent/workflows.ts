/**
 * Built-in workflows: a named, proven plan = a system-prompt addition + a first-message template.
 * Pure data with no Node imports, so the Worker can import the list as well.
 */
import type { Workflow } from "../../worker/protocol/session-config";

/** Placeholder in a first-message template for what the person (or trigger) asked for. */
export const WORKFLOW_PROMPT_PLACEHOLDER = "{{prompt}}";

export const WORKFLOWS = {
  "bug-fix": {
    name: "bug-fix",
    systemPrompt: [
      "Workflow: bug fix.",
      "1. Reproduce the bug first: find or write the smallest failing test or command.",
      "2. Locate the root cause by reading the code; do not guess.",
      "3. Make the smallest change that fixes the cause, not the symptom.",
      "4. Run the failing test again and the surrounding test suite; report both results.",
      "5. Summarise: cause, fix, files changed, how it was verified.",
    ].join("\n"),
    firstMessage: "Please fix this bug:\n\n{{prompt}}",
  },
  triage: {
    name: "triage",
    systemPrompt: [
      "Workflow: triage.",
      "Read the report and the relevant code; do not change code.",
      "Decide: is it reproducible, which component it belongs to, its severity (critical/high/medium/low),",
      "likely cause, and a suggested owner or next step. Ask one clarifying question if the report is",
      "missing something essential. End with a short triage summary as a bulleted list.",
    ].join("\n"),
    firstMessage: "Please triage this report:\n\n{{prompt}}",
  },
  "spec-writing": {
    name: "spec-writing",
    systemPrompt: [
      "Workflow: spec writing.",
      "Write a specification in Markdown to artifacts/SPEC.md: goal, non-goals, users, behaviour",
      "(precise, testable statements), interfaces, edge cases, open questions.",
      "Read the existing code first so the spec matches what exists. Ask about anything ambiguous.",
    ].join("\n"),
    firstMessage: "Please write a spec for:\n\n{{prompt}}",
  },
} as const satisfies Record<string, Workflow>;

export type BuiltinWorkflowName = keyof typeof WORKFLOWS;
export const BUILTIN_WORKFLOW_LIST: readonly Workflow[] = Object.values(WORKFLOWS);

export function builtinWorkflow(name: string): Workflow | null {
  return Object.hasOwn(WORKFLOWS, name) ? WORKFLOWS[name as BuiltinWorkflowName] : null;
}

/** Fills a workflow's first-message template; a template without the placeholder gets the prompt appended. */
export function renderFirstMessage(workflow: Workflow, prompt: string): string {
  const template = workflow.firstMessage;
  if (template.includes(WORKFLOW_PROMPT_PLACEHOLDER)) return template.split(WORKFLOW_PROMPT_PLACEHOLDER).join(prompt);
  return prompt ? `${template}\n\n${prompt}` : template;
}
