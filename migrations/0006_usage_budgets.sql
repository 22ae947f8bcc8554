-- Issue 13: token usage per turn, a workspace's monthly budget, and the budget alerts sent.

-- One row a turn of a session, reported by its room (worker/session/usage-ledger.ts). Keyed by the turn's agent
-- frame, so a report sent twice (a retry after a lost answer) counts once. Kept when the session is
-- deleted: the workspace's spend does not shrink.
CREATE TABLE usage_turns (
  session_id TEXT NOT NULL,
  turn_seq INTEGER NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (session_id, turn_seq)
);
CREATE INDEX usage_turns_workspace_day ON usage_turns (workspace_id, day);

-- NULL: no budget.
ALTER TABLE workspaces ADD COLUMN monthly_budget_usd REAL;

-- The budget events sent to a workspace's callback, at most one of each kind a month.
CREATE TABLE budget_alerts (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  month TEXT NOT NULL,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, month, kind)
);
