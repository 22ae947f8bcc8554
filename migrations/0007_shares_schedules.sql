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
