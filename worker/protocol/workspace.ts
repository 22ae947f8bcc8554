/**
 * People, workspaces, members and secrets as the API speaks them: the answers the Worker
 * builds and the bodies it accepts. web/ imports this file: no Worker-runtime imports.
 */
import { z } from "zod";
import { MIN_SECRET_LENGTH } from "./redaction";
import { LIMITS } from "./session-config";

export const RoleSchema = z.enum(["owner", "editor", "viewer"]);
export type Role = z.infer<typeof RoleSchema>;

export const UserSchema = z.object({ id: z.string(), name: z.string(), email: z.string().nullable() });
export type User = z.infer<typeof UserSchema>;

/** A workspace as one of its members sees it: with their role. */
export const WorkspaceSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  createdAt: z.int(),
  /** A Running session idle this long is stopped (reason `idle`). */
  idleStopMinutes: z.int(),
  /** The most the workspace may spend on models a calendar month (UTC), in US dollars; null: no budget. */
  monthlyBudgetUsd: z.number().nullable(),
});
export type Workspace = z.infer<typeof WorkspaceSchema>;

/** A member as the members list shows them. */
export const MemberSchema = z.object({
  userId: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  role: RoleSchema,
  createdAt: z.int(),
});
export type Member = z.infer<typeof MemberSchema>;

/**
 * Who a secret reaches: `agent`, the agent's environment from Creating (so anyone who can prompt the agent,
 * every editor and any injected instruction, can read it); `integration`, the Worker alone (an export's
 * token), never an agent.
 */
export const SecretScopeSchema = z.enum(["agent", "integration"]);
export type SecretScope = z.infer<typeof SecretScopeSchema>;

/** Secrets only the Worker uses: their scope is `integration` unless the owner says otherwise. */
const INTEGRATION_SECRETS = new Set(["GOOGLE_DRIVE_TOKEN"]);
export const defaultSecretScope = (name: string): SecretScope =>
  INTEGRATION_SECRETS.has(name) ? "integration" : "agent";

/**
 * An invitation: a member added by email, until the person with that email comes (signs in, or opens
 * anything of the workspace). Adding answers with one whether or not the email has an account.
 */
export const InvitationSchema = z.object({
  email: z.string(),
  role: RoleSchema,
  /** The name of the owner who invited. */
  invitedBy: z.string(),
  createdAt: z.int(),
});
export type Invitation = z.infer<typeof InvitationSchema>;

/** A workspace secret as listed: its value never leaves the server. */
export const SecretSchema = z.object({ name: z.string(), scope: SecretScopeSchema, updatedAt: z.int() });
export type Secret = z.infer<typeof SecretSchema>;

export const DevSignInSchema = z.strictObject({ name: z.string().trim().min(1).max(100) });

const WorkspaceName = z.string().trim().min(1).max(100);
export const CreateWorkspaceSchema = z.strictObject({ name: WorkspaceName });
/** Workspace settings: owners only. */
export const UpdateWorkspaceSchema = z
  .strictObject({
    name: WorkspaceName.optional(),
    idleStopMinutes: z
      .number()
      .int()
      .min(LIMITS.idleStopMinutes.min)
      .max(LIMITS.idleStopMinutes.max)
      .optional(),
    /** null removes the budget. */
    monthlyBudgetUsd: z.number().positive().max(1_000_000).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "nothing to change");
export type WorkspacePatch = z.input<typeof UpdateWorkspaceSchema>;

/**
 * `user` is the person's exact email. Only an email: a display name (or id) would let an owner learn the
 * email of anyone who ever signed in, from the member added.
 */
export const AddMemberSchema = z.strictObject({
  user: z.email({ error: "must be the person's email" }).max(320),
  role: RoleSchema,
});
export const ChangeRoleSchema = z.strictObject({ role: RoleSchema });
export const InvitationParamsSchema = z.object({ email: z.email().max(320) });

/** Secret names are environment variable names: they become the agent's environment. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const SecretNameSchema = z
  .string()
  .regex(SECRET_NAME, "must be an environment variable name (letters, digits, underscores)");
/** A value shorter than MIN_SECRET_LENGTH cannot be redacted reliably (it would match ordinary text): refused. */
export const PutSecretSchema = z.strictObject({
  value: z
    .string()
    .min(
      MIN_SECRET_LENGTH,
      `must be at least ${MIN_SECRET_LENGTH} characters: shorter values cannot be kept out of transcripts reliably`,
    )
    .max(64 * 1024),
  /** Absent: the secret keeps its scope, or a new one takes `defaultSecretScope`. */
  scope: SecretScopeSchema.optional(),
});
