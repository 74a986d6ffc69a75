#!/usr/bin/env python3
"""Accounts end to end (docs/API.md §2 authentication and CSRF, §3 users and invitations): sign-in
and sign-out, /me, CSRF, user creation and its rules, invitations, the password policy,
suspension, password change, sign-in throttling per account, per address and per trusted
browser, TOTP (codes computed here per RFC 6238), and the audit entries all of this writes.

Failed sign-ins count per address, so tests that fail on purpose use their own loopback source
address (127.0.0.x) to keep the shared server's 127.0.0.1 usable.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import sqlite3
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check  # noqa: E402
from mamori import Client, Server, expect, run_tests  # noqa: E402

srv = None  # the shared server, started in main
PASSWORD = "hiraku-goma-no-kagi-77"
_seq = [0]


# ---- helpers ---------------------------------------------------------------------------------

class Peer(Client):
    """A client connecting from a chosen loopback address that also keeps the trusted-device
    cookie (__Host-mamori-dev) the way a browser would."""

    def __init__(self, server, src="127.0.0.1"):
        super().__init__(server)
        self.src = src
        self.device = None
        self.set_cookies = []

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, timeout=30,
                                                    context=self.server.ssl_context(),
                                                    source_address=(self.src, 0))
        return self.conn

    def request(self, method, path, body=None, headers=None, raw=None, csrf=True):
        h = {"User-Agent": "mamori-e2e"}
        jar = [c for c in (self.cookie, self.device) if c]
        if jar:
            h["Cookie"] = "; ".join(jar)
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = raw
        if raw is None and body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        for attempt in range(2):
            try:
                c = self._conn()
                c.request(method, path, body=data, headers=h)
                resp = c.getresponse()
                payload = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        self.last_headers = {k.lower(): v for k, v in resp.getheaders()}
        self.set_cookies = [v for k, v in resp.getheaders() if k.lower() == "set-cookie"]
        for v in self.set_cookies:
            val = v.split(";", 1)[0]
            if val.startswith("__Host-mamori="):
                self.cookie = None if val == "__Host-mamori=" else val
            elif val.startswith("__Host-mamori-dev="):
                self.device = val
        openapi_check.check(method, path, resp.status, self.last_headers.get("content-type", ""), payload,
                            body if raw is None and body is not None else openapi_check.NO_BODY)
        if self.last_headers.get("content-type", "").startswith("application/json") and payload:
            return resp.status, json.loads(payload)
        return resp.status, payload


def uniq(prefix="u"):
    _seq[0] += 1
    return f"{prefix}{_seq[0]}-{int(time.time() * 1000) % 100000}"


def admin(src="127.0.0.1"):
    c = Peer(srv, src)
    st, body = c.login(srv.admin_email, srv.admin_password)
    expect(st == 200, f"admin sign-in: {st} {body}")
    return c


def make_company(adm, **kw):
    body = {"name": uniq("会社"), "industry": "E", "sme_class": "manufacturing_other",
            "capital_yen": 10_000_000, "employees": 20}
    body.update(kw)
    st, c = adm.post("/api/v1/companies", body)
    expect(st == 201, f"company: {st} {c}")
    return c["id"]


def create_user(adm, role="participant", company_id=None, **kw):
    body = {"email": uniq(role) + "@example.jp", "name": "利用者 " + uniq(), "role": role}
    if role == "participant":
        body["company_id"] = company_id if company_id is not None else make_company(adm)
    body.update(kw)
    st, out = adm.post("/api/v1/users", body)
    expect(st == 201, f"user create: {st} {out}")
    return out


def make_user(adm, role="participant", company_id=None, password=PASSWORD, **kw):
    """Creates and activates a user; returns its JSON (with email) after acceptance."""
    out = create_user(adm, role, company_id, **kw)
    st, body = srv.client().post(f"/api/v1/invites/{out['invite_token']}/accept", {"password": password})
    expect(st == 200, f"accept: {st} {body}")
    return body["user"]


def sign_in(user, src="127.0.0.1", password=PASSWORD, **extra):
    c = Peer(srv, src)
    st, body = c.login(user["email"], password, **extra)
    expect(st == 200, f"sign-in {user['email']}: {st} {body}")
    return c


def totp(secret, offset=0, t=None):
    """RFC 6238: HMAC-SHA1, 30-second steps, 6 digits."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((t if t is not None else time.time()) // 30) + offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


def audit_actions(adm):
    st, body = adm.get("/api/v1/audit?limit=1000")
    expect(st == 200, f"audit: {st}")
    return body["entries"]


def err(st, body, status, code, what):
    expect(st == status and isinstance(body, dict) and body.get("error") == code,
           f"{what}: expected {status} {code}, got {st} {body}")


# ---- sessions ------------------------------------------------------------------------------------

