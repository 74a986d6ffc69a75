"""Live events follow their own write batch (issue 13, finding 5). With group commit, a worker's
requests write into successive batches; each event must go out only once its own batch is
durable, and a batch that fails must take only its own events with it.

Test hooks of the writer (db.c, environment; never set in production) make the interleaving
deterministic: MAMORI_TEST_SETTLE_DELAY_MS holds every batch after its COMMIT for that long,
so a second request lands in the next batch, and MAMORI_TEST_FAIL_MARKER fails a batch that
stored a post containing the marker. One worker, so both requests share its event queue."""
import os
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from forum_world import EventReader, category, thread  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

DELAY_MS = 1500
MARKER = "FAIL-THIS-BATCH"
ENV = {"MAMORI_TEST_SETTLE_DELAY_MS": str(DELAY_MS), "MAMORI_TEST_FAIL_MARKER": MARKER}


def wait_until(pred, what, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def post_committed(srv, body):
    con = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
    try:
        return con.execute("SELECT count(*) FROM posts WHERE body = ?", (body,)).fetchone()[0] > 0
    finally:
        con.close()


def post_async(srv, tid, body, out, key):
    c = srv.admin()

    def run():
        st, res = c.post(f"/api/v1/threads/{tid}/posts", {"body": body})
        out[key] = (st, res, time.time())
    t = threading.Thread(target=run)
    return t


def test_failed_batch_keeps_the_next_batchs_events():
    with Server(workers=1, env=ENV) as srv:
        admin = srv.admin()
        t = thread(admin, category(admin), "batches", "start")
        ev = EventReader(srv, admin)
        expect(ev.status == 200, f"events {ev.status}")
        out = {}
        ta = post_async(srv, t["id"], f"{MARKER} a", out, "a")
        tb = post_async(srv, t["id"], "b is fine", out, "b")
        ta.start()
        # a's batch has failed (and is held by the settle delay): b opens the next one
        wait_until(lambda: "this batch fails" in srv.read_log(), "a's batch to fail")
        tb.start()
        ta.join()
        tb.join()
        expect(out["a"][0] == 503, f"a's batch was made to fail: {out['a'][:2]}")
        expect(out["b"][0] == 201, f"b in a batch of its own: {out['b'][:2]}")
        pid = out["b"][1]["id"]
        e = ev.wait_for(lambda e: e[0] == "post" and e[1]["post_id"] == pid, timeout=DELAY_MS / 1000 * 3)
        ev.close()
        expect(e is not None, "the event of b's durable post was lost with a's failed batch")


class Stamped(list):
    """The reader's event list, with the arrival time of each event as a third member."""

    def append(self, e):
        super().append((e[0], e[1], time.time()))


def test_event_waits_for_its_own_batch():
    with Server(workers=1, env={"MAMORI_TEST_SETTLE_DELAY_MS": str(DELAY_MS)}) as srv:
        admin = srv.admin()
        t = thread(admin, category(admin), "batches", "start")
        ev = EventReader(srv, admin)
        expect(ev.status == 200, f"events {ev.status}")
        ev.events = Stamped()
        out = {}
        ta = post_async(srv, t["id"], "a unique body", out, "a")
        tb = post_async(srv, t["id"], "b", out, "b")
        ta.start()
        # a's batch has committed (and is held by the settle delay): b opens the next one
        wait_until(lambda: post_committed(srv, "a unique body"), "a's batch to commit")
        tb.start()
        ta.join()
        tb.join()
        expect(out["a"][0] == 201 and out["b"][0] == 201, f"both stored: {out['a'][:2]} {out['b'][:2]}")
        b_id, b_answered = out["b"][1]["id"], out["b"][2]
        ev_b = ev.wait_for(lambda e: e[0] == "post" and e[1]["post_id"] == b_id, timeout=DELAY_MS / 1000 * 3)
        ev.close()
        expect(ev_b is not None, "b's event never came (it was checked before its batch had committed)")
        # b's answer and b's event leave the server together, once b's batch is durable; an
        # event sent with a's batch arrives a whole settle delay before b's answer.
        early = b_answered - ev_b[2]
        expect(early < DELAY_MS / 2000, f"b's event arrived {early:.2f} s before b's batch was durable")


if __name__ == "__main__":
    run_tests([test_failed_batch_keeps_the_next_batchs_events, test_event_waits_for_its_own_batch])
