-- Idempotency-Key (docs/DECISIONS.md "Retried writes"): the first answer of a creating POST,
-- stored in the write batch of the creation itself, so a client that lost the answer (a 503,
-- a dropped connection) can retry without creating twice. Kept 24 hours.
CREATE TABLE idempotency_keys (
  scope          TEXT NOT NULL,    -- 'u:<user id>' signed in, 'c:<client address>' otherwise
  key            TEXT NOT NULL,    -- the header's value: 1-255 printable ASCII characters
  request_sha256 TEXT NOT NULL,    -- SHA-256 of method, path with query, and the body's SHA-256 (JSON canonical)
  status         INTEGER NOT NULL, -- the answer: status and JSON body
  response       TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
