// The session settings' models and bounds are the Worker's: one definition, validated on both sides.
export { MODEL_LABELS as MODELS, LIMITS, BUILTIN_WORKFLOWS } from "@tandem/protocol/session-config";
export type { ModelId } from "@tandem/protocol/session-config";
export { MIN_SECRET_LENGTH } from "@tandem/protocol/redaction";
// The lifecycle is the Worker's too: the UI offers what its transition table allows.
export { PHASES, AGENT_PHASES, INPUT_PHASES, canApply } from "@tandem/protocol/lifecycle";
