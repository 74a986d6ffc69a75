-- 019_escalation_timers.sql — indexes the two escalation timer scans (server/escalation.c, every
-- 30 s on worker 0) can answer from the rows still due: (state, due_at) and (state, remind_at)
-- hold every assigned escalation, already notified or not, so each scan read every one of them
-- and its table row to test overdue_notified_at / reminded_at. On the large benchmark dataset
-- (5,155 assigned escalations, all already notified) that was ~600 pages per tick (4–17 ms on the
-- loop), and 2.6 MB of page cache kept resident by an idle server (issue 17). Partial indexes
-- over the rows not yet marked: the scans read a page or two. escalations_remind served only the
-- reminder scan; escalations_state stays (the overdue list and the visibility rule use it).
DROP INDEX IF EXISTS escalations_remind;
CREATE INDEX escalations_remind_due ON escalations(state, remind_at) WHERE reminded_at IS NULL;
CREATE INDEX escalations_overdue_due ON escalations(state, due_at) WHERE overdue_notified_at IS NULL;
