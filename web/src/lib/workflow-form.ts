/** The workflow form of the workflows page: checked with the API's own schema before it is sent. */
import { CreateWorkflowSchema, WORKFLOW_PROMPT_PLACEHOLDER } from "@tandem/protocol/workflows";
import type { NewWorkflow, WorkspaceWorkflow } from "./api";

export type WorkflowForm = NewWorkflow;
export type WorkflowErrors = Partial<Record<keyof WorkflowForm | "form", string>>;

export const emptyWorkflowForm = (): WorkflowForm => ({
  name: "",
  title: "",
  systemPrompt: "",
  firstMessage: `${WORKFLOW_PROMPT_PLACEHOLDER}`,
});

export const workflowFormOf = (w: WorkspaceWorkflow): WorkflowForm => ({
  name: w.name,
  title: w.title,
  systemPrompt: w.systemPrompt,
  firstMessage: w.firstMessage,
});

/** Field errors by field, as the API would name them; empty when the form may be sent. */
export function validateWorkflow(form: WorkflowForm): WorkflowErrors {
  const parsed = CreateWorkflowSchema.safeParse(form);
  if (parsed.success) return {};
  const errors: WorkflowErrors = {};
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? "form") as keyof WorkflowErrors;
    errors[key] ??= issue.message;
  }
  return errors;
}
