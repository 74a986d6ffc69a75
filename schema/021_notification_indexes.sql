-- 021_notification_indexes.sql — one index fewer to write with every notification.
--
-- notifications_thread (008) let a redaction find the notifications about the post's thread
-- whose text held a copy of the post. Since 014 a notification holds no text (a kind and
-- language-neutral params; the thread's title is read when it is listed), so nothing looks
-- notifications up by thread any more, and every new post paid one more B-tree insert (and one
-- more page written, at a random place) for each follower it told. Threads are never deleted,
-- and notifications.thread_id has no foreign key, so no delete needs it either.

DROP INDEX notifications_thread;
