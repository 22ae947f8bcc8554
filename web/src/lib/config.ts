// The session settings' models and bounds are the Worker's: one definition, validated on both sides.
export { MODEL_LABELS as MODELS, LIMITS, BUILTIN_WORKFLOWS } from "@tandem/protocol/session-config";
export type { ModelId, Effort } from "@tandem/protocol/session-config";
export { EFFORTS } from "@tandem/protocol/session-config";
// Which settings a model takes: the same check the API makes, so the dialogs disable what it would refuse.
export {
  defaultThinking,
  effortOptions,
  settingsProblems,
  thinkingProblem,
} from "@tandem/protocol/model-settings";
export { MIN_SECRET_LENGTH } from "@tandem/protocol/redaction";
// The lifecycle is the Worker's too: the UI offers what its transition table allows.
export { PHASES, AGENT_PHASES, INPUT_PHASES, canApply } from "@tandem/protocol/lifecycle";
