-- The session list as an inbox (issue 25). The index keeps when anything the list shows last happened to
-- a session and whether a question or an approval waits for a person; the first prompt (its first 500
-- characters) is kept so the list can be searched by it.
ALTER TABLE sessions ADD COLUMN last_activity_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_activity_at = updated_at;
ALTER TABLE sessions ADD COLUMN awaiting_decision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN prompt TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_by_workspace_activity ON sessions(workspace_id, last_activity_at DESC);

-- When each person last looked at each session: what happened since is unread for them.
CREATE TABLE session_seen (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, session_id)
);
-- The sessions that existed before are taken as seen by every member, so the first list is not all unread.
INSERT INTO session_seen (user_id, session_id, seen_at)
  SELECT m.user_id, s.id, s.last_activity_at FROM sessions s JOIN members m ON m.workspace_id = s.workspace_id;
