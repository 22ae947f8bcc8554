-- A workspace's own workflows (SPEC §10): a system-prompt addition and a first-message template under a
-- slug name. Built-ins live in code (worker/protocol/workflows.ts) and are never stored here.
CREATE TABLE workflows (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  title TEXT NOT NULL,
  system_prompt TEXT NOT NULL,
  first_message TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
-- The session index names its workflow, so a workflow in use is found without asking every room.
ALTER TABLE sessions ADD COLUMN workflow TEXT;
CREATE INDEX sessions_by_workflow ON sessions(workspace_id, workflow);
-- The pull request a push opened (SPEC §10), shown on the session list.
ALTER TABLE sessions ADD COLUMN pull_request_url TEXT;
