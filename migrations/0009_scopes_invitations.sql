-- Issue 21: secrets scoped to who needs them, values retired by a change kept for redaction, the last
-- editor of a schedule, and invitations that answer the same whether or not an email has an account.

-- A secret's scope: `agent` reaches the agent's environment (anyone who can prompt the agent can read it),
-- `integration` is used by the Worker alone and never leaves it. The Drive token is the Worker's (exports).
ALTER TABLE secrets ADD COLUMN scope TEXT NOT NULL DEFAULT 'agent' CHECK (scope IN ('agent', 'integration'));
UPDATE secrets SET scope = 'integration' WHERE name = 'GOOGLE_DRIVE_TOKEN';

-- A value replaced or deleted in the last 30 days: a saved workspace may still hold it (a file the agent
-- wrote), so it is redacted wherever a workspace restored from before the change can show it. Sealed as the
-- secret was (same additional data); never sent anywhere but to redaction.
CREATE TABLE retired_secrets (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  iv TEXT NOT NULL,
  retired_at INTEGER NOT NULL
);
CREATE INDEX retired_secrets_by_workspace ON retired_secrets(workspace_id, retired_at);

-- Who changed a schedule last: its runs start as them (once their role is checked again), not as its creator.
ALTER TABLE schedules ADD COLUMN updated_by TEXT REFERENCES users(id);
UPDATE schedules SET updated_by = created_by;

-- An owner adds a member by email; the answer is an invitation either way, and it becomes a membership when
-- the person with that email next comes (signs in, or opens anything of the workspace).
CREATE TABLE invitations (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
  invited_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, email)
);
CREATE INDEX invitations_by_email ON invitations(email);
