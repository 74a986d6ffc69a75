#!/usr/bin/env python3
"""Login CSRF and cross-site writes (issue 13, finding 4). A cross-site page can post a
`<form enctype="text/plain">` whose body happens to parse as JSON, with no preflight: the server
took any Content-Type, so the form could sign a victim into an attacker's account. Now:
- a route that takes a JSON body answers 415 unsupported_media_type when a body comes with any
  other type than application/json (parameters allowed, any case); a body-less request needs no
  type at all (POST .../follow, .../publish);
- routes declared to take raw bytes (ROUTE_RAW_BODY: attachment upload) take any type;
- a state-changing request (POST/PUT/PATCH/DELETE) with Sec-Fetch-Site: cross-site is refused
  with 403 cross_site, login and invitation acceptance included; reads are not affected."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import ADMIN_EMAIL, ADMIN_PASSWORD, Server, expect, run_tests  # noqa: E402

S = None
W = {}


def setup():
    global S
    S = Server(config={"participants_per_company": "5"})
    S.__enter__()
    a = S.admin()
    cid = fw.company(a)
    p = fw.user(S, a, "participant", cid)
    cat = fw.category(a)
    t = fw.thread(p, cat, "送信元の確認", "本文", "community")
    W.update(admin=a, p=p, cid=cid, cat=cat, tid=t["id"])


def raw_post(client, path, data, ctype=None, extra=None, method="POST"):
    h = {} if ctype is None else {"Content-Type": ctype}
    h.update(extra or {})
    return client.request(method, path, raw=data, headers=h)


def login_body():
    return json.dumps({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).encode()


def test_text_plain_login_is_refused():
    """The login CSRF itself: a text/plain form whose body is the attacker's credentials."""
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                  "application/jsonx", "text/json", None):
        c = S.client()
        st, body = raw_post(c, "/api/v1/session", login_body(), ctype)
        expect(st == 415 and body["error"] == "unsupported_media_type", f"{ctype}: {st} {body}")
        expect(c.cookie is None, f"{ctype}: no session cookie was set")


def test_json_types_are_accepted():
    for ctype in ("application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8",
                  "application/json ; charset=\"utf-8\""):
        c = S.client()
        st, body = raw_post(c, "/api/v1/session", login_body(), ctype)
        expect(st == 200 and c.cookie, f"{ctype}: {st} {body}")


def test_signed_in_json_routes_need_json():
    p, tid = W["p"], W["tid"]
    data = json.dumps({"body": "text/plain からの返信"}).encode()
    st, body = raw_post(p, f"/api/v1/threads/{tid}/posts", data, "text/plain",
                        {"X-CSRF-Token": p.csrf})
    expect(st == 415 and body["error"] == "unsupported_media_type", f"{st} {body}")
    st, body = raw_post(p, f"/api/v1/threads/{tid}/posts", data, "application/json",
                        {"X-CSRF-Token": p.csrf})
    expect(st == 201, f"the same with application/json: {st} {body}")
    a = W["admin"]
    st, body = raw_post(a, f"/api/v1/threads/{tid}", json.dumps({"pinned": True}).encode(), "text/plain",
                        method="PATCH")
    expect(st == 415, f"PATCH too: {st} {body}")


def test_bodyless_post_needs_no_type():
    p, tid = W["p"], W["tid"]
    st, body = raw_post(p, f"/api/v1/threads/{tid}/follow", b"", None, {"X-CSRF-Token": p.csrf})
    expect(st == 204, f"POST follow without body or type: {st} {body}")
    st, body = raw_post(p, f"/api/v1/threads/{tid}/follow", b"", "text/plain", {"X-CSRF-Token": p.csrf},
                        method="DELETE")
    expect(st == 204, f"an empty body with any type is no body: {st} {body}")


def test_raw_routes_take_any_type():
    p, tid = W["p"], W["tid"]
    st, body = raw_post(p, f"/api/v1/threads/{tid}/attachments?filename=a.txt", b"hello", "text/plain",
                        {"X-CSRF-Token": p.csrf})
    expect(st == 201, f"upload as text/plain: {st} {body}")
    st, body = raw_post(p, f"/api/v1/threads/{tid}/attachments?filename=b.bin", b"\x00\x01",
                        "application/octet-stream", {"X-CSRF-Token": p.csrf})
    expect(st == 201, f"upload as octet-stream: {st} {body}")


def test_cross_site_writes_are_refused():
    p, tid, a = W["p"], W["tid"], W["admin"]
    cross = {"Sec-Fetch-Site": "cross-site"}
    c = S.client()
    st, body = c.post("/api/v1/session", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, headers=cross)
    expect(st == 403 and body["error"] == "cross_site" and c.cookie is None, f"login: {st} {body}")
    st, body = p.post(f"/api/v1/threads/{tid}/posts", {"body": "cross"}, headers=cross)
    expect(st == 403 and body["error"] == "cross_site", f"post: {st} {body}")
    st, body = p.delete(f"/api/v1/threads/{tid}/follow", headers=cross)
    expect(st == 403 and body["error"] == "cross_site", f"delete: {st} {body}")
    # invitation acceptance: refused before the token is even looked at
    st, body = a.post("/api/v1/users", {"email": fw.uniq("inv") + "@example.jp", "name": "招待",
                                        "role": "participant", "company_id": W["cid"]})
    expect(st == 201, f"user: {st} {body}")
    tok = body["invite_token"]
    c = S.client()
    st, b2 = c.post(f"/api/v1/invites/{tok}/accept", {"password": fw.PASSWORD}, csrf=False, headers=cross)
    expect(st == 403 and b2["error"] == "cross_site", f"accept: {st} {b2}")
    st, b2 = c.post(f"/api/v1/invites/{tok}/accept", {"password": fw.PASSWORD}, csrf=False,
                    headers={"Sec-Fetch-Site": "same-origin"})
    expect(st in (200, 201), f"the same invitation from our own page: {st} {b2}")
    st, body = p.post(f"/api/v1/threads/{tid}/follow", headers={"Sec-Fetch-Site": "same-site"})
    expect(st == 403 and body["error"] == "cross_site", f"a sibling subdomain's page: {st} {body}")
    # reads, same-origin and none (typed address, bookmarks) are fine
    st, body = p.get(f"/api/v1/threads/{tid}", headers=cross)
    expect(st == 200, f"GET cross-site: {st} {body}")
    for site in ("same-origin", "none"):
        st, body = p.post(f"/api/v1/threads/{tid}/follow", headers={"Sec-Fetch-Site": site})
        expect(st == 204, f"{site}: {st} {body}")


if __name__ == "__main__":
    setup()
    try:
        run_tests([test_text_plain_login_is_refused, test_json_types_are_accepted,
                   test_signed_in_json_routes_need_json, test_bodyless_post_needs_no_type,
                   test_raw_routes_take_any_type, test_cross_site_writes_are_refused])
    finally:
        S.__exit__(None, None, None)
