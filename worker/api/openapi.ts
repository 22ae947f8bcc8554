import { z } from "zod";
import { newApp } from "../http/app";
import { ERROR_CODES } from "../http/errors";
import { PHASES } from "../protocol/lifecycle";
import {
  ArtifactSchema,
  CreateSessionSchema,
  DriveExportSchema,
  MessageAcceptedSchema,
  MessageSchema,
  RoomTicketSchema,
  SessionEventSchema,
  SessionListItemSchema,
  SessionViewSchema,
  UpdateSessionSchema,
  DecisionSchema,
  ApprovalDecidedSchema,
} from "../protocol/session";
import {
  CreateTriggerSchema,
  DeliverySchema,
  PutCallbackSchema,
  TriggerSchema,
  WorkspaceCallbackSchema,
} from "../protocol/triggers";
import {
  AddMemberSchema,
  ChangeRoleSchema,
  CreateWorkspaceSchema,
  DevSignInSchema,
  InvitationSchema,
  MemberSchema,
  PutSecretSchema,
  SecretSchema,
  UpdateWorkspaceSchema,
  UserSchema,
  WorkspaceSchema,
} from "../protocol/workspace";
import { ChangesSchema, PushResultSchema, PushSchema } from "../protocol/git";
import { INBOX_STATUSES, InboxCountsSchema, SESSION_ORDERS } from "../protocol/inbox";
import { EnvironmentSchema, WorkspaceEnvironmentSchema } from "../protocol/environment";
import { CreateWorkflowSchema, UpdateWorkflowSchema, WorkspaceWorkflowSchema } from "../protocol/workflows";
import { CreateMcpServerSchema, McpServerSchema, UpdateMcpServerSchema } from "../protocol/mcp-servers";
import { CreateTokenSchema } from "./tokens";
import { ModelViewSchema } from "../protocol/models";
import { WorkspaceUsageSchema } from "../protocol/usage";
import { ExportToDriveSchema } from "./exports";
import { CreateShareSchema, CreatedShareSchema, GuestViewSchema, ShareSchema } from "../protocol/shares";
import {
  CreateScheduleSchema,
  RunStartedSchema,
  ScheduleRunSchema,
  ScheduleSchema,
  UpdateScheduleSchema,
} from "../protocol/schedules";

// The responses are the protocol's schemas (worker/protocol): the handlers are typed by the same ones.
const schemas = {
  Error: z.object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      field: z.string().optional(),
      phase: z.enum(PHASES).optional(),
      successor: z.string().optional(),
    }),
  }),
  User: UserSchema,
  ApiToken: z.object({
    id: z.string(),
    name: z.string(),
    createdAt: z.int(),
    lastUsedAt: z.int().nullable(),
  }),
  Workspace: WorkspaceSchema,
  Member: MemberSchema,
  Invitation: InvitationSchema,
  Session: SessionViewSchema,
  SessionListItem: SessionListItemSchema,
  InboxCounts: InboxCountsSchema,
  SessionEvent: SessionEventSchema,
  Artifact: ArtifactSchema,
  MessageAccepted: MessageAcceptedSchema,
  RoomTicket: RoomTicketSchema,
  DriveExport: DriveExportSchema,
  Secret: SecretSchema,
  Trigger: TriggerSchema,
  Delivery: DeliverySchema,
  WorkspaceCallback: WorkspaceCallbackSchema,
  Share: ShareSchema,
  CreatedShare: CreatedShareSchema,
  GuestView: GuestViewSchema,
  Schedule: ScheduleSchema,
  ScheduleRun: ScheduleRunSchema,
  RunStarted: RunStartedSchema,
  Workflow: WorkspaceWorkflowSchema,
  McpServer: McpServerSchema,
  Changes: ChangesSchema,
  PushResult: PushResultSchema,
  Model: ModelViewSchema,
  ApprovalDecided: ApprovalDecidedSchema,
  WorkspaceUsage: WorkspaceUsageSchema,
  Environment: WorkspaceEnvironmentSchema,
};

