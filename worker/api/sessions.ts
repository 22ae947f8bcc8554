import type { Context } from "hono";
import { requireRole } from "../auth/membership";
import { deleteSessionRow, markApproved, sessionSummary } from "../db/sessions";
import { countSessions, listSessions, markSeen } from "../db/session-list";
import { publishToFeed } from "../feed/publish";
import { newApp, type AppEnv } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { enforceRateLimit } from "../http/rate-limit";
import { artifactKey, isSafeArtifactName } from "../session/artifacts";
import type { Actor } from "../protocol/session";
import { roomOfPath, sessionIdOfPath } from "./room";
import { decodeCursor, encodeCursor } from "./session-cursor";
import { createSession } from "../sessions/create";
import { roomOf, unwrap } from "../sessions/rooms";
import { resolveWorkflow } from "../sessions/workflow-lookup";
import { setSessionWorkflow } from "../db/workflows";
import { catalogOf, requireLiveModel, requireModelSettings } from "../models/catalog";
import { requireBudgetLeft } from "../sessions/budget-checks";
import {
  ApprovalParamsSchema,
  CreateSessionSchema,
  DecisionSchema,
  ListSessionsQuerySchema,
  MessageSchema,
  UpdateSessionSchema,
  type CreateSessionBody,
  type SessionPage,
} from "../protocol/session";

/** Sessions of a workspace: /api/workspaces/:ws/sessions (membership is checked before these run). */
export const sessionRoutes = newApp();

sessionRoutes.post("/", async (c) => {
  requireRole(c, "owner", "editor");
  const body = await readJson(c, CreateSessionSchema);
  await enforceRateLimit(c.env, "sessionCreation", `user:${c.var.user.id}`);
  const session = await createSession(c.env, c.req.param("ws")!, body, actorOf(c), { kind: "person" });
  return c.json({ session }, 201);
});

sessionRoutes.get("/", async (c) => {
  const query = parseInput(ListSessionsQuerySchema, c.req.query());
  const ws = c.req.param("ws")!;
  const [{ rows, next }, counts] = await Promise.all([
    listSessions(c.env.DB, ws, c.var.user.id, {
      phase: query.phase,
      status: query.status,
      search: query.q,
      order: query.order,
      cursor: query.cursor ? decodeCursor(query.cursor, query.order) : undefined,
      limit: query.limit,
    }),
    countSessions(c.env.DB, ws, c.var.user.id, query.q),
  ]);
  const page: SessionPage = {
    sessions: rows.map((row) => ({ ...sessionSummary(row), seenAt: row.seen_at })),
    nextCursor: next ? encodeCursor(next) : null,
    counts,
  };
  return c.json(page);
});

sessionRoutes.get("/:id", async (c) => c.json({ session: unwrap(await (await roomOfPath(c)).get()) }));

sessionRoutes.patch("/:id", async (c) => {
  requireRole(c, "owner", "editor");
  const patch = await readJson(c, UpdateSessionSchema);
  const id = await sessionIdOfPath(c);
  if (patch.model !== undefined) {
    // A live model of the catalog only (retired: 400 model_retired naming its successor), taking the session's thinking and effort.
    const stored = unwrap(await (await roomOf(c.env, id)).get());
    requireModelSettings(requireLiveModel(catalogOf(c.env), patch.model, Date.now()), stored);
  }
  if (patch.workflow === undefined)
    return c.json({ session: unwrap(await (await roomOf(c.env, id)).update(patch, actorOf(c))) });
  const workflowDefinition = await resolveWorkflow(c.env.DB, c.req.param("ws")!, patch.workflow);
  const session = unwrap(
    await (await roomOf(c.env, id)).update({ ...patch, workflowDefinition }, actorOf(c)),
  );
  await setSessionWorkflow(c.env.DB, id, session.workflow);
  return c.json({ session });
});

sessionRoutes.get("/:id/events", async (c) =>
  c.json({ events: unwrap(await (await roomOfPath(c)).events()) }),
);
sessionRoutes.get("/:id/transcript", async (c) =>
  c.json({ messages: unwrap(await (await roomOfPath(c)).transcript()) }),
);
sessionRoutes.get("/:id/artifacts", async (c) =>
  c.json({ artifacts: unwrap(await (await roomOfPath(c)).artifacts()) }),
);

