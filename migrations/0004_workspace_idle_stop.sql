-- How long a Running session's agent may stay idle (or wait for input) before the session is stopped
-- gracefully with reason `idle` (SPEC §3). A workspace setting; owners change it with PATCH /api/workspaces/:ws.
ALTER TABLE workspaces ADD COLUMN idle_stop_minutes INTEGER NOT NULL DEFAULT 15 CHECK (idle_stop_minutes BETWEEN 1 AND 1440);
