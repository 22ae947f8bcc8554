// The session settings' models and bounds are the Worker's: one definition, validated on both sides.
export { MODELS, LIMITS, BUILTIN_WORKFLOWS } from "../../../worker/protocol/session-config";
export type { ModelId } from "../../../worker/protocol/session-config";
