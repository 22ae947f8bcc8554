-- MCP servers of a workspace (SPEC §10). The headers (literal values and secret references alike) are
-- sealed like a secret: a literal header value is a credential. header_names lists them for members.
CREATE TABLE mcp_servers (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  transport TEXT NOT NULL CHECK (transport IN ('http', 'sse')),
  headers_ciphertext TEXT NOT NULL,
  headers_iv TEXT NOT NULL,
  header_names TEXT NOT NULL,
  secret_headers TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)
);
