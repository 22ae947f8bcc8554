/** The built-in workflows live with the protocol, shared with the Worker; the agent names them as it always has. */
import type { Workflow } from "@tandem/protocol/session-config";
import { BUILTIN_WORKFLOW_DEFINITIONS } from "@tandem/protocol/workflows";

export { builtinWorkflow, renderFirstMessage } from "@tandem/protocol/workflows";

export const WORKFLOWS = BUILTIN_WORKFLOW_DEFINITIONS;
export const BUILTIN_WORKFLOW_LIST: readonly Workflow[] = Object.values(WORKFLOWS);
