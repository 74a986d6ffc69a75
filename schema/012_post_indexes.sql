-- 012: posts_author(author_id) is a prefix of posts_author_time(author_id, created_at) (008),
-- which answers every query the first one did; each post paid for both.
DROP INDEX IF EXISTS posts_author;
