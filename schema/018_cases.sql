-- The case collection (事例集, docs/API.md §11, docs/CASES.md): one anonymised write-up per
-- company, written by the secretariat, approved by the company's representative, published on
-- the public site and in the printed booklet.
CREATE TABLE cases (
  id            INTEGER PRIMARY KEY,
  company_id    INTEGER NOT NULL REFERENCES companies(id),
  title         TEXT NOT NULL,
  body          TEXT NOT NULL,      -- Markdown source
  sha256        TEXT NOT NULL,      -- of the UTF-8 title, a newline, and the body (what is approved)
  status        TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft','awaiting_approval','approved','published')),
  author_id     INTEGER NOT NULL REFERENCES users(id),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  submitted_at  INTEGER,
  approved_at   INTEGER,
  published_at  INTEGER,
  reject_reason TEXT                -- the representative's last reason to send it back
);
CREATE INDEX cases_company ON cases(company_id, status);
CREATE INDEX cases_status ON cases(status, published_at);

-- Approvals and send-backs: who decided on which text and when. Append-only.
CREATE TABLE case_approvals (
  id        INTEGER PRIMARY KEY,
  case_id   INTEGER NOT NULL REFERENCES cases(id),
  user_id   INTEGER NOT NULL REFERENCES users(id),
  action    TEXT NOT NULL CHECK (action IN ('approve','reject')),
  sha256    TEXT NOT NULL,
  reason    TEXT,
  at        INTEGER NOT NULL,
  ip        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_approvals_case ON case_approvals(case_id, id);
CREATE TRIGGER case_approvals_no_update BEFORE UPDATE ON case_approvals
BEGIN SELECT RAISE(ABORT, 'case_approvals is append-only'); END;
CREATE TRIGGER case_approvals_no_delete BEFORE DELETE ON case_approvals
BEGIN SELECT RAISE(ABORT, 'case_approvals is append-only'); END;
