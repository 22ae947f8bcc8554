import { z } from "zod";
import { WorkflowSchema, type Workflow } from "./session-config";

/** Placeholder in a first-message template for what the person (or trigger) asked for. */
export const WORKFLOW_PROMPT_PLACEHOLDER = "{{prompt}}";

/**
 * The built-in workflows: proven plans as a system-prompt addition and a first-message
 * template. The one definition: the SessionRoom sends the chosen one to the agent in `start`.
 */
export const BUILTIN_WORKFLOW_DEFINITIONS = {
  "bug-fix": {
    name: "bug-fix",
    label: "Bug fix",
    systemPrompt: [
      "Workflow: bug fix.",
      "1. Reproduce the bug first: find or write the smallest failing test or command.",
      "2. Locate the root cause by reading the code; do not guess.",
      "3. Make the smallest change that fixes the cause, not the symptom.",
      "4. Run the failing test again and the surrounding test suite; report both results.",
      "5. Summarise: cause, fix, files changed, how it was verified.",
    ].join("\n"),
    firstMessage: "Please fix this bug:\n\n{{prompt}}",
  },
  triage: {
    name: "triage",
    label: "Triage",
    systemPrompt: [
      "Workflow: triage.",
      "Read the report and the relevant code; do not change code.",
      "Decide: is it reproducible, which component it belongs to, its severity (critical/high/medium/low),",
      "likely cause, and a suggested owner or next step. Ask one clarifying question if the report is",
      "missing something essential. End with a short triage summary as a bulleted list.",
    ].join("\n"),
    firstMessage: "Please triage this report:\n\n{{prompt}}",
  },
  "spec-writing": {
    name: "spec-writing",
    label: "Spec writing",
    systemPrompt: [
      "Workflow: spec writing.",
      "Write a specification in Markdown to artifacts/SPEC.md: goal, non-goals, users, behaviour",
      "(precise, testable statements), interfaces, edge cases, open questions.",
      "Read the existing code first so the spec matches what exists. Ask about anything ambiguous.",
    ].join("\n"),
    firstMessage: "Please write a spec for:\n\n{{prompt}}",
  },
} as const satisfies Record<string, Workflow & { label: string }>;

export type BuiltinWorkflowName = keyof typeof BUILTIN_WORKFLOW_DEFINITIONS;

export function builtinWorkflow(name: string): (Workflow & { label: string }) | null {
  return Object.hasOwn(BUILTIN_WORKFLOW_DEFINITIONS, name)
    ? BUILTIN_WORKFLOW_DEFINITIONS[name as BuiltinWorkflowName]
    : null;
}

/** Fills a workflow's first-message template; a template without the placeholder gets the prompt appended. */
export function renderFirstMessage(workflow: Workflow, prompt: string): string {
  const template = workflow.firstMessage;
  if (template.includes(WORKFLOW_PROMPT_PLACEHOLDER))
    return template.split(WORKFLOW_PROMPT_PLACEHOLDER).join(prompt);
  return prompt ? `${template}\n\n${prompt}` : template;
}

/** The session's first message: the prompt, framed by the workflow's template; none without a prompt. */
export function firstMessageFor(workflow: Workflow | null, prompt: string | undefined): string | null {
  const text = prompt?.trim() ?? "";
  if (text === "") return null;
  return workflow ? renderFirstMessage(workflow, text) : text;
}

/** A workflow as GET …/workflows lists it: a built-in (not editable) or one of the workspace's own. */
export const WorkspaceWorkflowSchema = z.object({
  name: z.string(),
  title: z.string(),
  systemPrompt: z.string(),
  firstMessage: z.string(),
  builtIn: z.boolean(),
  createdAt: z.int().nullable(),
  updatedAt: z.int().nullable(),
});
export type WorkspaceWorkflow = z.infer<typeof WorkspaceWorkflowSchema>;

const Title = z.string().trim().min(1).max(100);
const SystemPrompt = WorkflowSchema.shape.systemPrompt;
const FirstMessage = WorkflowSchema.shape.firstMessage.trim().min(1);

/** A workflow's name exactly as given (no trimming: it is an identifier, in paths too). */
const WorkflowSlug = z
  .string()
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "workflow names are lower-case words joined by '-'");

/** POST …/workflows: a name no built-in has. */
export const CreateWorkflowSchema = z.strictObject({
  name: WorkflowSlug.refine((name) => builtinWorkflow(name) === null, "a built-in workflow has this name"),
  title: Title,
  systemPrompt: SystemPrompt,
  firstMessage: FirstMessage,
});
export type NewWorkflow = z.input<typeof CreateWorkflowSchema>;

/** PUT …/workflows/:name: the whole definition but its name. */
export const UpdateWorkflowSchema = CreateWorkflowSchema.omit({ name: true });
export type WorkflowChange = z.input<typeof UpdateWorkflowSchema>;

export const WorkflowParamsSchema = z.object({ name: WorkflowSlug });
export const DeleteWorkflowQuerySchema = z.object({ force: z.enum(["true", "false"]).optional() });

/** The built-ins as GET …/workflows lists them. */
export const BUILTIN_WORKFLOW_LIST: WorkspaceWorkflow[] = Object.values(BUILTIN_WORKFLOW_DEFINITIONS).map(
  (w) => ({
    name: w.name,
    title: w.label,
    systemPrompt: w.systemPrompt,
    firstMessage: w.firstMessage,
    builtIn: true,
    createdAt: null,
    updatedAt: null,
  }),
);
