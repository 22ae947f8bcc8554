import { z } from "zod";

export const RoleSchema = z.enum(["owner", "editor", "viewer"]);
export type Role = z.infer<typeof RoleSchema>;

export interface User {
  id: string;
  name: string;
  email: string | null;
}

export interface Member {
  workspaceId: string;
  userId: string;
  role: Role;
}

export interface Workspace {
  id: string;
  name: string;
  createdAt: number;
  /** A Running session idle this long is stopped (reason `idle`). */
  idleStopMinutes: number;
}

/** Who is making a request and with what: the API token's id, and when the credential stops being valid. */
export interface Credential {
  user: User;
  /** Set when an API token was presented. */
  tokenId: string | null;
  /** When the credential expires (ms since the epoch): an Access JWT's `exp`; null when it does not. */
  expiresAt: number | null;
}
