-- Webhook hardening: replayed bodies, triggers whose sessions wait for approval.

-- The SHA-256 of each webhook body a trigger accepted, for 72 hours: the delivery id is not signed, so a
-- captured signed body sent again under a fresh id is still the same delivery.
CREATE TABLE delivery_bodies (
  trigger_id TEXT NOT NULL REFERENCES triggers(id) ON DELETE CASCADE,
  body_hash TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (trigger_id, body_hash)
);
CREATE INDEX delivery_bodies_by_age ON delivery_bodies(trigger_id, received_at);

-- A trigger with require_approval starts sessions that wait in Pending until an owner or editor approves.
ALTER TABLE triggers ADD COLUMN require_approval INTEGER NOT NULL DEFAULT 0;
-- The session index shows which sessions wait for approval.
ALTER TABLE sessions ADD COLUMN awaiting_approval INTEGER NOT NULL DEFAULT 0;