def test_rfc6238_helper():
    # The RFC's SHA-1 vector at T=59 is 94287082 (8 digits); its last 6 digits are ours.
    secret = base64.b32encode(b"12345678901234567890").decode().rstrip("=")
    expect(totp(secret, t=59) == "287082", "python TOTP helper disagrees with RFC 6238")


def test_signin_me_and_user_fields():
    adm = admin()
    st, me = adm.get("/api/v1/me")
    expect(st == 200, f"/me: {st} {me}")
    for k in ("user", "pending_consents", "csrf_token"):
        expect(k in me, f"/me lacks {k}: {me}")
    expect(me["csrf_token"] == adm.csrf, "/me csrf_token differs from sign-in's")
    u = me["user"]
    for k in ("id", "email", "name", "role", "company_id", "representative", "specialties", "status",
              "totp_enabled"):
        expect(k in u, f"user lacks {k}: {u}")
    expect(u["role"] == "secretariat" and u["status"] == "active" and u["company_id"] is None, f"{u}")
    expect(isinstance(me["pending_consents"], list), "pending_consents not a list")
    expect(adm.cookie and adm.cookie.startswith("__Host-mamori="), "no session cookie")
    # the e-mail is matched without regard to case
    c = Peer(srv)
    st, body = c.login(srv.admin_email.upper(), srv.admin_password)
    expect(st == 200, f"upper-case e-mail: {st} {body}")


def test_no_session_is_401():
    c = Peer(srv)
    err(*c.get("/api/v1/me"), 401, "unauthenticated", "/me without session")
    err(*c.post("/api/v1/users", {"email": "x@example.jp"}), 401, "unauthenticated", "POST /users without session")
    err(*c.delete("/api/v1/session"), 401, "unauthenticated", "sign-out without session")
    c.cookie = "__Host-mamori=" + "A" * 43
    err(*c.get("/api/v1/me"), 401, "unauthenticated", "/me with a made-up cookie")


def test_csrf_required():
    adm = admin()
    body = {"email": uniq() + "@example.jp", "name": "CSRF", "role": "expert"}
    err(*adm.post("/api/v1/users", body, csrf=False), 403, "csrf", "POST without X-CSRF-Token")
    err(*adm.post("/api/v1/users", body, headers={"X-CSRF-Token": "wrong"}), 403, "csrf", "POST with wrong token")
    err(*adm.patch("/api/v1/users/1", {"name": "x"}, csrf=False), 403, "csrf", "PATCH without token")
    err(*adm.delete("/api/v1/session", csrf=False), 403, "csrf", "DELETE /session without token")
    # another session's token is wrong too
    other = admin()
    err(*adm.post("/api/v1/users", body, headers={"X-CSRF-Token": other.csrf}), 403, "csrf",
        "POST with another session's token")
    st, _ = adm.get("/api/v1/me")
    expect(st == 200, "session died after CSRF failures")
    st, out = adm.post("/api/v1/users", body)
    expect(st == 201, f"with the right token: {st} {out}")


def test_signout_is_server_side():
    adm = admin()
    old = adm.cookie
    st, _ = adm.delete("/api/v1/session")
    expect(st == 204, f"sign-out: {st}")
    stale = Peer(srv)
    stale.cookie = old
    err(*stale.get("/api/v1/me"), 401, "unauthenticated", "old cookie after sign-out")
    expect(any(e["action"] == "session.logout" for e in audit_actions(admin())), "no session.logout entry")


def test_bad_credentials_identical():
    src = "127.0.0.71"
    adm = admin()
    invited = create_user(adm, "expert")["user"]
    suspended = make_user(adm, "expert")
    st, _ = adm.patch(f"/api/v1/users/{suspended['id']}", {"status": "suspended"})
    expect(st == 200, "suspend")
    known, wrong_t, unknown_t = [], [], []
    c = Peer(srv, src)
    for i in range(3):
        t0 = time.monotonic()
        st1, b1 = c.login(srv.admin_email, "not-the-password-%d" % i)
        wrong_t.append(time.monotonic() - t0)
        h1 = dict(c.last_headers)
        t0 = time.monotonic()
        st2, b2 = c.login("nobody-%d@example.jp" % i, "not-the-password-%d" % i)
        unknown_t.append(time.monotonic() - t0)
        h2 = dict(c.last_headers)
        known.append((st1, b1, st2, b2))
        for h in (h1, h2):
            expect("set-cookie" not in h, f"failed sign-in sets a cookie: {h}")
    for st1, b1, st2, b2 in known:
        err(st1, b1, 401, "bad_credentials", "wrong password")
        expect((st1, b1) == (st2, b2), f"unknown e-mail answers differently: {b1} vs {b2}")
    st3, b3 = c.login(invited["email"], PASSWORD)
    st4, b4 = c.login(suspended["email"], PASSWORD)
    expect((st3, b3) == (st1, b1), f"invited user: {st3} {b3}")
    expect((st4, b4) == (st1, b1), f"suspended user with the right password: {st4} {b4}")
    # Both cases do one scrypt: an unknown e-mail is not answered markedly faster.
    mw, mu = statistics.median(wrong_t), statistics.median(unknown_t)
    expect(mu > mw * 0.4, f"unknown e-mail answered in {mu * 1000:.1f} ms, wrong password {mw * 1000:.1f} ms")
    entries = audit_actions(adm)
    fails = [e for e in entries if e["action"] == "session.login_failed" and e["ip"] == src]
    expect(len(fails) >= 8, f"session.login_failed entries: {len(fails)}")
    reasons = {e["detail"].get("reason") for e in fails}
    expect({"wrong_password", "unknown_email", "not_activated", "suspended"} <= reasons, f"reasons {reasons}")
    expect(any(e["action"] == "session.login" for e in entries), "no session.login entry")


