/**
 * The message that answers AskUserQuestion: it goes through the session's message route like any message
 * (the agent host turns it into the tool's result), so it is written for people and the agent alike.
 */
import type { AskedQuestion } from "@tandem/protocol/agent";

export type { AskedQuestion };

/**
 * One question: its choices, comma-separated. Several: one line each, `<question> → <choices>`, so each
 * answer names its question exactly.
 */
export function answerText(
  questions: readonly AskedQuestion[],
  choices: readonly (readonly string[])[],
): string {
  const answers = questions.map((_, i) => (choices[i] ?? []).join(", "));
  if (questions.length === 1) return answers[0];
  return questions.map((q, i) => `${q.question} → ${answers[i]}`).join("\n");
}

/** Whether every question has a choice, so the answer can be sent. */
export function answersComplete(
  questions: readonly AskedQuestion[],
  choices: readonly (readonly string[])[],
): boolean {
  return questions.every((_, i) => (choices[i]?.length ?? 0) > 0);
}
