-- 001_core.sql — the program registry, accounts, sessions and the audit log.
-- Times are INTEGER seconds since the epoch (UTC); the API formats them as RFC 3339.

CREATE TABLE groups (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL
);

CREATE TABLE companies (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  industry     TEXT NOT NULL,              -- JSIC division letter
  sme_class    TEXT NOT NULL CHECK (sme_class IN ('manufacturing_other','wholesale','service','retail')),
  capital_yen  INTEGER NOT NULL,
  employees    INTEGER NOT NULL,
  track        TEXT NOT NULL CHECK (track IN ('monozukuri','service')),
  status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active','completed','withdrawn')),
  group_id     INTEGER REFERENCES groups(id),
  created_at   INTEGER NOT NULL
);
CREATE INDEX companies_track_status ON companies(track, status);
CREATE INDEX companies_group ON companies(group_id);

CREATE TABLE users (
  id              INTEGER PRIMARY KEY,
  email           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name            TEXT NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('participant','expert','secretariat')),
  company_id      INTEGER REFERENCES companies(id),
  representative  INTEGER NOT NULL DEFAULT 0,
  specialties     TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings (experts)
  status          TEXT NOT NULL DEFAULT 'invited' CHECK (status IN ('invited','active','suspended')),
  password_hash   TEXT,
  totp_secret     TEXT,                        -- base32; NULL when not enrolled
  totp_last_step  INTEGER NOT NULL DEFAULT 0,
  totp_required   INTEGER NOT NULL DEFAULT 0,
  created_at      INTEGER NOT NULL,
  CHECK ((role = 'participant') = (company_id IS NOT NULL))
);
CREATE INDEX users_company ON users(company_id);
CREATE INDEX users_role ON users(role);

CREATE TABLE invites (
  token_hash  TEXT PRIMARY KEY,                -- sha256 hex of the token; the token is never stored
  user_id     INTEGER NOT NULL REFERENCES users(id),
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE INDEX invites_user ON invites(user_id);

CREATE TABLE expert_assignments (
  expert_id   INTEGER NOT NULL REFERENCES users(id),
  company_id  INTEGER NOT NULL REFERENCES companies(id),
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (expert_id, company_id)
) WITHOUT ROWID;
CREATE INDEX expert_assignments_company ON expert_assignments(company_id, expert_id);

CREATE TABLE sessions (
  token_hash   TEXT PRIMARY KEY,               -- sha256 hex of the cookie value
  user_id      INTEGER NOT NULL REFERENCES users(id),
  csrf_token   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ip           TEXT NOT NULL DEFAULT '',
  user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed sign-ins, for throttling per account and per address (pruned after the window).
CREATE TABLE login_failures (
  id       INTEGER PRIMARY KEY,
  email    TEXT NOT NULL COLLATE NOCASE,
  ip       TEXT NOT NULL,
  at       INTEGER NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, at);
CREATE INDEX login_failures_ip ON login_failures(ip, at);

-- The audit log: append-only, each entry's hash = SHA-256(previous hash || canonical content).
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor_id  INTEGER,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL DEFAULT '',
  ip        TEXT NOT NULL DEFAULT '',
  detail    TEXT NOT NULL DEFAULT '{}',
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log(action, target);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- In-app notifications (kinds grow with features); thread_id lets every read re-check visibility.
CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  kind        TEXT NOT NULL,
  thread_id   INTEGER,
  post_id     INTEGER,
  actor_id    INTEGER,
  text        TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  read_at     INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);