def test_bad_request_shapes():
    c = Peer(srv, "127.0.0.72")
    err(*c.post("/api/v1/session", {"email": srv.admin_email}), 422, "invalid", "no password")
    err(*c.post("/api/v1/session", {"email": 5, "password": "x"}), 422, "invalid", "numeric e-mail")
    st, _ = c.post("/api/v1/session", raw=b"{\"email\":", headers={"Content-Type": "application/json"})
    expect(st == 400, f"malformed JSON: {st}")


# ---- users and invitations ---------------------------------------------------------------------

def test_user_create_validation():
    adm = admin()
    co = make_company(adm)
    base = {"email": uniq() + "@example.jp", "name": "山田 花子", "role": "participant", "company_id": co}
    bad = [
        ({"role": "admin"}, "unknown role"),
        ({"role": None}, "missing role"),
        ({"email": "not-an-address"}, "bad e-mail"),
        ({"email": "a@b"}, "e-mail without a dotted domain"),
        ({"email": 42}, "numeric e-mail"),
        ({"name": ""}, "empty name"),
        ({"name": None}, "missing name"),
        ({"company_id": None}, "participant without company"),
        ({"company_id": 999999}, "participant with a missing company"),
        ({"company_id": "1"}, "company_id as text"),
        ({"representative": "yes"}, "representative as text"),
        ({"role": "expert"}, "expert with a company"),
        ({"role": "expert", "company_id": None, "specialties": "network"}, "specialties not a list"),
        ({"role": "expert", "company_id": None, "specialties": [1]}, "specialties with a number"),
        ({"specialties": ["network"]}, "specialties for a participant"),
    ]
    for change, what in bad:
        body = dict(base)
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        err(*adm.post("/api/v1/users", body), 422, "invalid", what)
    st, out = adm.post("/api/v1/users", base)
    expect(st == 201 and out["invite_token"] and out["user"]["status"] == "invited", f"create: {st} {out}")
    u = out["user"]
    expect(u["company_id"] == co and u["role"] == "participant" and u["totp_enabled"] is False, f"{u}")
    dup = dict(base, email=base["email"].upper(), role="expert")
    del dup["company_id"]
    err(*adm.post("/api/v1/users", dup), 409, "email_taken", "same e-mail in other case")
    st, out = adm.post("/api/v1/users", {"email": uniq() + "@example.jp", "name": "専門家", "role": "expert",
                                         "specialties": ["ランサムウェア", "network", "Network"]})
    expect(st == 201 and out["user"]["specialties"] == ["ランサムウェア", "network"], f"expert: {st} {out}")
    # only the secretariat
    part = sign_in(make_user(adm, company_id=make_company(adm)))
    err(*part.post("/api/v1/users", dict(base, email=uniq() + "@example.jp")), 403, "forbidden",
        "participant creating users")
    err(*part.get("/api/v1/users"), 403, "forbidden", "participant listing users")


def test_company_full_default_one():
    adm = admin()
    co = make_company(adm)
    first = create_user(adm, company_id=co)["user"]
    st, b = adm.post("/api/v1/users", {"email": uniq() + "@example.jp", "name": "二人目", "role": "participant",
                                       "company_id": co})
    err(st, b, 409, "company_full", "second participant")
    # a suspended participant no longer holds the seat ...
    st, _ = adm.patch(f"/api/v1/users/{first['id']}", {"status": "suspended"})
    expect(st == 200, "suspend")
    second = create_user(adm, company_id=co)["user"]
    # ... and cannot come back while the seat is taken
    err(*adm.patch(f"/api/v1/users/{first['id']}", {"status": "active"}), 409, "company_full", "reactivation")
    st, _ = adm.patch(f"/api/v1/users/{second['id']}", {"status": "suspended"})
    st, b = adm.patch(f"/api/v1/users/{first['id']}", {"status": "active"})
    expect(st == 200 and b["user"]["status"] == "active", f"reactivation with a free seat: {st} {b}")
    # experts and the secretariat do not take seats
    create_user(adm, "expert")
    create_user(adm, "secretariat")


