/**
 * Approvals as the room decides them (SPEC §10, permission modes): an owner's or editor's decision on a
 * pending approval of the transcript, first answer wins, then queued for the agent (state.ts). The route
 * checked the role; this checks the session and the approval.
 */
import type { ApprovalDecision } from "../protocol/agent";
import { refused, gone, ok, type RoomResult } from "./room-result";
import type { Actor } from "./record";
import type { SessionState } from "./state";

export interface DecisionInput {
  decision: ApprovalDecision;
  message?: string;
  /** A plan's approval: the mode the session continues in (default `ask`). */
  mode?: "auto" | "ask";
}

export type DecidedApproval = {
  approvalId: string;
  decision: ApprovalDecision;
  decidedBy: string;
  seq: number;
};

export function decideApproval(
  state: SessionState,
  approvalId: string,
  body: DecisionInput,
  actor: Actor,
): RoomResult<DecidedApproval & { input: ReturnType<SessionState["decideApproval"]> }> {
  const record = state.record;
  const transcript = state.transcript;
  if (!record || !transcript) return gone;
  const approval = transcript.approval(approvalId);
  if (!approval) return refused("not_found", "no such approval in this session");
  if (approval.status !== "pending")
    return refused("already_decided", `this approval is ${approval.status} already`);
  // A plan's mode applies to plans only; a tool call's decision never changes the session's mode.
  const decision: DecisionInput = {
    decision: body.decision,
    ...(body.message ? { message: body.message } : {}),
    ...(approval.kind === "plan" && body.decision !== "deny" ? { mode: body.mode ?? "ask" } : {}),
  };
  const input = state.decideApproval(approvalId, decision, actor);
  return ok({ approvalId, decision: decision.decision, decidedBy: actor.name, seq: input.seq, input });
}
