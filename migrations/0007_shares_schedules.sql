-- Issue 14: read-only share links for one session, and schedules that start sessions on a clock.

-- A share link: a random token shown once, stored as its SHA-256 (like API tokens). Revoked links keep
-- their row (revoked_at) so the list and the audit stay whole; a deleted session takes its links along.
CREATE TABLE session_shares (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX session_shares_by_session ON session_shares(session_id, created_at);

-- Schedules: a session started on a clock (cron in an IANA zone). next_run_at is the slot the schedule's
-- clock (the ScheduleClock Durable Object, one per schedule) rings for next; null while paused.
CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  -- The create-session body (SPEC §2) as JSON, defaults applied.
  session_config TEXT NOT NULL,
  prompt TEXT NOT NULL,
  interactive INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  next_run_at INTEGER,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX schedules_by_workspace ON schedules(workspace_id, created_at);

-- Each run, recorded before its session starts: one row per (schedule, slot), so a clock that rings twice
-- for the same slot (a retried alarm, a restart) finds it and starts nothing more. "Run now" has no slot.
CREATE TABLE schedule_runs (
  id TEXT PRIMARY KEY,
  schedule_id TEXT NOT NULL REFERENCES schedules(id) ON DELETE CASCADE,
  slot INTEGER,
  ran_at INTEGER NOT NULL,
  session_id TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('starting', 'started', 'skipped', 'failed')),
  reason TEXT,
  UNIQUE (schedule_id, slot)
);
CREATE INDEX schedule_runs_by_schedule ON schedule_runs(schedule_id, ran_at DESC);
