// Roles and users are the API's vocabulary (worker/protocol/workspace.ts); the database stores the same.
import type { Role, User } from "../protocol/workspace";
export { RoleSchema, type Role, type User } from "../protocol/workspace";

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
  /** The month's spend that stops its sessions (migrations/0006); null: none. */
  monthlyBudgetUsd: number | null;
}

/** Who is making a request and with what: the API token's id, and when the credential stops being valid. */
export interface Credential {
  user: User;
  /** Set when an API token was presented. */
  tokenId: string | null;
  /** When the credential expires (ms since the epoch): an Access JWT's `exp`; null when it does not. */
  expiresAt: number | null;
}

/** A secret as D1 stores it: sealed with AES-GCM by secrets/crypto.ts, never in the clear. */
export interface Sealed {
  ciphertext: string;
  iv: string;
}
