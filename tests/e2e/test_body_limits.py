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
    # chunked: the size is not announced; evhttp holds it to 64 KiB as the chunks come
    s = tls_socket()
    s.sendall(b"POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n" + b"".join(b"%x\r\n" % 8192 + b"x" * 8192 + b"\r\n"
                                                          for _ in range(9)))
    status = s.recv(64)
    s.close()
    expect(status.startswith(b"HTTP/1.1 413"), f"chunked without a session, over 64 KiB: {status!r}")
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


def read_answers(s, n):
    """Reads n HTTP answers from socket s; returns their statuses and JSON bodies."""
    f = s.makefile("rb")
    out = []
    for _ in range(n):
        status = int(f.readline().split(b" ", 2)[1])
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        out.append((status, json.loads(f.read(length) or b"null")))
    f.close()
    return out


def test_pipelined_requests_keep_their_boundaries():
    """Several requests in one write: each body is skipped (or dropped, when refused) exactly,
    so the next head is read as a head, not as a body."""
    small = b'{"email":"x@example.jp","password":"not-the-password-9"}'
    big = b'{"email":"' + b"a" * 70000 + b'"}'
    health = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"

    def post(body):
        return (b"POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)) + body

    def chunked(body):
        return (b"POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 10 + body[:10] + b"\r\n"
                + b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\n\r\n")

    s = tls_socket()
    s.sendall(post(small) + health + post(big) + health + chunked(small) + health)
    got = read_answers(s, 6)
    s.close()
    want = [401, 200, 413, 200, 401, 200]
    expect([st for st, _ in got] == want, f"statuses {[st for st, _ in got]} != {want}: {got}")
    expect(got[2][1]["error"] == "too_large" and got[3][1] == {"status": "ok"}, f"{got}")


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
    # pipelined on one connection: a signed-in upload, then a request without a session, each
    # with its own limit
    up = os.urandom(200_000)
    big = b'{"email":"' + b"a" * 70000 + b'"}'
    s = tls_socket()
    s.sendall((f"POST /api/v1/threads/{t['id']}/attachments?filename=p.bin HTTP/1.1\r\nHost: localhost\r\n"
               f"Cookie: {a.cookie}\r\nX-CSRF-Token: {a.csrf}\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: {len(up)}\r\n\r\n").encode() + up
              + b"POST /api/v1/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              + b"Content-Length: %d\r\n\r\n" % len(big) + big
              + b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    got = read_answers(s, 3)
    s.close()
    expect([st for st, _ in got] == [201, 413, 200] and got[0][1]["size"] == len(up), f"pipelined: {got}")
    # a chunked upload, signed in: the full limit as well
    s = tls_socket()
    s.sendall((f"POST /api/v1/threads/{t['id']}/attachments?filename=c.bin HTTP/1.1\r\nHost: localhost\r\n"
               f"Cookie: {a.cookie}\r\nX-CSRF-Token: {a.csrf}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
              + b"".join(b"%x\r\n" % 50_000 + up[i:i + 50_000] + b"\r\n" for i in range(0, len(up), 50_000))
              + b"0\r\n\r\n" + b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
    got = read_answers(s, 2)
    s.close()
    expect([st for st, _ in got] == [201, 200] and got[0][1]["size"] == len(up), f"chunked upload: {got}")
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
            test_pipelined_requests_keep_their_boundaries,
            test_signed_in_keeps_the_full_limit_on_a_fresh_connection,
        ])
