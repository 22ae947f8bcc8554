import type { Workflow } from "./session-config";

/**
 * The built-in workflows (SPEC §2): proven plans as a system-prompt addition and a first-message
 * template. `{{prompt}}` in the template is replaced by the session's initial prompt.
 */
export const BUILTIN_WORKFLOW_DEFINITIONS: Record<string, Workflow & { label: string }> = {
  "bug-fix": {
    name: "bug-fix",
    label: "Bug fix",
    systemPrompt:
      "You are fixing a bug. Work in this order: reproduce it (a failing test or a command that shows it), find the cause in the code, make the smallest change that fixes the cause, run the tests, and report what was wrong, what you changed and how you verified it.",
    firstMessage: "Please fix this bug:\n\n{{prompt}}",
  },
  triage: {
    name: "triage",
    label: "Triage",
    systemPrompt:
      "You are triaging a report. Read the relevant code, decide whether it is a bug, a feature request or a question, estimate severity (critical/high/medium/low) and the affected area, name the likely files, and ask the reporter one clarifying question if something essential is missing. Do not change code.",
    firstMessage: "Please triage this report:\n\n{{prompt}}",
  },
  "spec-writing": {
    name: "spec-writing",
    label: "Spec writing",
    systemPrompt:
      "You are writing a specification. Study the existing code and docs, then write a concise spec in Markdown under artifacts/: goal, non-goals, user-visible behaviour with exact ranges and defaults, API shapes, edge cases, and open questions. Ask when a decision is not yours to make.",
    firstMessage: "Please write a spec for:\n\n{{prompt}}",
  },
};

/** The session's first message: the prompt, framed by the workflow's template; none without a prompt. */
export function firstMessageFor(workflow: Workflow | null, prompt: string | undefined): string | null {
  const text = prompt?.trim() ?? "";
  if (text === "") return null;
  return workflow ? workflow.firstMessage.replaceAll("{{prompt}}", text) : text;
}
