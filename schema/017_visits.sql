-- 017_visits.sql — expert dispatch (docs/API.md §10, docs/DISPATCH.md): four visits per company by
-- its assigned expert. A visit is content of `company` visibility (the rule in server/authz.h,
-- AUTHZ_COMPANY_VISIBLE): its report, checklist and even its date are shown only to the company's
-- participants, the experts assigned to the company and the secretariat.

CREATE TABLE visits (
  id            INTEGER PRIMARY KEY,
  company_id    INTEGER NOT NULL REFERENCES companies(id),
  stage         INTEGER NOT NULL CHECK (stage BETWEEN 1 AND 4),
  scheduled_at  INTEGER NOT NULL,
  mode          TEXT NOT NULL CHECK (mode IN ('onsite','online')),
  expert_id     INTEGER NOT NULL REFERENCES users(id),
  status        TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','done','cancelled')),
  checklist     TEXT NOT NULL DEFAULT '{}',   -- JSON object of booleans, keys fixed per stage
  report        TEXT,                         -- Markdown source; NULL until written
  report_html   TEXT,                         -- rendered as posts are (server/markdown.c)
  created_by    INTEGER NOT NULL REFERENCES users(id),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  done_at       INTEGER,
  cancelled_at  INTEGER,
  revision      INTEGER NOT NULL DEFAULT 1    -- +1 on every change: a PATCH applies only to the revision it read
);
-- At most one visit per company and stage that is not cancelled (409 stage_taken).
CREATE UNIQUE INDEX visits_company_stage ON visits(company_id, stage) WHERE status <> 'cancelled';
CREATE INDEX visits_company ON visits(company_id, stage, id);
CREATE INDEX visits_expert ON visits(expert_id, scheduled_at);

-- A notification about a visit names it, so that every read of the list re-applies the rule to it
-- (as thread_id does for threads); the text never carries the report.
ALTER TABLE notifications ADD COLUMN visit_id INTEGER REFERENCES visits(id);
