"""Shared set-up for the forum's end-to-end tests (test_forum, test_access_matrix,
test_access_model): groups, companies, users signed in over the real API, categories, and a
small event-stream reader."""
import http.client
import itertools
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from mamori import Server, expect, scaled  # noqa: E402

PASSWORD = "mamori-forum-test-2026!"
_seq = itertools.count(1)


def uniq(prefix):
    return f"{prefix}{os.getpid()}x{next(_seq)}"


def search_indexed(srv, timeout=20):
    """Waits until the server's indexer thread (search_file.c) has moved every queued post into
    search.db. A post is found from its 201 on (from the queue) and ranked once indexed,
    milliseconds later: tests of the ranking wait for it."""
    import sqlite3
    deadline = time.monotonic() + scaled(timeout)
    while True:
        db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
        try:
            db.execute("ATTACH DATABASE ? AS search", (os.path.join(srv.data, "search.db"),))
            n = db.execute("SELECT count(*) FROM search_pending WHERE seq >"
                           " coalesce((SELECT v FROM search.search_state WHERE k = 'indexed'), 0)").fetchone()[0]
        finally:
            db.close()
        if n == 0:
            # This reader's connection just closed: it must not have taken search.db's WAL away
            # from the running server (a process that closes any descriptor of a database file
            # drops its locks; db.c's attach_search once did, and the index writes went to a
            # deleted file).
            expect(os.path.exists(os.path.join(srv.data, "search.db-wal")), "search.db's WAL is gone")
            return
        expect(time.monotonic() < deadline, f"{n} posts still queued for the search index")
        time.sleep(0.02)


def group(admin, name=None):
    st, body = admin.post("/api/v1/groups", {"name": name or uniq("group")})
    expect(st == 201, f"group: {st} {body}")
    return body["id"]


def company(admin, group_id=None, industry="E"):
    req = {"name": uniq("company"), "industry": industry, "sme_class": "manufacturing_other",
           "capital_yen": 10_000_000, "employees": 20}
    if group_id:
        req["group_id"] = group_id
    st, body = admin.post("/api/v1/companies", req)
    expect(st == 201, f"company: {st} {body}")
    return body["id"]


def user(srv, admin, role, company_id=None, handle=None, representative=False):
    """Creates, activates and signs in a user; returns the signed-in Client with .uid/.handle."""
    handle = handle or uniq(role[:4])
    req = {"email": f"{handle}@example.jp", "name": f"{role} {handle}", "role": role}
    if company_id:
        req["company_id"] = company_id
    if representative:
        req["representative"] = True
    if role == "expert":
        req["specialties"] = ["network"]
    st, body = admin.post("/api/v1/users", req)
    expect(st == 201, f"user: {st} {body}")
    c = srv.client()
    st, b2 = c.post(f"/api/v1/invites/{body['invite_token']}/accept", {"password": PASSWORD}, csrf=False)
    expect(st in (200, 201), f"accept: {st} {b2}")
    c = srv.client()
    st, b3 = c.login(req["email"], PASSWORD)
    expect(st == 200, f"login: {st} {b3}")
    c.uid = body["user"]["id"]
    c.handle = handle
    return c


def assign(admin, company_id, expert_uid):
    st, body = admin.post(f"/api/v1/companies/{company_id}/experts", {"expert_id": expert_uid})
    expect(st == 201, f"assign: {st} {body}")


def unassign(admin, company_id, expert_uid):
    st, body = admin.delete(f"/api/v1/companies/{company_id}/experts/{expert_uid}")
    expect(st == 204, f"unassign: {st} {body}")


def category(admin, slug=None):
    slug = slug or uniq("cat")
    st, body = admin.post("/api/v1/categories", {"slug": slug, "name": slug, "description": ""})
    expect(st == 201, f"category: {st} {body}")
    return body["id"]


def thread(client, cat, title, body, visibility="community", kind="discussion", **extra):
    st, res = client.post("/api/v1/threads", {"category_id": cat, "title": title, "body": body, "kind": kind,
                                             "visibility": visibility, **extra})
    expect(st == 201, f"thread: {st} {res}")
    return res


class EventReader:
    """Reads GET /api/v1/events on its own TLS connection in a background thread."""

    def __init__(self, srv, client, stamp=None):
        """stamp: optional callable; when given, each event is also kept in self.stamped as
        (event, data, stamp()) with stamp() called as the event is read."""
        self.stamp = stamp
        self.stamped = []
        self.events = []
        self.lines = []
        self.status = None
        self.conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=60)
        self.conn.request("GET", "/api/v1/events", headers={"Cookie": client.cookie, "Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.closed = False
        self.t = threading.Thread(target=self._run, daemon=True)
        if self.status == 200:
            self.t.start()

    def _run(self):
        ev = None
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                self.lines.append(line)
                if line.startswith("event: "):
                    ev = line[7:]
                elif line.startswith("data: ") and ev:
                    data = json.loads(line[6:])
                    if self.stamp:
                        self.stamped.append((ev, data, self.stamp()))
                    self.events.append((ev, data))
                    ev = None
        except Exception:
            pass
        self.closed = True

    def wait_for(self, pred, timeout=5.0):
        end = time.time() + scaled(timeout)
        while time.time() < end:
            for e in list(self.events):
                if pred(e):
                    return e
            time.sleep(0.02)
        return None

    def close(self):
        try:
            self.conn.sock.shutdown(2)
        except Exception:
            pass
        self.conn.close()


# ---- the case collection (docs/API.md §11) ----------------------------------------------------

def consent_documents(admin):
    """Publishes a material participation agreement and NDA; returns {kind: document}."""
    docs = {}
    for kind in ("participation", "nda"):
        st, d = admin.post("/api/v1/documents", {"kind": kind, "title": kind, "body": f"{kind} {uniq('v')}",
                                                 "material": True})
        expect(st == 201, f"document: {st} {d}")
        docs[kind] = d
    return docs


def accept_personal(client, docs, kinds=("participation", "nda")):
    for k in kinds:
        st, r = client.post(f"/api/v1/documents/{docs[k]['id']}/accept", {"sha256": docs[k]["sha256"]})
        expect(st == 201, f"accept {k}: {st} {r}")


def record_company_consent(admin, company_id, doc):
    """The secretariat records a company's consent received on paper; returns the record id."""
    st, r = admin.post(f"/api/v1/companies/{company_id}/consents",
                       {"document_id": doc["id"], "method": "paper", "reference": "model"})
    expect(st == 201, f"company consent: {st} {r}")
    return r["id"]