const bodies = {
  DevSignIn: DevSignInSchema,
  CreateToken: CreateTokenSchema,
  CreateWorkspace: CreateWorkspaceSchema,
  UpdateWorkspace: UpdateWorkspaceSchema,
  AddMember: AddMemberSchema,
  ChangeRole: ChangeRoleSchema,
  CreateSession: CreateSessionSchema,
  UpdateSession: UpdateSessionSchema,
  Decision: DecisionSchema,
  Message: MessageSchema,
  ExportToDrive: ExportToDriveSchema,
  PutSecret: PutSecretSchema,
  CreateTrigger: CreateTriggerSchema,
  PutCallback: PutCallbackSchema,
  CreateShare: CreateShareSchema,
  CreateSchedule: CreateScheduleSchema,
  UpdateSchedule: UpdateScheduleSchema,
  CreateWorkflow: CreateWorkflowSchema,
  UpdateWorkflow: UpdateWorkflowSchema,
  CreateMcpServer: CreateMcpServerSchema,
  UpdateMcpServer: UpdateMcpServerSchema,
  Push: PushSchema,
  PutEnvironment: EnvironmentSchema,
};

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

/**
 * Who may call an operation, for machines (the attack suite checks every route against it): anyone; any
 * signed-in person; the person the resource belongs to (their own API token); a workspace member; an
 * owner or editor; an owner; or whoever holds the trigger's signing secret.
 */
type Access = "public" | "signedIn" | "self" | "member" | "editor" | "owner" | "signature";

interface Operation {
  summary: string;
  /** Who may call it. */
  who: string;
  access: Access;
  body?: keyof typeof bodies;
  query?: string[];
  /** Query parameters that take one of a few words: the words, so a client knows them. */
  queryValues?: Record<string, readonly string[]>;
  responses: Record<number, string | [string, object]>;
  public?: boolean;
}

const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
const list = (key: string, name: keyof typeof schemas, extra: object = {}) => ({
  type: "object",
  required: [key],
  properties: { [key]: { type: "array", items: ref(name) }, ...extra },
});
const one = (key: string, name: keyof typeof schemas) => ({
  type: "object",
  required: [key],
  properties: { [key]: ref(name) },
});
const file = (mime: string) => ({ [mime]: { schema: { type: "string", format: "binary" } } });

function operation(op: Operation, path: string) {
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const queryParams = (op.query ?? []).map((name) => ({
    name,
    in: "query",
    required: false,
    schema: { type: "string", ...(op.queryValues?.[name] && { enum: op.queryValues[name] }) },
  }));
  const responses: Record<string, object> = {};
  for (const [status, spec] of Object.entries(op.responses)) {
    const [description, content] = typeof spec === "string" ? [spec, undefined] : spec;
    const isFile = content && Object.keys(content).some((key) => key.includes("/"));
    responses[status] = {
      description,
      ...(content && { content: isFile ? content : { "application/json": { schema: content } } }),
    };
  }
  responses.default = { description: "error", content: { "application/json": { schema: ref("Error") } } };
  return {
    summary: op.summary,
    description: `Who: ${op.who}.`,
    "x-tandem-access": op.access,
    ...(op.public && { security: [] }),
    ...(pathParams.length + queryParams.length > 0 && { parameters: [...pathParams, ...queryParams] }),
    ...(op.body && {
      requestBody: {
        required: true,
        content: { "application/json": { schema: { $ref: `#/components/schemas/${op.body}` } } },
      },
    }),
    responses,
  };
}