def test_company_full_configured():
    global srv
    shared = srv
    with Server(config={"participants_per_company": "2"}) as s:
        srv = s
        try:
            adm = admin()
            co = make_company(adm)
            make_user(adm, company_id=co)  # active counts
            create_user(adm, company_id=co)  # invited counts
            st, b = adm.post("/api/v1/users", {"email": uniq() + "@example.jp", "name": "三人目",
                                               "role": "participant", "company_id": co})
            err(st, b, 409, "company_full", "third participant with participants_per_company = 2")
        finally:
            srv = shared


def test_invite_once_and_policy():
    adm = admin()
    out = create_user(adm, "expert")
    tok, email = out["invite_token"], out["user"]["email"]
    anon = Peer(srv)
    err(*anon.post(f"/api/v1/invites/{tok}/accept", {"password": "short-pw"}), 422, "weak_password", "11 chars")
    err(*anon.post(f"/api/v1/invites/{tok}/accept", {"password": "abcdefghijk"}), 422, "weak_password", "11 chars")
    st, b = anon.post(f"/api/v1/invites/{tok}/accept", {"password": "password1234"})
    err(st, b, 422, "weak_password", "common password")
    expect("common" in b["message"], f"message does not say why: {b}")
    st, b = anon.post(f"/api/v1/invites/{tok}/accept", {"password": "qwertyuiop12"})
    err(st, b, 422, "weak_password", "keyboard walk")
    err(*anon.post(f"/api/v1/invites/{tok}/accept", {"password": "a" * 14}), 422, "weak_password", "repeated")
    local = email.split("@")[0]
    st, b = anon.post(f"/api/v1/invites/{tok}/accept", {"password": "xx-" + local + "-xx"})
    err(st, b, 422, "weak_password", "password containing the e-mail")
    err(*anon.post(f"/api/v1/invites/{tok}/accept", {}), 422, "invalid", "no password")
    # none of the refusals spent the token; a 12-character password is enough
    st, b = anon.post(f"/api/v1/invites/{tok}/accept", {"password": "Fuji-3776-mt"})
    expect(st == 200 and b["user"]["status"] == "active", f"accept: {st} {b}")
    err(*anon.post(f"/api/v1/invites/{tok}/accept", {"password": "another-strong-pw-9"}), 404, "not_found",
        "second use")
    sign_in(b["user"], password="Fuji-3776-mt")
    err(*anon.post("/api/v1/invites/" + "A" * 43 + "/accept", {"password": PASSWORD}), 404, "not_found",
        "unknown token")
    err(*anon.post("/api/v1/invites/short/accept", {"password": PASSWORD}), 404, "not_found", "malformed token")
    # the token is stored only as a hash
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"))
    rows = db.execute("SELECT token_hash FROM invites").fetchall()
    db.close()
    expect(all(r[0] != tok for r in rows) and any(r[0] == hashlib.sha256(tok.encode()).hexdigest() for r in rows),
           "invite token not stored as its SHA-256")


def test_invite_expired_and_reissued():
    adm = admin()
    out = create_user(adm, "expert")
    tok, uid = out["invite_token"], out["user"]["id"]
    exp = out["invite_expires_at"]
    expect(exp and exp.endswith("Z"), f"invite_expires_at {exp}")
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
    with db:
        db.execute("UPDATE invites SET expires_at = 1000 WHERE user_id = ?", (uid,))
    db.close()
    err(*Peer(srv).post(f"/api/v1/invites/{tok}/accept", {"password": PASSWORD}), 404, "not_found", "expired")
    st, re = adm.post(f"/api/v1/users/{uid}/invites")
    expect(st == 201 and re["invite_token"] != tok, f"reissue: {st} {re}")
    st, b = Peer(srv).post(f"/api/v1/invites/{re['invite_token']}/accept", {"password": PASSWORD})
    expect(st == 200, f"reissued token: {st} {b}")
    # reissuing for an active user is a password reset: accepting ends their sessions
    user = b["user"]
    c = sign_in(user)
    st, re2 = adm.post(f"/api/v1/users/{uid}/invites")
    st, _ = Peer(srv).post(f"/api/v1/invites/{re2['invite_token']}/accept", {"password": "a-new-secret-phrase"})
    expect(st == 200, "reset")
    err(*c.get("/api/v1/me"), 401, "unauthenticated", "session after password reset")
    sign_in(user, password="a-new-secret-phrase")
    err(*adm.post("/api/v1/users/999999/invites"), 404, "not_found", "reissue for a missing user")


