/** The workflows a session may name: the built-ins, then the workspace's own. */
import { BUILTIN_WORKFLOW_LIST } from "@tandem/protocol/workflows";
import { api } from "./api";

export interface WorkflowOption {
  name: string;
  title: string;
  builtIn: boolean;
}

export const BUILTIN_OPTIONS: WorkflowOption[] = BUILTIN_WORKFLOW_LIST.map(({ name, title }) => ({
  name,
  title,
  builtIn: true,
}));

/** The workspace's choices; the built-ins alone if the list cannot be read (the API still checks the name). */
export async function workflowOptions(wsId: string): Promise<WorkflowOption[]> {
  try {
    return (await api.workflows(wsId)).workflows.map(({ name, title, builtIn }) => ({
      name,
      title,
      builtIn,
    }));
  } catch {
    return BUILTIN_OPTIONS;
  }
}

/** A select's options: a workflow not listed (deleted since it was chosen) stays selectable under its name. */
export function withCurrent(options: WorkflowOption[], current: string): WorkflowOption[] {
  if (!current || options.some((o) => o.name === current)) return options;
  return [...options, { name: current, title: current, builtIn: false }];
}