const ws = "/api/workspaces/{ws}";
const s = `${ws}/sessions/{id}`;
const routes: Record<string, Partial<Record<"get" | "post" | "put" | "patch" | "delete", Operation>>> = {
  "/api/auth/dev": {
    post: {
      summary: "Dev sign-in",
      who: "anyone, only when AUTH_MODE=dev",
      access: "public",
      body: "DevSignIn",
      public: true,
      responses: { 200: ["signed in; sets the session cookie", one("user", "User")] },
    },
  },
  "/api/auth/signout": {
    post: {
      summary: "Sign out (clears the dev cookie)",
      who: "anyone",
      access: "public",
      public: true,
      responses: { 204: "signed out" },
    },
  },
  "/api/me": {
    get: {
      summary: "The signed-in user",
      who: "signed in",
      access: "signedIn",
      responses: { 200: ["the user", one("user", "User")] },
    },
  },
  "/api/tokens": {
    post: {
      summary: "Create an API token",
      who: "signed in",
      access: "signedIn",
      body: "CreateToken",
      responses: {
        201: [
          "the token, shown only this once",
          {
            type: "object",
            required: ["id", "token", "name", "createdAt"],
            properties: {
              id: { type: "string" },
              token: { type: "string" },
              name: { type: "string" },
              createdAt: { type: "integer" },
            },
          },
        ],
      },
    },
    get: {
      summary: "List my API tokens (never their secrets)",
      who: "signed in",
      access: "signedIn",
      responses: { 200: ["tokens", list("tokens", "ApiToken")] },
    },
  },
  "/api/models": {
    get: {
      summary:
        "The model catalog: the default, each model's end of life, successor, limits, prices and capabilities (thinking mode, effort levels and default)",
      who: "signed in",
      access: "signedIn",
      responses: { 200: ["models", list("models", "Model")] },
    },
  },
  "/api/tokens/{id}": {
    delete: {
      summary: "Revoke an API token",
      who: "signed in (own tokens)",
      access: "self",
      responses: { 204: "revoked" },
    },
  },
  "/api/workspaces": {
    post: {
      summary: "Create a workspace (the creator is its owner)",
      who: "signed in",
      access: "signedIn",
      body: "CreateWorkspace",
      responses: { 201: ["created", one("workspace", "Workspace")] },
    },
    get: {
      summary: "My workspaces, with my role",
      who: "signed in",
      access: "signedIn",
      responses: { 200: ["workspaces", list("workspaces", "Workspace")] },
    },
  },
  [ws]: {
    get: {
      summary: "A workspace",
      who: "member",
      access: "member",
      responses: { 200: ["the workspace", one("workspace", "Workspace")] },
    },
    patch: {
      summary: "Change the workspace's settings (name, idleStopMinutes 1–1440)",
      who: "owner",
      access: "owner",
      body: "UpdateWorkspace",
      responses: { 200: ["changed", one("workspace", "Workspace")] },
    },
  },
  [`${ws}/usage`]: {
    get: {
      summary:
        "Token usage and cost per day (UTC) and model, from–to inclusive (default the last 30 days, at most 366), and the month's spend against the budget",
      who: "member",
      access: "member",
      query: ["from", "to"],
      responses: { 200: ["usage", ref("WorkspaceUsage")] },
    },
  },
  [`${ws}/members`]: {
    get: {
      summary: "Members with roles, and the invitations not taken up yet",
      who: "member",
      access: "member",
      responses: {
        200: [
          "members and invitations",
          list("members", "Member", { invitations: { type: "array", items: ref("Invitation") } }),
        ],
      },
    },
    post: {
      summary:
        "Invite a member by their exact email (never by name or id): the same answer whether or not the email has an account; it becomes a membership when that person next signs in or opens the workspace. An email that is a member's already: 409 already_member",
      who: "owner",
      access: "owner",
      body: "AddMember",
      responses: { 201: ["invited", one("invitation", "Invitation")] },
    },
  },
  [`${ws}/invitations/{email}`]: {
    delete: {
      summary: "Withdraw an invitation not taken up yet",
      who: "owner",
      access: "owner",
      responses: { 204: "withdrawn" },
    },
  },
  [`${ws}/members/{userId}`]: {
    patch: {
      summary: "Change a member's role (a workspace keeps one owner)",
      who: "owner",
      access: "owner",
      body: "ChangeRole",
      responses: { 200: ["changed", one("member", "Member")] },
    },
    delete: {
      summary: "Remove a member (a workspace keeps one owner)",
      who: "owner",
      access: "owner",
      responses: { 204: "removed" },
    },
  },
  [`${ws}/sessions`]: {
    post: {
      summary: "Create a session",
      who: "owner, editor",
      access: "editor",
      body: "CreateSession",
      responses: { 201: ["created", one("session", "Session")] },
    },
    get: {
      summary:
        "Sessions, newest first (order=newest, the default) or waiting for a person first, then the latest activity " +
        "(order=attention; a cursor is for the order it came with), each with its inbox status, last activity and when the caller last looked (seenAt); " +
        "filtered by phase or status (waiting, working, idle, ended), searched by name or first prompt (q, 1–100 characters); " +
        "counts are the status chips' over the workspace with the search applied. The same rows, as they change, come on " +
        "the workspace's feed: a WebSocket at GET /api/workspaces/{ws}/feed (members; frames {type:'session',session}, " +
        "{type:'removed',sessionId}; a client may send only {type:'ping'})",
      who: "member",
      access: "member",
      query: ["phase", "status", "q", "order", "cursor", "limit"],
      queryValues: { phase: PHASES, status: INBOX_STATUSES, order: SESSION_ORDERS },
      responses: {
        200: [
          "a page",
          list("sessions", "SessionListItem", {
            nextCursor: { type: ["string", "null"] },
            counts: ref("InboxCounts"),
          }),
        ],
      },
    },
  },
  [s]: {
    get: {
      summary: "A session",
      who: "member",
      access: "member",
      responses: { 200: ["the session", one("session", "Session")] },
    },
    patch: {
      summary: "Edit a session that is not running",
      who: "owner, editor",
      access: "editor",
      body: "UpdateSession",
      responses: { 200: ["updated", one("session", "Session")] },
    },
    delete: {
      summary: "Delete a session and all its data",
      who: "owner, editor",
      access: "editor",
      responses: { 204: "deleted" },
    },
  },
  [`${s}/seen`]: {
    post: {
      summary:
        "Mark the session seen by the caller now: what happened to it until now is no longer unread for them",
      who: "member",
      access: "member",
      responses: { 204: "seen" },
    },
  },
  [`${s}/ticket`]: {
    get: {
      summary:
        "A room ticket: a signed pass to the session's WebSocket for 60 s (/parties/session-room/{id}?ticket=…), checked at the upgrade without a database read",
      who: "member",
      access: "member",
      responses: {
        200: ["the ticket and the socket's path", ref("RoomTicket")],
        503: "AUTH_SECRET is not set, so no ticket can be signed",
      },
    },
  },
  [`${s}/events`]: {
    get: {
      summary: "The session's events",
      who: "member",
      access: "member",
      responses: { 200: ["events", list("events", "SessionEvent")] },
    },
  },
  [`${s}/transcript`]: {
    get: {
      summary: "The transcript as JSON",
      who: "member",
      access: "member",
      responses: { 200: ["messages", { type: "object", properties: { messages: { type: "array" } } }] },
    },
  },
  [`${s}/messages`]: {
    post: {
      summary: "Send a message (queued while the agent works)",
      who: "owner, editor",
      access: "editor",
      body: "Message",
      responses: { 202: ["accepted", ref("MessageAccepted")] },
    },
  },
  [`${s}/stop`]: {
    post: {
      summary: "Stop (Running → Stopping → Stopped)",
      who: "owner, editor",
      access: "editor",
      responses: { 202: ["stopping", one("session", "Session")] },
    },
  },
  [`${s}/resume`]: {
    post: {
      summary:
        "Resume a Stopped, Failed or Completed session (a new run: the saved workspace, never a new clone)",
      who: "owner, editor",
      access: "editor",
      responses: { 202: ["resuming", one("session", "Session")] },
    },
  },
  [`${s}/approve`]: {
    post: {
      summary: "Approve a session that waits for approval (started by a trigger with requireApproval)",
      who: "owner, editor",
      access: "editor",
      responses: { 202: ["starting", one("session", "Session")] },
    },
  },
  [`${s}/approvals/{approvalId}`]: {
    post: {
      summary:
        "Decide an approval of the transcript (a tool call in `ask`, a plan in `plan`): the first answer wins",
      who: "owner, editor",
      access: "editor",
      body: "Decision",
      responses: {
        200: ["decided", one("approval", "ApprovalDecided")],
        404: "no such approval in this session",
        409: "already_decided: someone answered first, or the call is gone",
      },
    },
  },
  [`${s}/clone`]: {
    post: {
      summary: "A new session with the same configuration and repositories",
      who: "owner, editor",
      access: "editor",
      responses: { 201: ["the clone", one("session", "Session")] },
    },
  },
  [`${s}/export`]: {
    get: {
      summary: "Export the transcript",
      who: "member",
      access: "member",
      query: ["format"],
      responses: { 200: ["the file", { ...file("text/markdown"), ...file("application/pdf") }] },
    },
    post: {
      summary: "Upload the transcript to Google Drive",
      who: "member",
      access: "member",
      body: "ExportToDrive",
      responses: { 200: ["uploaded", ref("DriveExport")] },
    },
  },
  [`${s}/changes`]: {
    get: {
      summary:
        "What the agent changed in each repository: files with status and +/- counts, and the unified diff (cut at 256 KB with a marker), against the cloned commit, uncommitted and new files included. Asks the running agent: 409 agent_not_running in other phases",
      who: "member",
      access: "member",
      responses: { 200: ["the changes", ref("Changes")] },
    },
  },
  [`${s}/push`]: {
    post: {
      summary:
        "Commit what changed on a new branch (default tandem/<display name>), push it with the workspace's GITHUB_TOKEN, optionally open a pull request through GITHUB_API_URL. Running with the agent idle (else 409 agent_not_running / agent_busy); no token 400 github_token_missing; nothing changed 409 nothing_to_push; refused push 409 push_rejected (git's message); GitHub's refusal 502 github_error (its message)",
      who: "owner, editor",
      access: "editor",
      body: "Push",
      responses: { 200: ["pushed", ref("PushResult")] },
    },
  },
  [`${s}/artifacts`]: {
    get: {
      summary: "The session's artifacts",
      who: "member",
      access: "member",
      responses: { 200: ["artifacts", list("artifacts", "Artifact")] },
    },
  },
  [`${s}/artifacts/{name}`]: {
    get: {
      summary: "One artifact, with the content type it was stored with",
      who: "member",
      access: "member",
      responses: { 200: ["the file", file("*/*")] },
    },
  },
  [`${ws}/secrets`]: {
    get: {
      summary: "Secret names and scopes (never values)",
      who: "owner",
      access: "owner",
      responses: { 200: ["secrets", list("secrets", "Secret")] },
    },
  },
  [`${ws}/secrets/{name}`]: {
    put: {
      summary:
        "Set a secret: its value and scope (agent: in the agent's environment, readable by anyone who can prompt the agent; integration: the Worker's alone). Without a scope an existing secret keeps its own, a new one is agent (GOOGLE_DRIVE_TOKEN integration)",
      who: "owner",
      access: "owner",
      body: "PutSecret",
      responses: { 204: "stored" },
    },
    delete: { summary: "Delete a secret", who: "owner", access: "owner", responses: { 204: "deleted" } },
  },
  [`${ws}/triggers`]: {
    get: {
      summary: "Webhook triggers",
      who: "owner",
      access: "owner",
      responses: { 200: ["triggers", list("triggers", "Trigger")] },
    },
    post: {
      summary: "Create a webhook trigger (its secret shown once)",
      who: "owner",
      access: "owner",
      body: "CreateTrigger",
      responses: {
        201: [
          "created",
          {
            ...one("trigger", "Trigger"),
            properties: { trigger: ref("Trigger"), secret: { type: "string" } },
          },
        ],
      },
    },
  },
  [`${ws}/triggers/{id}`]: {
    get: {
      summary: "A trigger",
      who: "owner",
      access: "owner",
      responses: { 200: ["the trigger", one("trigger", "Trigger")] },
    },
    delete: { summary: "Delete a trigger", who: "owner", access: "owner", responses: { 204: "deleted" } },
  },
  [`${ws}/callback`]: {
    get: {
      summary: "The workspace's phase-change callback",
      who: "owner",
      access: "owner",
      responses: {
        200: [
          "the callback or null",
          {
            type: "object",
            required: ["callback"],
            properties: { callback: { oneOf: [ref("WorkspaceCallback"), { type: "null" }] } },
          },
        ],
      },
    },
    put: {
      summary: "Set the callback (its signing secret shown once)",
      who: "owner",
      access: "owner",
      body: "PutCallback",
      responses: {
        200: [
          "set",
          {
            type: "object",
            required: ["callback", "secret"],
            properties: { callback: ref("WorkspaceCallback"), secret: { type: "string" } },
          },
        ],
      },
    },
    delete: { summary: "Remove the callback", who: "owner", access: "owner", responses: { 204: "removed" } },
  },
  [`${ws}/triggers/{id}/deliveries`]: {
    get: {
      summary: "A trigger's deliveries and outcomes",
      who: "owner",
      access: "owner",
      responses: { 200: ["deliveries", list("deliveries", "Delivery")] },
    },
  },
  [`${ws}/workflows`]: {
    get: {
      summary: "Workflows: the built-ins (builtIn: true, not editable) and the workspace's own",
      who: "member",
      access: "member",
      responses: { 200: ["workflows", list("workflows", "Workflow")] },
    },
    post: {
      summary:
        "Create a workflow (slug name, title, system-prompt addition, first-message template with {{prompt}})",
      who: "owner, editor",
      access: "editor",
      body: "CreateWorkflow",
      responses: {
        201: ["created", one("workflow", "Workflow")],
        409: "the workspace has a workflow of that name (exists); a built-in's name is a 400",
      },
    },
  },
  [`${ws}/workflows/{name}`]: {
    get: {
      summary: "A workflow (built-in or the workspace's)",
      who: "member",
      access: "member",
      responses: { 200: ["the workflow", one("workflow", "Workflow")] },
    },
    put: {
      summary: "Change a workspace workflow (a built-in: 409 workflow_builtin)",
      who: "owner, editor",
      access: "editor",
      body: "UpdateWorkflow",
      responses: { 200: ["changed", one("workflow", "Workflow")] },
    },
    delete: {
      summary:
        "Delete a workspace workflow; one that sessions use needs ?force=true (else 409 workflow_in_use naming how many)",
      who: "owner, editor",
      access: "editor",
      query: ["force"],
      responses: { 204: "deleted" },
    },
  },
  [`${ws}/environment`]: {
    get: {
      summary:
        "The workspace's environment: the setup script new sessions run in Creating, and its non-secret variables",
      who: "owner, editor",
      access: "editor",
      responses: { 200: ["the environment", one("environment", "Environment")] },
    },
    put: {
      summary:
        "Set the environment (setupScript ≤ 64 KB; env names [A-Z_][A-Z0-9_]*, none a secret's name or Tandem's own: 400 naming the field)",
      who: "owner",
      access: "owner",
      body: "PutEnvironment",
      responses: { 200: ["set", one("environment", "Environment")] },
    },
  },
  [`${ws}/mcp-servers`]: {
    get: {
      summary:
        "MCP servers every new session connects to: header names only (owners also see which secret each header names; literal values never)",
      who: "member",
      access: "member",
      responses: { 200: ["MCP servers", list("mcpServers", "McpServer")] },
    },
    post: {
      summary:
        "Add an MCP server (slug name; https URL, no private, loopback or link-local host outside dev; headers: literal or secret:NAME of an existing secret)",
      who: "owner",
      access: "owner",
      body: "CreateMcpServer",
      responses: {
        201: ["created", one("mcpServer", "McpServer")],
        409: "the workspace has an MCP server of that name (exists)",
      },
    },
  },
  [`${ws}/mcp-servers/{name}`]: {
    put: {
      summary: "Replace an MCP server's URL, transport and headers",
      who: "owner",
      access: "owner",
      body: "UpdateMcpServer",
      responses: { 200: ["changed", one("mcpServer", "McpServer")] },
    },
    delete: {
      summary: "Remove an MCP server (sessions started later do not connect to it)",
      who: "owner",
      access: "owner",
      responses: { 204: "deleted" },
    },
  },
  "/webhooks/{triggerId}": {
    post: {
      summary: "Deliver a webhook (X-Hub-Signature-256: HMAC-SHA256 of the raw body)",
      who: "signed with the trigger's secret",
      access: "signature",
      public: true,
      responses: {
        202: [
          "a session was started",
          { type: "object", properties: { sessionId: { type: "string" }, url: { type: "string" } } },
        ],
        200: "skipped by the trigger's filter ({skipped}), or a repeated delivery ({sessionId, url, duplicate: true})",
        400: "the body is not JSON",
        401: "bad or missing signature",
        413: "payload too large",
      },
    },
  },
  [`${s}/shares`]: {
    post: {
      summary:
        "Create a read-only share link for guests (its token shown once in the url; expiresInHours 1–720, none: until revoked)",
      who: "owner, editor",
      access: "editor",
      body: "CreateShare",
      responses: { 201: ["created", one("share", "CreatedShare")] },
    },
    get: {
      summary: "The session's live share links (never their tokens)",
      who: "member",
      access: "member",
      responses: { 200: ["share links", list("shares", "Share")] },
    },
  },
  [`${s}/shares/{shareId}`]: {
    delete: {
      summary: "Revoke a share link (its guests' sockets close at once)",
      who: "owner, editor",
      access: "editor",
      responses: { 204: "revoked" },
    },
  },
  "/api/shares/{token}": {
    get: {
      summary: "A shared session as a guest sees it: no workspace data, phase changes only",
      who: "anyone with a live share link",
      access: "public",
      public: true,
      responses: { 200: ["the guest view", ref("GuestView")] },
    },
  },
  "/api/shares/{token}/export": {
    get: {
      summary: "A shared session's transcript as Markdown",
      who: "anyone with a live share link",
      access: "public",
      public: true,
      query: ["format"],
      responses: { 200: ["the file", file("text/markdown")] },
    },
  },
  [`${ws}/schedules`]: {
    post: {
      summary:
        "Create a schedule: a 5-field cron in an IANA time zone (runs at least 5 minutes apart), the create-session body, the first message",
      who: "owner, editor",
      access: "editor",
      body: "CreateSchedule",
      responses: { 201: ["created", one("schedule", "Schedule")] },
    },
    get: {
      summary: "Schedules, with their next run",
      who: "member",
      access: "member",
      responses: { 200: ["schedules", list("schedules", "Schedule")] },
    },
  },
  [`${ws}/schedules/{id}`]: {
    get: {
      summary: "A schedule and its last runs (time, session, outcome), newest first",
      who: "member",
      access: "member",
      responses: {
        200: [
          "the schedule",
          {
            type: "object",
            required: ["schedule", "runs"],
            properties: { schedule: ref("Schedule"), runs: { type: "array", items: ref("ScheduleRun") } },
          },
        ],
      },
    },
    patch: {
      summary: "Edit a schedule; enabled: false pauses it",
      who: "owner, editor",
      access: "editor",
      body: "UpdateSchedule",
      responses: { 200: ["changed", one("schedule", "Schedule")] },
    },
    delete: {
      summary: "Delete a schedule (its sessions stay)",
      who: "owner, editor",
      access: "editor",
      responses: { 204: "deleted" },
    },
  },
  [`${ws}/schedules/{id}/run`]: {
    post: {
      summary: "Run a schedule now, as the caller",
      who: "owner, editor",
      access: "editor",
      responses: { 202: ["started", ref("RunStarted")] },
    },
  },
  "/api/openapi.json": {
    get: {
      summary: "This document",
      who: "anyone",
      access: "public",
      public: true,
      responses: { 200: ["OpenAPI 3.1", { type: "object", required: ["openapi", "paths", "components"] }] },
    },
  },
};