def test_user_list_get_patch():
    adm = admin()
    co = make_company(adm)
    p = create_user(adm, company_id=co)["user"]
    e = create_user(adm, "expert", specialties=["network"])["user"]
    st, b = adm.get(f"/api/v1/users?company_id={co}")
    expect(st == 200 and [u["id"] for u in b["users"]] == [p["id"]], f"filter company: {st} {b}")
    st, b = adm.get("/api/v1/users?role=expert")
    expect(st == 200 and e["id"] in [u["id"] for u in b["users"]] and
           all(u["role"] == "expert" for u in b["users"]), "filter role")
    st, b = adm.get(f"/api/v1/users/{e['id']}")
    expect(st == 200 and b["user"]["email"] == e["email"], f"get: {st} {b}")
    err(*adm.get("/api/v1/users/999999"), 404, "not_found", "missing user")
    st, b = adm.patch(f"/api/v1/users/{e['id']}", {"name": "新しい名前", "specialties": ["email", "cloud"]})
    expect(st == 200 and b["user"]["name"] == "新しい名前" and b["user"]["specialties"] == ["email", "cloud"],
           f"patch: {st} {b}")
    st, b = adm.patch(f"/api/v1/users/{p['id']}", {"representative": True})
    expect(st == 200 and b["user"]["representative"] is True, f"representative: {st} {b}")
    err(*adm.patch(f"/api/v1/users/{p['id']}", {"status": "invited"}), 422, "invalid", "status invited")
    err(*adm.patch(f"/api/v1/users/{p['id']}", {"status": 1}), 422, "invalid", "status as number")
    err(*adm.patch(f"/api/v1/users/{p['id']}", {}), 422, "invalid", "empty patch")
    err(*adm.patch(f"/api/v1/users/{e['id']}", {"representative": True}), 422, "invalid", "expert representative")
    err(*adm.patch("/api/v1/users/999999", {"status": "suspended"}), 404, "not_found", "missing user")
    me = adm.get("/api/v1/me")[1]["user"]
    err(*adm.patch(f"/api/v1/users/{me['id']}", {"status": "suspended"}), 403, "forbidden", "suspending oneself")
    acts = [x for x in audit_actions(adm) if x["action"] == "user.update" and x["target"] == f"user:{e['id']}"]
    expect(acts, "no user.update entry")


def test_suspension_ends_sessions():
    adm = admin()
    user = make_user(adm, "expert")
    c1, c2 = sign_in(user), sign_in(user)
    for c in (c1, c2):
        st, _ = c.get("/api/v1/me")
        expect(st == 200, "before suspension")
    st, b = adm.patch(f"/api/v1/users/{user['id']}", {"status": "suspended"})
    expect(st == 200 and b["user"]["status"] == "suspended", f"suspend: {st} {b}")
    for c in (c1, c2):
        err(*c.get("/api/v1/me"), 401, "unauthenticated", "live session after suspension")
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"))
    n = db.execute("SELECT count(*) FROM sessions WHERE user_id = ?", (user["id"],)).fetchone()[0]
    db.close()
    expect(n == 0, f"{n} session rows remain")
    err(*Peer(srv, "127.0.0.73").login(user["email"], PASSWORD), 401, "bad_credentials", "suspended sign-in")
    st, _ = adm.patch(f"/api/v1/users/{user['id']}", {"status": "active"})
    expect(st == 200, "reactivate")
    sign_in(user)
    entries = audit_actions(adm)
    expect(any(x["action"] == "user.update" and x["detail"].get("status") == "suspended" for x in entries),
           "suspension not audited")


def test_password_change():
    adm = admin()
    user = make_user(adm, "expert")
    c, other = sign_in(user, "127.0.0.74"), sign_in(user)
    err(*c.post("/api/v1/me/password", {"current_password": "wrong-password-1", "new_password": "brand-new-pass-1"}),
        403, "bad_credentials", "wrong current password")
    err(*c.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "short"}), 422,
        "weak_password", "weak new password")
    err(*c.post("/api/v1/me/password", {"current_password": PASSWORD}), 422, "invalid", "missing new password")
    st, b = c.post("/api/v1/me/password", {"current_password": PASSWORD, "new_password": "brand-new-pass-1"})
    expect(st == 200 and b["csrf_token"], f"change: {st} {b}")
    c.csrf = b["csrf_token"]
    st, _ = c.get("/api/v1/me")
    expect(st == 200, "this browser keeps a session")
    err(*other.get("/api/v1/me"), 401, "unauthenticated", "other session after password change")
    err(*Peer(srv, "127.0.0.74").login(user["email"], PASSWORD), 401, "bad_credentials", "old password")
    sign_in(user, password="brand-new-pass-1")


# ---- throttling ------------------------------------------------------------------------------------

