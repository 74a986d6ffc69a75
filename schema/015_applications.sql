-- 015_applications.sql — applications and selection (docs/API.md §8, docs/APPLICATIONS.md): the
-- public application form's rows, the lottery draws, and the per-address attempt counter of the
-- public form. Application rows are personal data: only the secretariat reads them, and a
-- declined or waitlisted one is deleted application_retention_days after it was closed.

CREATE TABLE selection_draws (
  id          INTEGER PRIMARY KEY,
  seed        TEXT NOT NULL,
  drawn_by    INTEGER REFERENCES users(id),
  drawn_at    INTEGER NOT NULL,
  result      TEXT NOT NULL           -- {"selected":[ids],"waitlisted":[ids]} as drawn
);

CREATE TABLE applications (
  id                    INTEGER PRIMARY KEY,
  company_name          TEXT NOT NULL,
  industry              TEXT NOT NULL,          -- JSIC division letter
  sme_class             TEXT NOT NULL CHECK (sme_class IN ('manufacturing_other','wholesale','service','retail')),
  capital_yen           INTEGER NOT NULL,
  employees             INTEGER NOT NULL,
  tokyo_office          INTEGER NOT NULL,
  has_security_devices  INTEGER NOT NULL,
  has_security_policy   INTEGER NOT NULL,
  contact_name          TEXT NOT NULL,
  contact_email         TEXT NOT NULL,
  contact_phone         TEXT NOT NULL,
  track                 TEXT NOT NULL CHECK (track IN ('monozukuri','service')),
  status                TEXT NOT NULL DEFAULT 'received'
                          CHECK (status IN ('received','contacted','selected','waitlisted','declined','admitted')),
  received_at           INTEGER NOT NULL,
  contact_due_at        INTEGER NOT NULL,
  contacted_at          INTEGER,
  contacted_by          INTEGER REFERENCES users(id),
  contact_note          TEXT,
  draw_id               INTEGER REFERENCES selection_draws(id),
  draw_rank             INTEGER,                -- 1-based position in its track's draw order
  draw_hash             TEXT,                   -- sha256 hex of "<seed>:<id>"
  selected_at           INTEGER,
  declined_at           INTEGER,
  declined_by           INTEGER REFERENCES users(id),
  decline_reason        TEXT,
  closed_at             INTEGER,                -- declined or waitlisted: the retention clock
  admitted_at           INTEGER,
  company_id            INTEGER REFERENCES companies(id),
  user_id               INTEGER REFERENCES users(id)
);
CREATE INDEX applications_status ON applications(status, track);
CREATE INDEX applications_due ON applications(status, contact_due_at);
CREATE INDEX applications_closed ON applications(closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX applications_draw ON applications(track, draw_id, draw_rank);

-- One row per attempt at the public form (accepted or refused) within the last hour, keyed by
-- the client address (IPv6 by its /64); older rows are deleted as new attempts arrive.
CREATE TABLE application_attempts (
  id      INTEGER PRIMARY KEY,
  ipkey   TEXT NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX application_attempts_ip ON application_attempts(ipkey, at);
CREATE INDEX application_attempts_at ON application_attempts(at);
