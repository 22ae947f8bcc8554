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