def test_throttle_per_account():
    adm = admin()
    user = make_user(adm, "expert")
    # The owner's browser signed in before: it holds a trusted-device cookie.
    owner = sign_in(user, "127.0.1.1")
    expect(owner.device, "no trusted-device cookie after sign-in")
    expect(any("__Host-mamori-dev=" in v and "HttpOnly" in v and "Secure" in v for v in owner.set_cookies),
           f"device cookie flags: {owner.set_cookies}")
    st, _ = owner.delete("/api/v1/session")
    # 10 failures, each from a different address: no address is throttled, the account is.
    for i in range(10):
        st, b = Peer(srv, f"127.0.1.{10 + i}").login(user["email"], "guess-number-%d" % i)
        err(st, b, 401, "bad_credentials", f"guess {i}")
    fresh = Peer(srv, "127.0.1.30")
    st, b = fresh.login(user["email"], PASSWORD)
    err(st, b, 429, "rate_limited", "11th attempt on the account, right password, new browser")
    ra = fresh.last_headers.get("retry-after")
    expect(ra and ra.isdigit() and 1 <= int(ra) <= 900, f"Retry-After {ra}")
    # the address itself is not throttled: another account signs in from it
    other = make_user(adm, "expert")
    st, _ = fresh.login(other["email"], PASSWORD)
    expect(st == 200, f"other account from the same address: {st}")
    # the owner's trusted browser still gets in, even from a new address
    owner.close()
    owner.src = "127.0.1.31"
    st, b = owner.login(user["email"], PASSWORD)
    expect(st == 200, f"trusted browser during an account lockout: {st} {b}")
    # a device cookie of another user does not exempt
    thief = Peer(srv, "127.0.1.32")
    thief.device = fresh.device
    err(*thief.login(user["email"], PASSWORD), 429, "rate_limited", "someone else's device cookie")


def test_throttle_per_address():
    src = "127.0.2.1"
    c = Peer(srv, src)
    for i in range(10):
        err(*c.login(f"nobody{i}@example.jp", "guess-%d" % i), 401, "bad_credentials", f"failure {i}")
    t0 = time.time()
    st, b = c.login(srv.admin_email, srv.admin_password)
    err(st, b, 429, "rate_limited", "right password from a throttled address")
    ra = int(c.last_headers.get("retry-after", "0"))
    expect(880 <= ra <= 900, f"Retry-After {ra}: the oldest failure leaves the window in ~900 s")
    # throttled attempts are not recorded and do not extend the lockout
    for _ in range(3):
        err(*c.login(srv.admin_email, "x" * 12), 429, "rate_limited", "still throttled")
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"))
    n = db.execute("SELECT count(*) FROM login_failures WHERE ip = ? AND pending = 0", (src,)).fetchone()[0]
    db.close()
    expect(n == 10, f"{n} failures recorded for the address")
    # other addresses are unaffected
    admin("127.0.2.2")
    # the window slides: age the failures by 14 min 50 s and the wait shrinks accordingly
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
    with db:
        db.execute("UPDATE login_failures SET at = at - 890 WHERE ip = ?", (src,))
    db.close()
    err(*c.login(srv.admin_email, srv.admin_password), 429, "rate_limited", "still inside the window")
    ra = int(c.last_headers.get("retry-after", "0"))
    expect(1 <= ra <= 10 + int(time.time() - t0) + 1, f"Retry-After after aging: {ra}")
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
    with db:
        db.execute("UPDATE login_failures SET at = at - 20 WHERE ip = ?", (src,))
    db.close()
    st, b = c.login(srv.admin_email, srv.admin_password)
    expect(st == 200, f"after the window: {st} {b}")


def test_throttle_attempts_in_progress():
    """Attempts still being checked count toward the limit, but only for a moment: the wait they
    cause is 1 s, not the window; one that never finished (a crash) counts as a failure."""
    src = "127.0.2.9"
    now = int(time.time())
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"), timeout=10)
    with db:
        for i in range(10):
            db.execute("INSERT INTO login_failures (email, ip, at, pending) VALUES (?, ?, ?, 1)",
                       (f"inflight{i}@example.jp", src, now))
    c = Peer(srv, src)
    err(*c.login(srv.admin_email, srv.admin_password), 429, "rate_limited", "10 attempts in progress")
    expect(c.last_headers.get("retry-after") == "1", f"Retry-After {c.last_headers.get('retry-after')}")
    with db:
        db.execute("UPDATE login_failures SET at = at - 300 WHERE ip = ?", (src,))
    err(*c.login(srv.admin_email, srv.admin_password), 429, "rate_limited", "stale attempts")
    ra = int(c.last_headers.get("retry-after", "0"))
    expect(590 <= ra <= 600, f"stale attempts count as failures: Retry-After {ra}")
    with db:
        db.execute("DELETE FROM login_failures WHERE ip = ?", (src,))
    db.close()
    st, _ = c.login(srv.admin_email, srv.admin_password)
    expect(st == 200, f"after the rows are gone: {st}")


