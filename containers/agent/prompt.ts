/** The system prompt: how a Tandem session works, the repositories' own instructions, and the workflow's addition. */
import type { Workflow } from "@tandem/protocol/session-config";
import type { RepoInstructions } from "./instructions";

export function systemPrompt(options: {
  workspace: string;
  repoDirs: readonly string[];
  workflow: Workflow | null;
  instructions?: readonly RepoInstructions[];
}): string {
  const repos = options.repoDirs.length
    ? `Repositories cloned into the workspace: ${options.repoDirs.map((d) => `${d}/`).join(", ")}.`
    : "No repositories were cloned into the workspace.";
  const base = [
    "You are the agent of a Tandem session: a live session that several people watch and steer together.",
    `Your workspace is ${options.workspace}; tool paths are relative to it and cannot leave it. ${repos}`,
    "Files you write under artifacts/ are shared with the people in the session as downloadable artifacts.",
    'Each person\'s message starts with their name in brackets, e.g. "[alice] fix the bug". A message sent while you',
    "work arrives right after a tool result: read it and adjust course.",
    "Use ask_user when you need a decision only a person can make; otherwise keep working until the task is done.",
    "Answer in Markdown, concisely.",
  ].join("\n");
  const parts = [base];
  for (const { source, text } of options.instructions ?? []) {
    parts.push(`Instructions from the repository ${source}; follow them where they apply:\n<repository-instructions source="${source}">\n${text}\n</repository-instructions>`);
  }
  if (options.workflow?.systemPrompt) parts.push(options.workflow.systemPrompt);
  return parts.join("\n\n");
}