sessionRoutes.get("/:id/artifacts/:name{.+}", async (c) => {
  // The router has decoded the path once already; decoding again would turn `100%25.txt` into an error.
  const name = c.req.param("name")!;
  if (!isSafeArtifactName(name))
    throw new HttpError("invalid_input", "name: not an artifact name", { field: "name" });
  const id = await sessionIdOfPath(c);
  const listed = unwrap(await (await roomOf(c.env, id)).artifacts()).some(
    (artifact) => artifact.name === name,
  );
  const object = listed ? await c.env.ARTIFACTS.get(artifactKey(id, name)) : null;
  if (!object) throw notFound("artifact not found");
  const filename = name.split("/").pop() ?? name;
  return new Response(object.body, {
    headers: {
      "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "content-length": String(object.size),
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
      "x-content-type-options": "nosniff",
    },
  });
});

sessionRoutes.post("/:id/messages", async (c) => {
  requireRole(c, "owner", "editor");
  const { text } = await readJson(c, MessageSchema);
  await enforceRateLimit(c.env, "message", `user:${c.var.user.id}`);
  return c.json(unwrap(await (await roomOfPath(c)).postMessage(text, actorOf(c))), 202);
});

sessionRoutes.post("/:id/approvals/:approvalId", async (c) => {
  requireRole(c, "owner", "editor");
  const { approvalId } = parseInput(ApprovalParamsSchema, c.req.param());
  const body = await readJson(c, DecisionSchema);
  return c.json({ approval: unwrap(await (await roomOfPath(c)).decide(approvalId, body, actorOf(c))) });
});

sessionRoutes.post("/:id/stop", async (c) => {
  requireRole(c, "owner", "editor");
  return c.json({ session: unwrap(await (await roomOfPath(c)).stop(actorOf(c))) }, 202);
});

sessionRoutes.post("/:id/resume", async (c) => {
  requireRole(c, "owner", "editor");
  const room = await roomOfPath(c);
  const stored = unwrap(await room.get());
  requireModelSettings(requireLiveModel(catalogOf(c.env), stored.model, Date.now()), stored);
  await requireBudgetLeft(c.env.DB, c.req.param("ws")!, Date.now());
  return c.json({ session: unwrap(await room.resume(actorOf(c))) }, 202);
});

sessionRoutes.post("/:id/approve", async (c) => {
  requireRole(c, "owner", "editor");
  const id = await sessionIdOfPath(c);
  await requireBudgetLeft(c.env.DB, c.req.param("ws")!, Date.now());
  const session = unwrap(await (await roomOf(c.env, id)).approve(actorOf(c)));
  await markApproved(c.env.DB, id);
  return c.json({ session }, 202);
});

sessionRoutes.post("/:id/clone", async (c) => {
  requireRole(c, "owner", "editor");
  const source = unwrap(await (await roomOfPath(c)).get());
  // Through the create body's own schema: a clone copies nothing a person could not have asked for.
  const body: CreateSessionBody = parseInput(CreateSessionSchema, {
    displayName: cloneName(source.displayName),
    model: source.model,
    temperature: source.temperature,
    maxTokens: source.maxTokens,
    timeoutSeconds: source.timeoutSeconds,
    thinking: source.thinking,
    effort: source.effort,
    interactive: source.interactive,
    permissionMode: source.permissionMode,
    repos: source.repos,
    workflow: source.workflow ?? undefined,
  });
  await enforceRateLimit(c.env, "sessionCreation", `user:${c.var.user.id}`);
  const session = await createSession(c.env, c.req.param("ws")!, body, actorOf(c), { kind: "person" });
  return c.json({ session }, 201);
});

sessionRoutes.delete("/:id", async (c) => {
  requireRole(c, "owner", "editor");
  const id = await sessionIdOfPath(c);
  await (await roomOf(c.env, id)).destroy();
  await deleteSessionRow(c.env.DB, id);
  await publishToFeed(c.env, c.req.param("ws")!, { type: "removed", sessionId: id });
  return c.body(null, 204);
});

/** The caller has looked at the session (its page is open): what happened to it until now is read, for them. */
sessionRoutes.post("/:id/seen", async (c) => {
  const id = await sessionIdOfPath(c);
  await markSeen(c.env.DB, c.var.user.id, id, Date.now());
  return c.body(null, 204);
});

const actorOf = (c: Context<AppEnv>): Actor => ({ id: c.var.user.id, name: c.var.user.name });

const cloneName = (name: string) => `${name.slice(0, 93)} (copy)`;
