import { requireRole } from "../auth/membership";
import {
  deleteWorkflow,
  getWorkflow,
  insertWorkflow,
  listWorkflows,
  sessionsUsingWorkflow,
  updateWorkflow,
} from "../db/workflows";
import { newApp } from "../http/app";
import { readJson } from "../http/body";
import { HttpError, notFound, parseInput } from "../http/errors";
import {
  BUILTIN_WORKFLOW_LIST,
  builtinWorkflow,
  CreateWorkflowSchema,
  DeleteWorkflowQuerySchema,
  UpdateWorkflowSchema,
  WorkflowParamsSchema,
  type WorkspaceWorkflow,
} from "../protocol/workflows";

/** /api/workspaces/:ws/workflows: the built-ins beside the workspace's own (membership is checked before these run). */
export const workflowRoutes = newApp();

const builtinRefusal = (name: string) =>
  new HttpError(
    "workflow_builtin",
    `"${name}" is a built-in workflow: it cannot be changed or deleted; create one of your own instead`,
  );

function nameOf(param: string | undefined): string {
  return parseInput(WorkflowParamsSchema, { name: param }).name;
}

workflowRoutes.get("/", async (c) => {
  const own = await listWorkflows(c.env.DB, c.req.param("ws")!);
  return c.json({ workflows: [...BUILTIN_WORKFLOW_LIST, ...own] satisfies WorkspaceWorkflow[] });
});

workflowRoutes.get("/:name", async (c) => {
  const name = nameOf(c.req.param("name"));
  const workflow =
    BUILTIN_WORKFLOW_LIST.find((w) => w.name === name) ??
    (await getWorkflow(c.env.DB, c.req.param("ws")!, name));
  if (!workflow) throw notFound("workflow not found");
  return c.json({ workflow });
});

workflowRoutes.post("/", async (c) => {
  requireRole(c, "owner", "editor");
  const { name, ...definition } = await readJson(c, CreateWorkflowSchema);
  const ws = c.req.param("ws")!;
  if (!(await insertWorkflow(c.env.DB, ws, name, definition, c.var.user.id, Date.now()))) {
    throw new HttpError("exists", `the workspace has a workflow named "${name}" already`, { field: "name" });
  }
  return c.json({ workflow: (await getWorkflow(c.env.DB, ws, name))! }, 201);
});

workflowRoutes.put("/:name", async (c) => {
  requireRole(c, "owner", "editor");
  const name = nameOf(c.req.param("name"));
  if (builtinWorkflow(name)) throw builtinRefusal(name);
  const definition = await readJson(c, UpdateWorkflowSchema);
  const ws = c.req.param("ws")!;
  if (!(await updateWorkflow(c.env.DB, ws, name, definition, Date.now())))
    throw notFound("workflow not found");
  return c.json({ workflow: (await getWorkflow(c.env.DB, ws, name))! });
});

workflowRoutes.delete("/:name", async (c) => {
  requireRole(c, "owner", "editor");
  const name = nameOf(c.req.param("name"));
  const { force } = parseInput(DeleteWorkflowQuerySchema, c.req.query());
  if (builtinWorkflow(name)) throw builtinRefusal(name);
  const ws = c.req.param("ws")!;
  if (!(await getWorkflow(c.env.DB, ws, name))) throw notFound("workflow not found");
  const using = await sessionsUsingWorkflow(c.env.DB, ws, name);
  if (using > 0 && force !== "true") {
    const sessions = using === 1 ? "1 session uses" : `${using} sessions use`;
    throw new HttpError(
      "workflow_in_use",
      `${sessions} this workflow; delete with ?force=true to remove it anyway (those sessions keep their copy)`,
    );
  }
  await deleteWorkflow(c.env.DB, ws, name);
  return c.body(null, 204);
});
