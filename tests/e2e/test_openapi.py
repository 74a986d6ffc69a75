#!/usr/bin/env python3
"""The API description (docs/openapi.json): the server serves exactly the document of the
repository at GET /api/v1/openapi.json without a session, and the response check every e2e
request goes through (openapi_check.py) refuses what the document does not allow, so a passing
e2e suite means every response it saw matched the document."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
import openapi_check  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

srv = None


def refused(*args):
    try:
        openapi_check.check(*args)
    except AssertionError as e:
        return str(e)
    return None


def test_served_without_session_and_equal_to_the_repository_copy():
    c = srv.client()
    st, body = c.get("/api/v1/openapi.json")
    expect(st == 200, f"openapi.json: {st}")
    expect(c.last_headers["content-type"].startswith("application/json"), "content type")
    with open(openapi_check.DOC_PATH, encoding="utf-8") as f:
        expect(body == json.load(f), "the served document differs from docs/openapi.json (rebuild?)")
    expect(body["openapi"] == "3.1.0", "OpenAPI 3.1")


def test_the_check_accepts_a_documented_answer():
    expect(refused("GET", "/api/v1/health", 200, "application/json", b'{"status":"ok"}') is None, "health 200")
    expect(refused("DELETE", "/api/v1/session", 204, "application/json; charset=utf-8", b"") is None, "204")
    expect(refused("GET", "/api/v1/threads/7?page=2", 404, "application/json",
                   b'{"error":"not_found","message":"not found"}') is None, "404 with a path parameter")
    expect(refused("GET", "/api/v1/documents/current", 200, "application/json", b"[]") is None,
           "a literal segment wins over {id}")
    expect(refused("POST", "/api/v1/groups", 201, "application/json", b'{"id":1,"name":"g"}', {"name": "g"}) is None,
           "a documented request body")
    expect(refused("POST", "/api/v1/groups", 422, "application/json", b'{"error":"invalid","message":"x"}',
                   {"name": 5}) is None, "a refused request is not held to the request schema")


def test_the_check_refuses_what_the_document_does_not_allow():
    cases = [
        (("GET", "/api/v1/no-such-route", 404, "application/json", b'{"error":"not_found","message":"x"}'),
         "not in docs/openapi.json"),
        (("PUT", "/api/v1/health", 405, "application/json", b'{"error":"x","message":"x"}'),
         "not in docs/openapi.json"),
        (("GET", "/api/v1/health", 418, "application/json", b"{}"), "status not documented"),
        (("GET", "/api/v1/health", 200, "application/json", b'{"status":1}'), "does not match"),
        (("GET", "/api/v1/health", 200, "text/plain", b"ok"), "content type"),
        (("DELETE", "/api/v1/session", 204, "application/json", b"{}"), "without a body"),
        (("GET", "/api/v1/me", 401, "application/json", b'{"error":"nope","message":"x"}'), "does not match"),
        (("GET", "/api/v1/me", 401, "application/json", b'{"error":"unauthenticated"}'), "does not match"),
        (("GET", "/api/v1/categories", 403, "application/json",
          b'{"error":"consent_required","message":"x"}'), "pending"),
        (("GET", "/api/v1/posts/1", 200, "application/json",
          json.dumps({"id": 1, "thread_id": 2, "author": {"id": 3, "name": "a", "role": "participant"},
                      "body": "b", "html": "<p>b</p>", "created_at": "2026-01-01T00:00:00Z",
                      "hidden": False, "redacted": False}).encode()), "edited_at"),
    ]
    # A request the server accepted must match the documented request body too.
    cases += [
        (("POST", "/api/v1/groups", 201, "application/json", b'{"id":1,"name":"g"}', {}), "name"),
        (("POST", "/api/v1/groups", 201, "application/json", b'{"id":1,"name":"g"}', {"name": 5}), "refuses"),
        (("POST", "/api/v1/posts/1/hide", 200, "application/json", b"{}", {"reason": "x"}), "does not describe"),
    ]
    for args, why in cases:
        msg = refused(*args)
        expect(msg is not None, f"{args[:3]} was accepted")
        expect(why in msg, f"{args[:3]}: {msg}")


def test_answers_of_routes_other_tests_pass_by():
    # Each call goes through the response check; these are the answers no other e2e test asks for.
    admin = srv.admin()
    expert = fw.user(srv, admin, "expert")
    st, b = admin.get("/api/v1/users?role=expert&status=active")
    expect(st == 200 and any(u["id"] == expert.uid for u in b["users"]), f"users: {st} {b}")
    st, b = admin.get(f"/api/v1/users/{expert.uid}")
    expect(st == 200 and b["user"]["role"] == "expert", f"user: {st} {b}")
    st, b = admin.post(f"/api/v1/users/{expert.uid}/invites")
    expect(st == 201 and b["user_id"] == expert.uid and b["invite_token"], f"reissue: {st} {b}")
    st, b = expert.post("/api/v1/me/password", {"current_password": fw.PASSWORD + "x",
                                                 "new_password": "another-long-password-2026"})
    expect(st == 403 and b["error"] == "bad_credentials", f"wrong current password: {st} {b}")
    st, b = expert.get("/api/v1/documents")
    expect(st == 200 and isinstance(b, list), f"documents: {st} {b}")
    st, b = expert.get("/api/v1/me/mail-preferences")
    expect(st == 200, f"mail preferences: {st} {b}")


if __name__ == "__main__":
    with Server() as s:
        srv = s
        run_tests([test_served_without_session_and_equal_to_the_repository_copy,
                   test_the_check_accepts_a_documented_answer,
                   test_the_check_refuses_what_the_document_does_not_allow,
                   test_answers_of_routes_other_tests_pass_by])
