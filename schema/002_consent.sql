-- 002_consent.sql — versioned consent documents and the append-only record of acceptances,
-- company consents received outside the system, and withdrawals (docs/API.md §4).

CREATE TABLE documents (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('participation','nda')),
  version     INTEGER NOT NULL,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  material    INTEGER NOT NULL,
  created_by  INTEGER REFERENCES users(id),
  created_at  INTEGER NOT NULL,
  UNIQUE (kind, version)
);

-- One row per act: an acceptance ('accept'), a secretariat record of a company consent
-- received on paper etc. ('record'), or a withdrawal ('withdraw', pointing at what it
-- withdraws). Never updated, never deleted. The latest act per (subject, scope, kind) decides.
CREATE TABLE consents (
  id           INTEGER PRIMARY KEY,
  action       TEXT NOT NULL CHECK (action IN ('accept','record','withdraw')),
  scope        TEXT NOT NULL CHECK (scope IN ('personal','company')),
  kind         TEXT NOT NULL CHECK (kind IN ('participation','nda')),
  user_id      INTEGER REFERENCES users(id),      -- personal scope: the person; company: who accepted
  company_id   INTEGER REFERENCES companies(id),  -- company scope (and the participant's company)
  document_id  INTEGER NOT NULL REFERENCES documents(id),
  version      INTEGER NOT NULL,
  sha256       TEXT NOT NULL,
  method       TEXT NOT NULL DEFAULT 'web',
  reference    TEXT NOT NULL DEFAULT '',
  withdraws_id INTEGER REFERENCES consents(id),
  actor_id     INTEGER REFERENCES users(id),
  at           INTEGER NOT NULL,
  ip           TEXT NOT NULL DEFAULT '',
  user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consents_personal ON consents(user_id, kind, id) WHERE scope = 'personal';
CREATE INDEX consents_company ON consents(company_id, kind, id) WHERE scope = 'company';
CREATE TRIGGER consents_no_update BEFORE UPDATE ON consents
  BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
  BEGIN SELECT RAISE(ABORT, 'consents are append-only'); END;