def test_throttle_concurrent_burst():
    """A burst of parallel guesses cannot slip past the limit while the first ones are hashed."""
    import threading
    adm = admin()
    user = make_user(adm, "expert")
    results = []

    def guess(i):
        st, _ = Peer(srv, f"127.0.3.{i + 1}").login(user["email"], "parallel-guess-%d" % i)
        results.append(st)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect(results.count(401) <= 10, f"{results.count(401)} guesses were hashed; at most 10 may be")
    expect(results.count(429) >= 15, f"statuses {sorted(results)}")


# ---- TOTP ------------------------------------------------------------------------------------------

def test_totp_flow():
    adm = admin()
    user = make_user(adm, "expert")
    c = sign_in(user)
    err(*c.post("/api/v1/me/totp/confirm", {"code": "123456"}), 409, "totp_not_started", "confirm first")
    st, b = c.post("/api/v1/me/totp")
    expect(st == 200 and b["secret"] and b["otpauth_uri"].startswith("otpauth://totp/"), f"start: {st} {b}")
    secret = b["secret"]
    expect(f"secret={secret}" in b["otpauth_uri"] and "issuer=" in b["otpauth_uri"], b["otpauth_uri"])
    wrong = "%06d" % ((int(totp(secret)) + 500000) % 1000000)
    err(*c.post("/api/v1/me/totp/confirm", {"code": wrong}), 422, "bad_code", "wrong confirmation code")
    # enrolment is not active until confirmed
    st, _ = Peer(srv).login(user["email"], PASSWORD)
    expect(st == 200, "sign-in before confirmation")
    used = totp(secret)
    st, b = c.post("/api/v1/me/totp/confirm", {"code": used})
    expect(st == 200 and b["user"]["totp_enabled"] is True, f"confirm: {st} {b}")
    err(*c.post("/api/v1/me/totp"), 409, "totp_enabled", "start again")

    p = Peer(srv, "127.0.4.1")
    err(*p.login(user["email"], PASSWORD), 401, "totp_required", "no code")
    err(*p.login(user["email"], "wrong-password-x"), 401, "bad_credentials", "no code, wrong password")
    err(*p.login(user["email"], PASSWORD, totp=wrong), 401, "bad_credentials", "wrong code")
    err(*p.login(user["email"], PASSWORD, totp=used), 401, "bad_credentials",
        "the code whose time step confirmation used")
    code = totp(secret, offset=1)  # the next step is accepted (clock drift) and not used yet
    st, b = p.login(user["email"], PASSWORD, totp=code)
    expect(st == 200 and b["user"]["totp_enabled"], f"sign-in with code: {st} {b}")
    err(*Peer(srv, "127.0.4.1").login(user["email"], PASSWORD, totp=code), 401, "bad_credentials", "code reuse")
    err(*p.login(user["email"], PASSWORD, totp="12345"), 401, "bad_credentials", "malformed code")
    # the wrong codes counted as failed sign-ins; the totp_required answer did not
    db = sqlite3.connect(os.path.join(srv.data, "mamori.db"))
    n = db.execute("SELECT count(*) FROM login_failures WHERE ip = '127.0.4.1' AND pending = 0").fetchone()[0]
    db.close()
    expect(n == 5, f"{n} failures recorded (expected 5)")
    # the secretariat resets a lost phone
    st, b = adm.patch(f"/api/v1/users/{user['id']}", {"totp_reset": True})
    expect(st == 200 and b["user"]["totp_enabled"] is False, f"reset: {st} {b}")
    sign_in(user, "127.0.4.2")
    acts = {x["action"] for x in audit_actions(adm)}
    expect("user.totp_enable" in acts, "TOTP enrolment not audited")


def test_totp_disable():
    """Removing two-step sign-in takes the current password and a valid code: a stolen session
    alone cannot do it. Wrong passwords and wrong codes count as failed sign-ins (429 after 10
    in 15 minutes, with Retry-After), and both outcomes are audited."""
    adm = admin()
    user = make_user(adm, "expert")
    c = sign_in(user, "127.0.6.1")
    secret = c.post("/api/v1/me/totp")[1]["secret"]
    used = totp(secret, offset=-1)
    st, _ = c.post("/api/v1/me/totp/confirm", {"code": used})
    expect(st == 200, "confirm")
    err(*c.delete("/api/v1/me/totp", body={"code": totp(secret)}), 422, "invalid", "a code without the password")
    err(*c.delete("/api/v1/me/totp", body={"password": PASSWORD}), 422, "invalid", "the password without a code")
    err(*c.delete("/api/v1/me/totp", body={"password": "not-the-password-1", "code": totp(secret)}), 403,
        "bad_credentials", "wrong password, right code")
    err(*c.delete("/api/v1/me/totp", body={"password": PASSWORD, "code": used}), 422, "bad_code", "used step")
    st, me = c.get("/api/v1/me")
    expect(st == 200 and me["user"]["totp_enabled"], "still enrolled after the failures")
    st, _ = c.delete("/api/v1/me/totp", body={"password": PASSWORD, "code": totp(secret)})
    expect(st == 204, f"disable: {st}")
    st, me = c.get("/api/v1/me")
    expect(me["user"]["totp_enabled"] is False, "disabled")
    sign_in(user)
    entries = [x for x in audit_actions(adm) if x["target"] == f"user:{user['id']}"]
    acts = [x["action"] for x in entries]
    expect(acts.count("user.totp_disable_failed") == 2 and "user.totp_disable" in acts,
           f"both outcomes audited: {acts}")


