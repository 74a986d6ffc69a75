"""Upload versus purge (issue 13, finding 7). Attachments are content-addressed (one file per
SHA-256 under DATA/files/), and a moderation purge removes the file when no attachment row names
it any more. An upload of the very same bytes racing with that purge must never be answered 201
for a file the purge then deletes.

The test hook MAMORI_TEST_UPLOAD_DELAY_MS (attachment.c; never set in production) holds an
upload on its helper thread after the file is stored and before its row is written, which is
exactly the window the purge used to fall into; several helpers so the purge is not queued
behind the held upload."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from forum_world import category, thread  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

DELAY_MS = 1500


def upload(client, tid, data, name="report.pdf"):
    return client.request("POST", f"/api/v1/threads/{tid}/attachments?filename={name}", raw=data,
                          headers={"Content-Type": "application/octet-stream"})


def test_upload_of_purged_bytes_keeps_its_file():
    with Server(workers=2, config={"helpers": "4"}, env={"MAMORI_TEST_UPLOAD_DELAY_MS": str(DELAY_MS)}) as srv:
        admin = srv.admin()
        cat = category(admin)
        ta, tb = thread(admin, cat, "A", "a"), thread(admin, cat, "B", "b")
        data = os.urandom(4096)
        st, first = upload(admin, ta["id"], data)
        expect(st == 201, f"first upload: {st} {first}")
        out = {}
        up = srv.admin()

        def second():
            out["second"] = upload(up, tb["id"], data, "again.pdf")
        t = threading.Thread(target=second)
        t.start()
        # Wait until the second upload is held by the hook: file found, row not yet written.
        end = time.time() + 30
        while time.time() < end and "holding an upload" not in srv.read_log():
            time.sleep(0.01)
        expect("holding an upload" in srv.read_log(), "the second upload never reached the hook")
        st, purged = admin.post(f"/api/v1/attachments/{first['id']}/purge", {})
        expect(st == 200, f"purge: {st} {purged}")
        t.join()
        st, att = out["second"]
        if st == 201:
            st2, got = admin.get(f"/api/v1/attachments/{att['id']}")
            expect(st2 == 200 and got == data,
                   f"acknowledged attachment {att['id']} is gone after the purge: {st2} "
                   f"(purge said file_removed={purged.get('file_removed')})")
        else:
            expect(st in (409, 503), f"second upload: {st} {att}")
        # Purging the second one too removes the file: nothing names the content any more.
        if st == 201:
            st, p2 = admin.post(f"/api/v1/attachments/{att['id']}/purge", {})
            expect(st == 200 and p2["file_removed"], f"second purge: {st} {p2}")
            path = os.path.join(srv.data, "files", first["sha256"][:2], first["sha256"][2:])
            expect(not os.path.exists(path), "file left after the last purge")


if __name__ == "__main__":
    run_tests([test_upload_of_purged_bytes_keeps_its_file])
