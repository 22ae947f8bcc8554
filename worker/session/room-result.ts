/**
 * What a room's RPC method answers: a value, or an error with a code of the API's union (http/errors.ts),
 * whose status the API takes from the one map. A refused phase change names the phase it was refused in.
 */
import type { ErrorCode } from "../http/errors";
import type { Phase } from "../protocol/lifecycle";

export type RoomErrorCode = Extract<
  ErrorCode,
  | "not_found"
  | "exists"
  | "invalid_transition"
  | "not_awaiting_approval"
  | "invalid_input"
  | "agent_not_running"
  | "agent_busy"
  | "github_token_missing"
  | "nothing_to_push"
  | "push_rejected"
  | "github_error"
  | "rate_limited"
  | "already_decided"
  | "model_retired"
>;
export type RoomError = { code: RoomErrorCode; message: string; phase?: Phase; field?: string };
export type RoomResult<T> = { ok: true; value: T } | { ok: false; error: RoomError };

export const ok = <T>(value: T): RoomResult<T> => ({ ok: true, value });
export const refused = (code: RoomErrorCode, message: string, phase?: Phase): RoomResult<never> => ({
  ok: false,
  error: phase ? { code, message, phase } : { code, message },
});
export const gone: RoomResult<never> = refused("not_found", "session not found");
export const wrongPhase = (phase: Phase, action: string): RoomResult<never> =>
  refused("invalid_transition", `cannot ${action} a session that is ${phase}`, phase);
