-- Idempotency-Key (docs/DECISIONS.md "Retried writes"): the first answer of a creating POST,
-- stored in the write batch of the creation itself, so a client that lost the answer (a 503,
-- a dropped connection) can retry without creating twice. Kept 24 hours. An answer can carry a
-- secret (an invitation token), so neither the key nor the answer is stored as such: the key as
-- its SHA-256, the answer sealed (AES-256-GCM) under a key derived from the Idempotency-Key,
-- which only the client holds; someone with the database files cannot read it.
CREATE TABLE idempotency_keys (
  scope          TEXT NOT NULL,    -- 'u:<user id>' signed in, 'c:<client address>' otherwise
  key_sha256     TEXT NOT NULL,    -- SHA-256 of the header's value (1-255 printable ASCII characters)
  request_sha256 TEXT NOT NULL,    -- SHA-256 of method, path with query, and the body's SHA-256 (JSON canonical)
  status         INTEGER NOT NULL, -- the answer: status and JSON body, sealed
  response       BLOB NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (scope, key_sha256)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
