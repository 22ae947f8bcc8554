-- Integrations of a workspace: its encrypted secrets, webhook triggers and the deliveries they received.

-- AES-GCM under the SECRETS_KEY secret; the value is never stored or returned in clear.
CREATE TABLE secrets (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  iv TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);

-- The shared secret is encrypted like a workspace secret: it is needed in clear to check signatures
-- and to sign the callbacks sent to callback_url.
CREATE TABLE triggers (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  secret_ciphertext TEXT NOT NULL,
  secret_iv TEXT NOT NULL,
  session_config TEXT NOT NULL,
  prompt_template TEXT NOT NULL,
  filter_event TEXT,
  filter_action TEXT,
  callback_url TEXT,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL
);
CREATE INDEX triggers_by_workspace ON triggers(workspace_id, created_at);

-- One row per delivery id and trigger: the UNIQUE constraint is what makes a repeated delivery return the
-- first session, even when two copies arrive at once.
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  trigger_id TEXT NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL,
  event TEXT,
  status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'skipped', 'failed')),
  outcome TEXT,
  session_id TEXT,
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (trigger_id, delivery_id)
);
CREATE INDEX deliveries_by_trigger ON deliveries(trigger_id, received_at DESC);

-- A workspace-wide callback URL: like a trigger's, it receives a signed POST on every phase change of the
-- workspace's sessions, signed with its own secret.
CREATE TABLE workspace_callbacks (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret_ciphertext TEXT NOT NULL,
  secret_iv TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
