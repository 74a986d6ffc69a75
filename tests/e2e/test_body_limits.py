#!/usr/bin/env python3
"""Bodies before sign-in (issue 13, finding 8). evhttp buffered any request body up to the
attachment limit (20 MiB) before the router saw the request, session or not. Now a request
without a valid session cookie may carry 64 KiB: one announcing more is answered 413 too_large
as soon as its head is in, without waiting for (or buffering) the body, and the connection is
closed. Signed-in requests keep the full limit, on a fresh connection too.

The proof that the body is not read: the head announces 1 MiB and no body byte is ever sent;
the answer still comes (before, the server waited for the body until the connection deadline
and then dropped the connection without an answer)."""
import json
import os
import socket
import ssl
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import Server, expect, run_tests  # noqa: E402

MIB = 1 << 20
srv = None


def tls_socket():
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
    return srv.ssl_context().wrap_socket(sock, server_hostname="localhost")


def head_only(path, headers, length=MIB, method="POST"):
    """Sends only a request head announcing `length` body bytes (None: chunked, no length) and
    reads one answer. Returns (status, parsed body, headers text, socket still open after it)."""
    s = tls_socket()
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost"] + [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    f = s.makefile("rb")
    status_line = f.readline()
    head = []
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        head.append(line.decode("latin-1").strip())
    n = next((int(h.split(":", 1)[1]) for h in head if h.lower().startswith("content-length:")), 0)
    body = f.read(n)
    f.close()
    s.close()
    status = int(status_line.split(b" ", 2)[1]) if status_line.startswith(b"HTTP/1.1 ") else None
    try:
        body = json.loads(body)
    except ValueError:
        pass
    return status, body, "\n".join(head)


def test_unauthenticated_big_body_refused_before_reading():
    st, body, head = head_only("/api/v1/session", {"Content-Type": "application/json"})
    expect(st == 413 and isinstance(body, dict) and body.get("error") == "too_large", f"{st} {body!r}")
    expect("content-security-policy" in head.lower(), f"the usual headers: {head}")
    # an unknown or expired cookie is no session
    st, body, _ = head_only("/api/v1/threads/1/attachments?filename=a.bin",
                               {"Cookie": "__Host-mamori=not-a-session-token"})
    expect(st == 413 and body.get("error") == "too_large", f"with a bogus cookie: {st} {body!r}")
    # chunked: no announced size, so no session means refused too
    st, body, head = head_only("/api/v1/session", {"Transfer-Encoding": "chunked"}, length=None)
    expect(st == 413 and "connection: close" in head.lower(), f"chunked without a session: {st} {body!r} {head}")
    # a client waiting for 100 Continue will not send the body: answered and closed
    st, body, head = head_only("/api/v1/session", {"Expect": "100-continue"})
    expect(st == 413 and "connection: close" in head.lower(), f"Expect: 100-continue: {st} {body!r} {head}")
    # over the full limit: answered and closed, not drained
    st, body, head = head_only("/api/v1/session", {}, length=1 << 40)
    expect(st == 413 and "connection: close" in head.lower(), f"1 TiB announced: {st} {body!r} {head}")
    st, b = srv.client().get("/api/v1/health")
    expect(st == 200, "still healthy")


def test_unauthenticated_small_bodies_work():
    c = srv.client()
    st, body = c.login(srv.admin_email, srv.admin_password)
    expect(st == 200, f"sign-in: {st} {body}")
    # a body of exactly 64 KiB is let in (and refused by the route for what it is)
    raw = b'{"email":"' + b"a" * (65536 - 12) + b'"}'
    expect(len(raw) == 65536, len(raw))
    st, body = srv.client().request("POST", "/api/v1/session", raw=raw, headers={"Content-Type": "application/json"})
    expect(st in (413, 422), f"64 KiB reaches the route: {st} {body}")
    raw = b'{"email":"' + b"a" * (65537 - 12) + b'"}'
    c = srv.client()
    st, body = c.request("POST", "/api/v1/session", raw=raw, headers={"Content-Type": "application/json"})
    expect(st == 413 and body["error"] == "too_large", f"one byte more: {st} {body}")
    # the body was dropped, not taken for the next request: the connection goes on
    conn = c.conn
    st, body = c.get("/api/v1/health")
    expect(st == 200 and c.conn is conn, f"the same connection after a refused body: {st} {body}")


def test_signed_in_keeps_the_full_limit_on_a_fresh_connection():
    a = srv.admin()
    st, g = a.post("/api/v1/categories", {"slug": "lim", "name": "lim", "description": ""})
    expect(st == 201, f"category: {st} {g}")
    st, t = a.post("/api/v1/threads", {"category_id": g["id"], "title": "大きな添付", "body": "本文",
                                       "kind": "discussion", "visibility": "community"})
    expect(st == 201, f"thread: {st} {t}")
    fresh = srv.client()
    fresh.cookie, fresh.csrf = a.cookie, a.csrf
    data = os.urandom(3 * MIB)
    st, body = fresh.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=big.bin", raw=data,
                             headers={"Content-Type": "application/octet-stream"})
    expect(st == 201 and body["size"] == len(data), f"3 MiB upload, first request on its connection: {st} {body}")
    # and a second one on the same connection
    st, body = fresh.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=big2.bin", raw=data,
                             headers={"Content-Type": "application/octet-stream"})
    expect(st == 201, f"again on the same connection: {st} {body}")
    # signed out, the same connection falls back to the small limit
    st, _ = fresh.delete("/api/v1/session")
    expect(st == 204, f"sign-out: {st}")
    fresh.cookie = a.cookie  # the old cookie, now invalid
    st, body = fresh.request("POST", f"/api/v1/threads/{t['id']}/attachments?filename=big3.bin", raw=data[:MIB],
                             headers={"Content-Type": "application/octet-stream"})
    expect(st == 413, f"after sign-out: {st} {body}")


if __name__ == "__main__":
    with Server(config={"timeout_seconds": "10"}) as s:
        srv = s
        run_tests([
            test_unauthenticated_big_body_refused_before_reading,
            test_unauthenticated_small_bodies_work,
            test_signed_in_keeps_the_full_limit_on_a_fresh_connection,
        ])
