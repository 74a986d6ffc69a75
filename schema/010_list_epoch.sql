-- 010: the thread list's epoch (server/thread.c). The list's `total` is a count over every
-- thread its filters allow under the visibility rule (server/authz.h), which costs tens of
-- milliseconds at 100,000 threads, so each worker caches it. The cache used to be keyed by
-- SQLite's data version, which every commit moves (every post, read mark and sign-in). This
-- epoch moves only when something the count reads changes: a thread's existence, category,
-- kind, status or visibility scope; its tags; an expert's assignments; a company's group; an
-- escalation. The principal's own role, company and group are part of the cache key instead.
--
-- The value is random(), not a counter: a write inside a transaction that rolls back (a failed
-- group commit) may have been seen by its own connection, and a counter would reach that value
-- again later for a different state; a random 64-bit value never recurs.
--
-- Posts do not move it: post.c updates threads.post_count and last_post_at only, which the
-- `UPDATE OF` column lists below leave out.
CREATE TABLE epochs (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO epochs (name, value) VALUES ('thread_count', 0);

CREATE TRIGGER threads_epoch_insert AFTER INSERT ON threads
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER threads_epoch_delete AFTER DELETE ON threads
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER threads_epoch_update
	AFTER UPDATE OF id, category_id, kind, visibility, company_id, group_id, status ON threads
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;

CREATE TRIGGER thread_tags_epoch_insert AFTER INSERT ON thread_tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER thread_tags_epoch_delete AFTER DELETE ON thread_tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER thread_tags_epoch_update AFTER UPDATE ON thread_tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER tags_epoch_update AFTER UPDATE OF id, name ON tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER tags_epoch_delete AFTER DELETE ON tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;

CREATE TRIGGER expert_assignments_epoch_insert AFTER INSERT ON expert_assignments
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER expert_assignments_epoch_delete AFTER DELETE ON expert_assignments
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER expert_assignments_epoch_update AFTER UPDATE ON expert_assignments
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;

CREATE TRIGGER companies_epoch_insert AFTER INSERT ON companies
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER companies_epoch_delete AFTER DELETE ON companies
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER companies_epoch_update AFTER UPDATE OF id, group_id ON companies
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;

CREATE TRIGGER escalations_epoch_insert AFTER INSERT ON escalations
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER escalations_epoch_delete AFTER DELETE ON escalations
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
CREATE TRIGGER escalations_epoch_update AFTER UPDATE OF id, thread_id, expert_id, state ON escalations
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_count'; END;
