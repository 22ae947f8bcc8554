/** A workspace's pages, in the order the navigation and the palette list them. */
import type { Role } from "#lib/api.ts";

export interface WorkspacePage {
  /** The path below /w/<ws> ("" for the session list). */
  path: string;
  label: string;
  /** Who sees the page in the navigation (the API refuses the others anyway). */
  roles?: readonly Role[];
}

const OPERATORS: readonly Role[] = ["owner", "editor"];
const OWNERS: readonly Role[] = ["owner"];

export const WORKSPACE_PAGES: readonly WorkspacePage[] = [
  { path: "", label: "Sessions" },
  { path: "schedules", label: "Schedules" },
  { path: "triggers", label: "Triggers", roles: OWNERS },
  { path: "workflows", label: "Workflows" },
  { path: "environment", label: "Environment", roles: OPERATORS },
  { path: "mcp", label: "MCP servers" },
  { path: "secrets", label: "Secrets", roles: OWNERS },
  { path: "members", label: "Members" },
  { path: "usage", label: "Usage" },
  { path: "settings", label: "Settings" },
];

export function pageHref(wsId: string, path: string): string {
  return `/w/${encodeURIComponent(wsId)}${path ? `/${path}` : ""}`;
}

/** The workspace page a pathname is on ("" for the list), or null outside any (a session's page). */
export function currentPage(pathname: string, wsId: string): string | null {
  const base = pageHref(wsId, "");
  if (pathname === base || pathname === `${base}/`) return "";
  const rest = pathname.startsWith(`${base}/`) ? pathname.slice(base.length + 1).split("/")[0] : null;
  return WORKSPACE_PAGES.some((p) => p.path === rest) ? (rest as string) : null;
}

export function visiblePages(role: Role | undefined): WorkspacePage[] {
  return WORKSPACE_PAGES.filter((p) => !p.roles || (role !== undefined && p.roles.includes(role)));
}
