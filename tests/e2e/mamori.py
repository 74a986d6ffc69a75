"""Test harness for end-to-end tests: runs the real `mamori` binary on a free loopback port with
a fresh data directory and talks HTTPS to it, verifying the server's own certificate.

    with Server() as srv:
        admin = srv.client()
        admin.login("admin@example.jp", srv.admin_password)
        st, body = admin.post("/api/v1/groups", {"name": "A"})
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import openapi_check

BIN = os.environ.get("MAMORI_BIN", os.path.join(os.path.dirname(__file__), "../../build/mamori"))
ADMIN_EMAIL = "admin@example.jp"
ADMIN_PASSWORD = "kanri-suru-hito-2026"
# Under ThreadSanitizer the server runs several times slower: tests/run-all.sh sets
# MAMORI_TIMEOUT_SCALE and every wait of the harness (and of tests that use scaled()) stretches.
TIMEOUT_SCALE = float(os.environ.get("MAMORI_TIMEOUT_SCALE", "1") or "1")
# A sanitizer report in the server's output fails the test that ran the server (see Server.stop).
SANITIZER_MARKERS = ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:",
                     "ERROR: LeakSanitizer")


def scaled(seconds):
    """A timeout in seconds, stretched for slow (sanitizer) builds."""
    return seconds * TIMEOUT_SCALE


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(args, stdin=None, check=True):
    """Runs the mamori binary with args; returns CompletedProcess (text)."""
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=scaled(120))
    check_sanitizer_output(p.stderr, f"mamori {' '.join(args)}")
    if check and p.returncode != 0:
        raise AssertionError(f"mamori {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def check_sanitizer_output(text, what):
    """Raises when text holds a sanitizer report (a data race, a memory error, UB)."""
    for marker in SANITIZER_MARKERS:
        i = text.find(marker)
        if i >= 0:
            raise AssertionError(f"{what}: sanitizer report:\n{text[max(0, i - 200):i + 6000]}")


class Server:
    """A running server with a fresh data directory and one secretariat account."""

    def __init__(self, config=None, workers=2, env=None, data=None):
        self.dir = data or tempfile.mkdtemp(prefix="mamori-e2e-")
        self.data = os.path.join(self.dir, "data") if data is None else data
        self.port = free_port()
        self.config = config or {}
        self.workers = workers
        self.env = env
        self.proc = None
        self.admin_email = ADMIN_EMAIL
        self.admin_password = ADMIN_PASSWORD
        self.log_path = os.path.join(self.dir if data is None else tempfile.mkdtemp(), "server.log")

    def __enter__(self):
        self.init()
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        if not os.environ.get("MAMORI_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def init(self):
        run(["init", "--data", self.data])
        run(["user", "add", "--data", self.data, "--role", "secretariat", "--email", ADMIN_EMAIL,
             "--name", "事務局 管理者"], stdin=ADMIN_PASSWORD + "\n")

    def start(self, extra_args=()):
        cfg = dict(self.config)
        cfg.setdefault("workers", str(self.workers))
        path = os.path.join(self.data, "test.conf")
        with open(path, "w") as f:
            for k, v in cfg.items():
                f.write(f"{k} = {v}\n")
        self.log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}", "--config", path,
             *extra_args], stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + scaled(20)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.read_log()[-2000:]}")
            try:
                st, _ = self.client().get("/api/v1/health")
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not become healthy")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        timeout = scaled(timeout)
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop in time")
        rc = self.proc.returncode if self.proc else None
        if self.proc:
            self.log.close()
        self.proc = None
        if rc is not None:
            check_sanitizer_output(self.read_log(), "server")
        return rc

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def ssl_context(self):
        ctx = ssl.create_default_context(cafile=os.path.join(self.data, "tls", "cert.pem"))
        ctx.check_hostname = True
        return ctx

    def client(self):
        return Client(self)

    def admin(self):
        c = self.client()
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        return c


class Client:
    """An HTTPS client with its own cookie and CSRF token, over one keep-alive connection."""

    def __init__(self, server):
        self.server = server
        self.cookie = None
        self.csrf = None
        self.conn = None
        self.last_headers = {}

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection("127.0.0.1", self.server.port,
                                                    context=self.server.ssl_context(), timeout=scaled(30))
        return self.conn

    def request(self, method, path, body=None, headers=None, raw=None, csrf=True, spec=True):
        """Returns (status, parsed JSON or bytes). body is JSON-encoded; raw is sent as is.
        Every /api/ response is checked against docs/openapi.json (openapi_check.py); spec=False
        only for requests that probe undocumented routes on purpose."""
        h = {"User-Agent": "mamori-e2e"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
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
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ssl.SSLEOFError):
                self.close()
                if attempt:
                    raise
        self.last_headers = {k.lower(): v for k, v in resp.getheaders()}
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and v.startswith("__Host-mamori="):
                val = v.split(";", 1)[0]
                self.cookie = None if val == "__Host-mamori=" else val
        ctype = self.last_headers.get("content-type", "")
        if spec:
            sent = body if raw is None and body is not None else openapi_check.NO_BODY
            openapi_check.check(method, path, resp.status, ctype, payload, sent)
        if ctype.startswith("application/json") and payload:
            return resp.status, json.loads(payload)
        return resp.status, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, email, password, **extra):
        st, body = self.post("/api/v1/session", {"email": email, "password": password, **extra})
        if st == 200:
            self.csrf = body["csrf_token"]
        return st, body

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


def expect(cond, msg="expectation failed"):
    if not cond:
        raise AssertionError(msg)


def run_tests(tests):
    """Runs test functions in order, printing one line each and a closing tally."""
    import traceback
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)