function buildDocument() {
  const paths: Record<string, Record<string, object>> = {};
  for (const [path, methods] of Object.entries(routes)) {
    paths[path] = Object.fromEntries(
      Object.entries(methods).map(([method, op]) => [method, operation(op, path)]),
    );
  }
  const components = {
    schemas: {
      ...Object.fromEntries(
        Object.entries(schemas).map(([name, schema]) => [name, jsonSchema(schema, "output")]),
      ),
      ...Object.fromEntries(
        Object.entries(bodies).map(([name, schema]) => [name, jsonSchema(schema, "input")]),
      ),
    },
    securitySchemes: {
      cookie: {
        type: "apiKey",
        in: "cookie",
        name: "tandem_dev_session",
        description: "dev sign-in (AUTH_MODE=dev)",
      },
      bearer: {
        type: "http",
        scheme: "bearer",
        description:
          "an API token (tdm_…); also accepted as ?token= on WebSockets, which also take a room ticket as ?ticket=",
      },
      access: {
        type: "apiKey",
        in: "header",
        name: "Cf-Access-Jwt-Assertion",
        description: "Cloudflare Access (AUTH_MODE=access)",
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Tandem API",
      version: "1.0.0",
      description:
        "Errors are always {error:{code,message,field?}}. Non-members get 404 for anything in a workspace. JSON bodies need " +
        "Content-Type: application/json (else 415) and at most 1 MiB (else 413). A cookie-authenticated change from another " +
        "site's page is 403 (cross_site_request). Session creations and messages (per person) and webhook deliveries (per " +
        "trigger) are rate limited: 429 with Retry-After. x-tandem-access names who may call each operation.",
    },
    servers: [{ url: "/" }],
    security: [{ cookie: [] }, { bearer: [] }, { access: [] }],
    paths,
    components,
  };
}

let document: ReturnType<typeof buildDocument> | undefined;

/** GET /api/openapi.json, public. */
export const openapiRoutes = newApp().get("/", (c) => c.json((document ??= buildDocument())));
