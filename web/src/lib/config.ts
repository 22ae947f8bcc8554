// The session settings' models and bounds are the Worker's: one definition, validated on both sides.
export { MODEL_LABELS as MODELS, LIMITS, BUILTIN_WORKFLOWS } from "../../../worker/protocol/session-config";
export type { ModelId, Effort } from "../../../worker/protocol/session-config";
export { EFFORTS } from "../../../worker/protocol/session-config";
// Which settings a model takes: the same check the API makes, so the dialogs disable what it would refuse.
export { defaultThinking, effortOptions, settingsProblems, thinkingProblem } from "../../../worker/protocol/model-settings";
export { MIN_SECRET_LENGTH } from "../../../worker/protocol/redaction";
// The lifecycle is the Worker's too: the UI offers what its transition table allows.
export { PHASES, AGENT_PHASES, INPUT_PHASES, canApply } from "../../../worker/protocol/lifecycle";
