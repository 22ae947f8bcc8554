/**
 * The one place where a tool call's permission is decided (Claude Code's `canUseTool`). Every session runs
 * in `bypassPermissions` (the container is the boundary), so Claude Code asks only about AskUserQuestion,
 * which it routes here whatever the mode: its questions go to the people of the session (status
 * `waiting_input`) and the first answer from an owner or editor returns as the tool's input `answers`, which
 * Claude Code makes the tool's result. The `ask` and `plan` modes (issue 22) decide their approvals here too.
 */
import type { CanUseTool, PermissionResult } from "@anthropic-ai/claude-agent-sdk";
import { z } from "zod";
import { type AskedQuestion, FRAME_LIMITS } from "@tandem/protocol/agent";
import { ASK_USER_QUESTION } from "./frames";

/** AskUserQuestion's input as Claude Code's types state it (sdk-tools.d.ts), read leniently. */
const AskUserQuestionInput = z.object({
  questions: z
    .array(
      z.object({
        question: z.string(),
        header: z.string().optional(),
        options: z.array(z.object({ label: z.string(), description: z.string().optional() })).default([]),
        multiSelect: z.boolean().optional(),
      }),
    )
    .min(1),
});

export interface Answer {
  text: string;
  author: string;
}

/** Where a question goes: the session shows it and waits for a person (null: stopped before anyone answered). */
export interface QuestionDesk {
  ask(question: { toolUseId: string; text: string; questions: AskedQuestion[] }, signal: AbortSignal): Promise<Answer | null>;
}

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The questions as a frame carries them: within the protocol's bounds, so the room never refuses the frame. */
function shown(input: z.infer<typeof AskUserQuestionInput>): AskedQuestion[] {
  return input.questions.slice(0, 8).map((q) => ({
    question: cut(q.question, FRAME_LIMITS.detail),
    ...(q.header ? { header: cut(q.header, FRAME_LIMITS.step) } : {}),
    options: q.options.slice(0, 10).map((o) => ({ label: cut(o.label, FRAME_LIMITS.step), ...(o.description ? { description: cut(o.description, FRAME_LIMITS.detail) } : {}) })),
    ...(q.multiSelect !== undefined ? { multiSelect: q.multiSelect } : {}),
  }));
}

async function answerQuestions(desk: QuestionDesk, input: Record<string, unknown>, toolUseId: string, signal: AbortSignal): Promise<PermissionResult> {
  const parsed = AskUserQuestionInput.safeParse(input);
  if (!parsed.success) return { behavior: "deny", message: "AskUserQuestion needs at least one question" };
  const text = parsed.data.questions.map((q) => q.question).join("\n");
  const answer = await desk.ask({ toolUseId, text, questions: shown(parsed.data) }, signal);
  if (!answer) return { behavior: "deny", message: "The session was stopped before anyone answered.", interrupt: true };
  // One reply answers every question asked at once; who answered is part of the answer, as in the chat.
  const answers = Object.fromEntries(parsed.data.questions.map((q) => [q.question, `${answer.text} (answered by ${answer.author})`]));
  return { behavior: "allow", updatedInput: { ...input, answers } };
}

export function toolPermissions(desk: QuestionDesk): CanUseTool {
  return async (toolName, input, { signal, toolUseID }) => {
    if (toolName === ASK_USER_QUESTION) return answerQuestions(desk, input, toolUseID, signal);
    // bypassPermissions decides every other call before Claude Code asks; one that still arrives is allowed as it is.
    return { behavior: "allow", updatedInput: input };
  };
}
