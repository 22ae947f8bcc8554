-- Users, workspaces and their members, API tokens, and the index of sessions (the SessionRoom DO is
-- the truth for a session; this row follows every phase change so lists are one query).
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT UNIQUE,
  created_at INTEGER NOT NULL
);

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL
);

CREATE TABLE members (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_by_user ON members(user_id);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('Pending', 'Creating', 'Running', 'Stopping', 'Stopped', 'Completed', 'Failed')),
  agent_status TEXT NOT NULL DEFAULT 'idle',
  model TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  origin TEXT NOT NULL DEFAULT '{"kind":"person"}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- Newest first within a workspace, with a stable tie-break for cursor pagination.
CREATE INDEX sessions_by_workspace ON sessions(workspace_id, created_at DESC, id DESC);
CREATE INDEX sessions_by_workspace_phase ON sessions(workspace_id, phase, created_at DESC, id DESC);
