/**
 * Tandem's addition to Claude Code's own system prompt (the `claude_code` preset): how a shared session
 * works, the repositories, the repositories' own instructions as cloned, the workflow's addition, and the
 * conversation so far when there is no Claude conversation to resume.
 */
import type { Workflow } from "@tandem/protocol/session-config";
import type { RepoInstructions } from "./instructions";

export function tandemAppend(options: {
  repoDirs: readonly string[];
  workflow: Workflow | null;
  instructions?: readonly RepoInstructions[];
  earlier?: string | null;
}): string {
  const repos = options.repoDirs.length
    ? `Repositories cloned into the working directory: ${options.repoDirs.map((d) => `${d}/`).join(", ")}.`
    : "No repositories were cloned into the working directory.";
  const base = [
    "# Tandem",
    "You are the agent of a Tandem session: a live session that several people watch and steer together.",
    repos,
    "Files you write under artifacts/ are shared with the people in the session as downloadable artifacts.",
    'Each person\'s message starts with their name in brackets, e.g. "[alice] fix the bug". A message sent while you',
    "work arrives with a tool result: read it and adjust course.",
    "Ask the people (AskUserQuestion) when you need a decision only a person can make; otherwise keep working until the task is done.",
  ].join("\n");
  const parts = [base];
  for (const { source, text } of options.instructions ?? []) {
    parts.push(
      `Instructions from the repository ${source}, as cloned; follow them where they apply:\n<repository-instructions source="${source}">\n${text}\n</repository-instructions>`,
    );
  }
  if (options.workflow?.systemPrompt) parts.push(options.workflow.systemPrompt);
  if (options.earlier) parts.push(options.earlier);
  return parts.join("\n\n");
}