def test_totp_disable_throttled():
    """Guessing through DELETE /me/totp is throttled like sign-in."""
    adm = admin()
    user = make_user(adm, "expert")
    c = sign_in(user, "127.0.6.2")
    secret = c.post("/api/v1/me/totp")[1]["secret"]
    st, _ = c.post("/api/v1/me/totp/confirm", {"code": totp(secret)})
    expect(st == 200, "confirm")
    wrong = "%06d" % ((int(totp(secret)) + 500000) % 1000000)
    for i in range(10):
        st, b = c.delete("/api/v1/me/totp", body={"password": PASSWORD, "code": wrong})
        expect(st == 422, f"guess {i}: {st} {b}")
    st, b = c.delete("/api/v1/me/totp", body={"password": PASSWORD, "code": totp(secret, offset=1)})
    err(st, b, 429, "rate_limited", "the 11th attempt, even with the right code")
    ra = int(c.last_headers.get("retry-after", "0"))
    expect(0 < ra <= 900, f"Retry-After {ra}")
    st, me = c.get("/api/v1/me")
    expect(me["user"]["totp_enabled"], "still enrolled")
    # the account's counter is full for sign-in too (the same throttle)
    err(*Peer(srv, "127.0.6.3").login(user["email"], PASSWORD), 429, "rate_limited", "sign-in after the guesses")


def test_totp_required_by_secretariat():
    adm = admin()
    e = make_user(adm, "expert")
    st, b = adm.patch(f"/api/v1/users/{e['id']}", {"totp_required": True})
    expect(st == 200 and b["user"]["totp_required"] and b["user"]["totp_setup_required"], f"require: {st} {b}")
    c = Peer(srv)
    st, b = c.login(e["email"], PASSWORD)
    expect(st == 200 and b["user"]["totp_setup_required"] is True, f"sign-in must enrol: {st} {b}")
    # until enrolled, only self-service answers: no content, no staff routes
    err(*c.get("/api/v1/threads"), 403, "totp_setup_required", "content before enrolment")
    err(*c.get("/api/v1/escalations"), 403, "totp_setup_required", "expert queue before enrolment")
    st, _ = c.get("/api/v1/me")
    expect(st == 200, "/me stays reachable before enrolment")
    secret = c.post("/api/v1/me/totp")[1]["secret"]
    st, b = c.post("/api/v1/me/totp/confirm", {"code": totp(secret)})
    expect(st == 200 and b["user"]["totp_setup_required"] is False, f"enrolled: {b}")
    st, _ = c.get("/api/v1/threads")
    expect(st != 403 or _.get("error") != "totp_setup_required", "still held after enrolment")
    err(*c.delete("/api/v1/me/totp", body={"password": PASSWORD, "code": totp(secret, offset=1)}), 403, "forbidden",
        "disabling a required TOTP")
    st, _ = adm.patch(f"/api/v1/users/{adm.get('/api/v1/me')[1]['user']['id']}", {"totp_required": False})
    expect(st == 200, "secretariat flag on a secretariat account")
    p = make_user(adm, company_id=make_company(adm))
    err(*adm.patch(f"/api/v1/users/{p['id']}", {"totp_required": True}), 422, "invalid", "participant")
    err(*adm.patch(f"/api/v1/users/{e['id']}", {"totp_required": "yes"}), 422, "invalid", "not a boolean")


def main():
    global srv
    with Server(config={"track_capacity": "1000"}) as s:
        srv = s
        run_tests([
            test_rfc6238_helper,
            test_signin_me_and_user_fields,
            test_no_session_is_401,
            test_csrf_required,
            test_signout_is_server_side,
            test_bad_credentials_identical,
            test_bad_request_shapes,
            test_user_create_validation,
            test_company_full_default_one,
            test_company_full_configured,
            test_invite_once_and_policy,
            test_invite_expired_and_reissued,
            test_user_list_get_patch,
            test_suspension_ends_sessions,
            test_password_change,
            test_throttle_per_account,
            test_throttle_per_address,
            test_throttle_attempts_in_progress,
            test_throttle_concurrent_burst,
            test_totp_flow,
            test_totp_disable,
            test_totp_disable_throttled,
            test_totp_required_by_secretariat,
        ])


if __name__ == "__main__":
    main()
