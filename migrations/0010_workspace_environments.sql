-- The environment of a workspace (SPEC §10): the setup script a session runs in Creating after the clone,
-- and the non-secret variables (a JSON object) every session's processes get. One row a workspace, set by
-- its owners with PUT /api/workspaces/:ws/environment; no row is the empty environment.
CREATE TABLE workspace_environments (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  setup_script TEXT NOT NULL,
  env TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);
