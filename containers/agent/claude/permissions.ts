/**
 * The one place where a tool call's permission is decided (Claude Code's `canUseTool`). A session in `auto`
 * runs in `bypassPermissions` (the container is the boundary), so Claude Code asks only about
 * AskUserQuestion, which it routes here whatever the mode: its questions go to the people of the session (status
 * `waiting_input`) and the first answer from an owner or editor returns as the tool's input `answers`, which
 * Claude Code makes the tool's result.
 *
 * In `ask` (Claude Code's `default` mode) and `plan`, every other call Claude Code asks about is an approval
 * the team decides: allow, allow for the rest of the session (a rule of the session only, never written
 * to a settings file the workspace could keep), or deny with a message that goes to Claude. ExitPlanMode's
 * plan is an approval of kind `plan`: allowed, the session continues in the mode the approver named.
 */
import type { CanUseTool, PermissionResult } from "@anthropic-ai/claude-agent-sdk";
import { z } from "zod";
import { type ApprovalDecision, type AskedQuestion, FRAME_LIMITS } from "@tandem/protocol/agent";
import type { PermissionMode } from "@tandem/protocol/session-config";
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

/** A person's decision on an approval, as the room decided it (first answer wins). */
export interface Decision {
  decision: ApprovalDecision;
  message?: string;
  mode?: Exclude<PermissionMode, "plan">;
  author: string;
}

export interface ApprovalRequest {
  toolUseId: string;
  kind: "tool" | "plan";
  tool: string;
  input: Record<string, unknown>;
}

/** Where a question or an approval goes: the session shows it and waits for a person (null: stopped before anyone answered). */
export interface QuestionDesk {
  ask(
    question: { toolUseId: string; text: string; questions: AskedQuestion[] },
    signal: AbortSignal,
  ): Promise<Answer | null>;
  approve(request: ApprovalRequest, signal: AbortSignal): Promise<Decision | null>;
}

/** Claude Code's mode for each of the session's: `auto` is bypassPermissions (the container is the boundary). */
export function claudeMode(mode: PermissionMode): "bypassPermissions" | "default" | "plan" {
  return mode === "auto" ? "bypassPermissions" : mode === "ask" ? "default" : "plan";
}

export const EXIT_PLAN_MODE = "ExitPlanMode";

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The questions as a frame carries them: within the protocol's bounds, so the room never refuses the frame. */
function shown(input: z.infer<typeof AskUserQuestionInput>): AskedQuestion[] {
  return input.questions.slice(0, 8).map((q) => ({
    question: cut(q.question, FRAME_LIMITS.detail),
    ...(q.header ? { header: cut(q.header, FRAME_LIMITS.step) } : {}),
    options: q.options.slice(0, 10).map((o) => ({
      label: cut(o.label, FRAME_LIMITS.step),
      ...(o.description ? { description: cut(o.description, FRAME_LIMITS.detail) } : {}),
    })),
    ...(q.multiSelect !== undefined ? { multiSelect: q.multiSelect } : {}),
  }));
}

async function answerQuestions(
  desk: QuestionDesk,
  input: Record<string, unknown>,
  toolUseId: string,
  signal: AbortSignal,
): Promise<PermissionResult> {
  const parsed = AskUserQuestionInput.safeParse(input);
  if (!parsed.success) return { behavior: "deny", message: "AskUserQuestion needs at least one question" };
  const text = parsed.data.questions.map((q) => q.question).join("\n");
  const answer = await desk.ask({ toolUseId, text, questions: shown(parsed.data) }, signal);
  if (!answer)
    return { behavior: "deny", message: "The session was stopped before anyone answered.", interrupt: true };
  // One reply answers every question asked at once; who answered is part of the answer, as in the chat.
  const answers = Object.fromEntries(
    parsed.data.questions.map((q) => [q.question, `${answer.text} (answered by ${answer.author})`]),
  );
  return { behavior: "allow", updatedInput: { ...input, answers } };
}

async function decide(
  desk: QuestionDesk,
  request: ApprovalRequest,
  signal: AbortSignal,
): Promise<PermissionResult> {
  const decision = await desk.approve(request, signal);
  if (!decision)
    return { behavior: "deny", message: "The session was stopped before anyone answered.", interrupt: true };
  const said = decision.message ? `: ${decision.message}` : "";
  if (decision.decision === "deny") {
    const what =
      request.kind === "plan"
        ? `${decision.author} rejected the plan; keep planning`
        : `${decision.author} denied this tool call`;
    return { behavior: "deny", message: `${what}${said}` };
  }
  if (request.kind === "plan") {
    // Out of plan mode into the mode the approver chose, for the rest of the session.
    return {
      behavior: "allow",
      updatedInput: request.input,
      updatedPermissions: [
        { type: "setMode", mode: claudeMode(decision.mode ?? "ask"), destination: "session" },
      ],
    };
  }
  if (decision.decision === "allow_always") {
    // The session's own rule, for this tool: never a settings file (the workspace or a later resume would keep it).
    return {
      behavior: "allow",
      updatedInput: request.input,
      updatedPermissions: [
        { type: "addRules", rules: [{ toolName: request.tool }], behavior: "allow", destination: "session" },
      ],
    };
  }
  return { behavior: "allow", updatedInput: request.input };
}

export function toolPermissions(desk: QuestionDesk): CanUseTool {
  return async (toolName, input, { signal, toolUseID }) => {
    if (toolName === ASK_USER_QUESTION) return answerQuestions(desk, input, toolUseID, signal);
    // In `auto` (bypassPermissions) Claude Code asks about nothing else; in `ask` and `plan` the team decides.
    const kind = toolName === EXIT_PLAN_MODE ? "plan" : "tool";
    return decide(desk, { toolUseId: toolUseID, kind, tool: toolName, input }, signal);
  };
}
