"""The tamper-evident audit log (docs/API.md §7): GET /api/v1/audit pages oldest first, and
`mamori audit verify` says ok for an intact chain and fails (exit 1, naming the entry) after a
single byte of one entry is changed in the database file, after a change made through SQL with
the append-only trigger dropped, and after an entry is removed. Tampering is done on copies of
the data directory, so the running server's own log stays intact."""
import os
import re
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run, run_tests  # noqa: E402

S = None
W = {}


def setup():
    global S
    S = Server()
    S.__enter__()
    a = S.admin()
    g = fw.group(a)
    c = fw.company(a, g)
    p = fw.user(S, a, "participant", c)
    bad = S.client()
    st, _ = bad.login(f"{p.handle}@example.jp", "wrong-password-123456")
    expect(st == 401, st)
    cat = fw.category(a)
    t = fw.thread(p, cat, "監査テスト", "本文", visibility="company")
    a.get(f"/api/v1/threads/{t['id']}")               # thread.read by the secretariat
    a.patch(f"/api/v1/threads/{t['id']}", {"pinned": True})
    a.post(f"/api/v1/posts/{t['first_post_id']}/hide")
    W.update(admin=a, p=p, thread=t)


def all_entries(client, limit=1000):
    out, after = [], 0
    while True:
        st, body = client.get(f"/api/v1/audit?after={after}&limit={limit}")
        expect(st == 200, (st, body))
        if not body["entries"]:
            return out
        out += body["entries"]
        after = body["entries"][-1]["id"]


def verify(data):
    return run(["audit", "verify", "--data", data], check=False)


def test_verify_ok_while_running():
    res = verify(S.data)
    expect(res.returncode == 0, (res.returncode, res.stdout, res.stderr))
    m = re.fullmatch(r"ok (\d+) entries\n", res.stdout)
    expect(m, res.stdout)
    n = len(all_entries(W["admin"]))
    expect(int(m.group(1)) >= n - 2, (m.group(1), n))  # reads since may have added entries


def test_audit_paging():
    a, p = W["admin"], W["p"]
    full = all_entries(a)
    ids = [e["id"] for e in full]
    expect(ids == list(range(1, len(ids) + 1)), f"dense, oldest first: {ids[:20]}")
    paged = all_entries(a, limit=3)
    expect([e["id"] for e in paged][:len(ids)] == ids, "pages of 3 give the same entries in the same order")
    st, body = a.get(f"/api/v1/audit?after={ids[-3]}&limit=2")
    expect([e["id"] for e in body["entries"]] == ids[-2:], body)
    st, body = a.get(f"/api/v1/audit?after={ids[-1] + 1000}")
    expect(st == 200 and body["entries"] == [], body)
    e = full[-1]
    expect(set(e) >= {"id", "at", "actor_id", "action", "target", "ip", "hash"} and re.fullmatch("[0-9a-f]{64}", e["hash"]),
           e)
    acts = {x["action"] for x in full}
    expect({"session.login", "session.login_failed", "thread.read", "thread.update", "post.hide"} <= acts, acts)
    expect(len({x["hash"] for x in full}) == len(full), "hashes are distinct")
    st, body = p.get("/api/v1/audit")
    expect(st == 403 and body["error"] == "forbidden", (st, body))
    st, body = S.client().get("/api/v1/audit")
    expect(st == 401, (st, body))


def tampered_copy():
    """A copy of the data directory taken after a clean stop (the WAL is then empty)."""
    d = tempfile.mkdtemp(prefix="mamori-audit-")
    dst = os.path.join(d, "data")
    shutil.copytree(S.data, dst)
    return d, dst


def with_stopped_server(fn):
    rc = S.stop()
    expect(rc == 0, f"stop {rc}")
    try:
        fn()
    finally:
        S.start()


def pick_entry(dbpath):
    """An entry in the middle of the chain: (id, prev_hash, hash, detail)."""
    c = sqlite3.connect(dbpath)
    try:
        n = c.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        k = n // 2
        row = c.execute("SELECT id, prev_hash, hash, detail FROM audit_log WHERE id = ?", (k,)).fetchone()
    finally:
        c.close()
    return row


def test_changed_byte_in_file_detected():
    def body():
        d, data = tampered_copy()
        try:
            expect(verify(data).returncode == 0, "the copy verifies before tampering")
            path = os.path.join(data, "mamori.db")
            k, prev, h, detail = pick_entry(path)
            raw = bytearray(open(path, "rb").read())
            # The record holds ... detail, prev_hash, hash: the two hashes side by side are unique to it.
            anchor = (prev + h).encode()
            expect(raw.count(anchor) == 1, f"entry {k}'s record found once in the file")
            at = raw.index(anchor) - 1              # the last byte of its detail ('}')
            expect(raw[at:at + 1] == detail.encode()[-1:], "detail precedes the hashes")
            raw[at] ^= 0x01                          # '}' -> '|': one bit of one byte
            with open(path, "wb") as f:
                f.write(raw)
            res = verify(data)
            expect(res.returncode == 1 and re.search(rf"\bentry {k}\b", res.stdout + res.stderr),
                   (k, res.returncode, res.stdout, res.stderr))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    with_stopped_server(body)


def test_changed_entry_via_sql_detected():
    def body():
        d, data = tampered_copy()
        try:
            path = os.path.join(data, "mamori.db")
            k = pick_entry(path)[0]
            c = sqlite3.connect(path)
            try:
                try:
                    c.execute("UPDATE audit_log SET ip = '10.0.0.1' WHERE id = ?", (k,))
                    expect(False, "the append-only trigger must refuse an UPDATE")
                except sqlite3.DatabaseError:
                    pass
                c.execute("DROP TRIGGER audit_log_no_update")
                c.execute("UPDATE audit_log SET ip = '10.0.0.1' WHERE id = ?", (k,))
                c.commit()
            finally:
                c.close()
            res = verify(data)
            expect(res.returncode == 1 and re.search(rf"\bentry {k}\b", res.stdout + res.stderr),
                   (k, res.returncode, res.stdout))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    with_stopped_server(body)


def test_removed_entry_detected():
    def body():
        d, data = tampered_copy()
        try:
            path = os.path.join(data, "mamori.db")
            k = pick_entry(path)[0]
            c = sqlite3.connect(path)
            try:
                c.execute("DROP TRIGGER audit_log_no_delete")
                c.execute("DELETE FROM audit_log WHERE id = ?", (k,))
                c.commit()
            finally:
                c.close()
            res = verify(data)
            expect(res.returncode == 1 and re.search(rf"\bentry {k}\b", res.stdout + res.stderr),
                   (k, res.returncode, res.stdout))
        finally:
            shutil.rmtree(d, ignore_errors=True)
    with_stopped_server(body)


def test_verify_arguments():
    res = verify("/nonexistent/mamori-data")
    expect(res.returncode != 0, res.returncode)
    res = run(["audit", "verify"], check=False)
    expect(res.returncode == 2 and res.stderr.strip(), (res.returncode, res.stderr))
    res = run(["audit", "verify", "--data", S.data, "--bogus"], check=False)
    expect(res.returncode == 2, res.returncode)


def test_server_chain_still_intact():
    expect(verify(S.data).returncode == 0, "the live log is untouched by the tampering of copies")


def main():
    setup()
    try:
        run_tests([test_verify_ok_while_running, test_audit_paging, test_changed_byte_in_file_detected,
                   test_changed_entry_via_sql_detected, test_removed_entry_detected, test_verify_arguments,
                   test_server_chain_still_intact])
    finally:
        S.__exit__(None, None, None)


if __name__ == "__main__":
    main()
