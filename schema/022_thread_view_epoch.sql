-- 022: the thread view's epoch (server/thread.c). Each worker caches the part of a thread view
-- that is the same for every reader of one class (the thread, one page of its posts with their
-- authors' names and roles, its tags). Keyed by SQLite's data version alone it was built again
-- after every commit of anything: every sign-in, read mark, follow and notification, so a burst
-- of sign-ins rebuilt every page being read once per sign-in. This epoch moves only when what
-- that part reads changes: a thread or a post (any column: post.c's post_count, moderation's
-- hidden_at and redacted_at, an edit), a user's id, name or role, a thread's tags. The reader's
-- own members (unread, following) and the access rule are not cached by it: they are asked in
-- every request, or cached for one data version only. random(), not a counter, as in 010.
--
-- tests/unit/test_cache.c holds this list to the columns the view reads (VIEW_THREAD_COLUMNS and
-- VIEW_POST_COLUMNS in server/view.h): an update of each moves the epoch; a sign-in's, a read
-- mark's, a follow's, a notification's and a password change's writes do not.
INSERT INTO epochs (name, value) VALUES ('thread_view', 0);

CREATE TRIGGER threads_view_insert AFTER INSERT ON threads
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER threads_view_update AFTER UPDATE ON threads
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER threads_view_delete AFTER DELETE ON threads
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;

CREATE TRIGGER posts_view_insert AFTER INSERT ON posts
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER posts_view_update AFTER UPDATE ON posts
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER posts_view_delete AFTER DELETE ON posts
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;

CREATE TRIGGER users_view_insert AFTER INSERT ON users
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER users_view_update AFTER UPDATE OF id, name, role ON users
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER users_view_delete AFTER DELETE ON users
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;

CREATE TRIGGER thread_tags_view_insert AFTER INSERT ON thread_tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER thread_tags_view_update AFTER UPDATE ON thread_tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER thread_tags_view_delete AFTER DELETE ON thread_tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER tags_view_update AFTER UPDATE OF id, name ON tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
CREATE TRIGGER tags_view_delete AFTER DELETE ON tags
	BEGIN UPDATE epochs SET value = random() WHERE name = 'thread_view'; END;
