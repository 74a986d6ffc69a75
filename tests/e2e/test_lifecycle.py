#!/usr/bin/env python3
"""The process's life (docs/API.md §1): SIGTERM under load drains and exits 0, SIGHUP swaps the
certificate without dropping connections, `mamori backup` under load gives a sound copy and never
overwrites, `mamori init` is idempotent, and bad arguments exit 2 with one line on stderr.
"""
import hashlib
import http.client
import json
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import BIN, Server, expect, free_port, run, run_tests, scaled  # noqa: E402


# ---- helpers ---------------------------------------------------------------------------------

def fingerprint_pem(path):
    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def peer_fingerprint(srv, cafile):
    """SHA-256 of the certificate a new connection is shown, verified against cafile."""
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=10)
    conn.connect()
    fp = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()
    conn.close()
    return fp


def make_cert(cert, key, cn="localhost"):
    """A new self-signed P-256 certificate for localhost/127.0.0.1 by the openssl CLI, written
    beside the target and renamed into place (as certbot-style tooling does)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key + ".new", "-out", cert + ".new", "-days", "30",
                    "-subj", f"/CN={cn}", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    os.replace(key + ".new", key)
    os.replace(cert + ".new", cert)


class Hammer:
    """Threads sending GET /api/v1/health over keep-alive connections until stopped. Counts the
    complete 200 answers received, and every failure by kind."""

    def __init__(self, srv, threads=4):
        self.srv = srv
        self.stop_ev = threading.Event()
        self.ok = 0
        self.errors = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        ctx = self.srv.ssl_context()
        conn = None
        while not self.stop_ev.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection("127.0.0.1", self.srv.port, context=ctx, timeout=30)
                conn.request("GET", "/api/v1/health")
                resp = conn.getresponse()
                body = resp.read()
                good = resp.status == 200 and body == b'{"status":"ok"}'
                with self.lock:
                    if good:
                        self.ok += 1
                    else:
                        self.errors[f"status {resp.status}"] = self.errors.get(f"status {resp.status}", 0) + 1
            except Exception as e:  # noqa: BLE001 — counted by kind
                with self.lock:
                    self.errors[type(e).__name__] = self.errors.get(type(e).__name__, 0) + 1
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.01)
        if conn:
            conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(60)


def health_lines(log):
    return sum(1 for ln in log.splitlines() if ln.startswith("req GET /api/v1/health 200"))


def one_line_exit_2(args, what, names=None, stdin=None):
    p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=60, input=stdin)
    expect(p.returncode == 2, f"{what}: exit {p.returncode} (stderr {p.stderr!r})")
    lines = p.stderr.strip("\n").split("\n")
    expect(len(lines) == 1 and lines[0].strip(), f"{what}: stderr is not one line: {p.stderr!r}")
    if names:
        expect(names in lines[0], f"{what}: message does not name {names!r}: {lines[0]!r}")
    return lines[0]


# ---- signals -----------------------------------------------------------------------------------

def test_sigterm_under_load_exits_0():
    with Server() as srv:
        time.sleep(1.2)  # the request log is written in blocks, at the latest once a second
        before = health_lines(srv.read_log())
        with Hammer(srv, threads=6) as h:
            time.sleep(1.5)
            expect(h.ok > 50 and not h.errors, f"load before SIGTERM: ok={h.ok} errors={h.errors}")
            srv.proc.send_signal(signal.SIGTERM)
            rc = srv.proc.wait(timeout=40)
            h.stop()
        expect(rc == 0, f"exit code after SIGTERM under load: {rc}\n{srv.read_log()[-2000:]}")
        # Every answer the server logged as sent reached its client whole: draining does not
        # drop responses that were still in the socket buffers.
        sent = health_lines(srv.read_log()) - before
        expect(sent == h.ok, f"server answered {sent} health requests, clients received {h.ok} "
                             f"(errors {h.errors})")
        expect("stopped" in srv.read_log(), "no 'stopped' line in the log")


def test_sigterm_finishes_slow_request_in_flight():
    """A request on the helper pool (a sign-in hashes its password there) when SIGTERM arrives
    is answered before the process exits."""
    with Server() as srv:
        result = {}
        c = srv.client()
        expect(c.get("/api/v1/health")[0] == 200, "warm-up")  # the TLS connection is up already

        def sign_in():
            try:
                result["st"] = c.login(srv.admin_email, srv.admin_password)[0]
                result["at"] = time.monotonic()
            except Exception as e:  # noqa: BLE001
                result["err"] = repr(e)

        t = threading.Thread(target=sign_in)
        t.start()
        time.sleep(0.03)  # the request is in; its password hash takes ~100 ms on the pool
        sent = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        t.join(60)
        rc = srv.proc.wait(timeout=40)
        expect(rc == 0, f"exit {rc}")
        expect(result.get("st") == 200, f"sign-in in flight at SIGTERM: {result}")
        expect(result["at"] > sent, "the sign-in finished before SIGTERM: nothing was in flight")


def test_sigint_exits_0():
    with Server() as srv:
        rc = srv.stop(sig=signal.SIGINT)
        expect(rc == 0, f"SIGINT exit {rc}")


def test_sighup_reloads_certificate():
    with Server() as srv:
        cert = os.path.join(srv.data, "tls", "cert.pem")
        key = os.path.join(srv.data, "tls", "key.pem")
        old_fp = fingerprint_pem(cert)
        old_pem = open(cert).read()
        both = os.path.join(srv.dir, "both.pem")
        # A keep-alive connection opened before the reload.
        keep = http.client.HTTPSConnection("127.0.0.1", srv.port, context=srv.ssl_context(), timeout=10)
        keep.request("GET", "/api/v1/health")
        expect(keep.getresponse().read() == b'{"status":"ok"}', "keep-alive before reload")
        keep_sock = keep.sock
        expect(peer_fingerprint(srv, cert) == old_fp, "served certificate is not the data dir's")

        make_cert(cert, key, cn="localhost-renewed")
        new_fp = fingerprint_pem(cert)
        expect(new_fp != old_fp, "openssl made the same certificate")
        with open(both, "w") as f:
            f.write(old_pem + open(cert).read())
        # Before SIGHUP the old certificate is still served (no reload by itself).
        expect(peer_fingerprint(srv, both) == old_fp, "certificate changed before SIGHUP")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        seen = old_fp
        while time.time() < deadline and seen != new_fp:
            time.sleep(0.05)
            seen = peer_fingerprint(srv, both)
        expect(seen == new_fp, "new connections still see the old certificate after SIGHUP")
        # The connection from before the reload is still open and still served.
        keep.request("GET", "/api/v1/health")
        expect(keep.getresponse().read() == b'{"status":"ok"}', "keep-alive connection after reload")
        expect(keep.sock is keep_sock, "keep-alive connection was re-established")
        keep.close()

        # A broken pair (key of another certificate) is refused; the last good one stays.
        other = os.path.join(srv.dir, "other")
        os.makedirs(other)
        make_cert(os.path.join(other, "c.pem"), os.path.join(other, "k.pem"))
        good_key = open(key).read()
        with open(key, "w") as f:
            f.write(open(os.path.join(other, "k.pem")).read())
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        expect(srv.proc.poll() is None, "server died on a bad certificate reload")
        expect(peer_fingerprint(srv, both) == new_fp, "a failed reload changed the certificate")
        expect("reload failed" in srv.read_log(), "failed reload not logged")
        with open(key, "w") as f:
            f.write(good_key)
        expect(srv.stop() == 0, "exit after reloads")


# ---- backup ------------------------------------------------------------------------------------

def test_backup_under_load():
    with Server() as srv:
        out = os.path.join(srv.dir, "backup.db")
        writes = {"n": 0, "route": True}
        stop = threading.Event()

        def writer():
            # Sign-ins write sessions and audit entries: the backup runs beside real writes.
            c = srv.client()
            while not stop.is_set():
                st, _ = c.login(srv.admin_email, srv.admin_password)
                if st == 200:
                    writes["n"] += 1
                elif st == 404:
                    writes["route"] = False
                    return
                c = srv.client()

        wt = threading.Thread(target=writer, daemon=True)
        with Hammer(srv, threads=4) as h:
            wt.start()
            time.sleep(1)
            p = run(["backup", "--data", srv.data, "--out", out], check=False)
            time.sleep(0.5)
            stop.set()
            wt.join(60)
            h.stop()
            expect(not h.errors, f"load errors during backup: {h.errors}")
        expect(p.returncode == 0, f"backup exit {p.returncode}: {p.stderr}")
        expect(writes["n"] > 0 or not writes["route"], "no writes happened beside the backup")
        expect(os.stat(out).st_mode & 0o077 == 0, f"backup is readable by others: {oct(os.stat(out).st_mode)}")
        db = sqlite3.connect(out)
        try:
            expect(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check")
            expect(db.execute("PRAGMA foreign_key_check").fetchall() == [], "foreign_key_check")
            expect(db.execute("SELECT count(*) FROM users WHERE email = ?", (srv.admin_email,)).fetchone()[0] == 1,
                   "backup lacks the admin user")
            live = sqlite3.connect(os.path.join(srv.data, "mamori.db"))
            expect(db.execute("PRAGMA user_version").fetchone() == live.execute("PRAGMA user_version").fetchone(),
                   "backup schema version differs")
            live.close()
            expect(db.execute("PRAGMA journal_mode").fetchone()[0] != "wal", "backup left in WAL mode")
        finally:
            db.close()
        # Never overwrites: the second run fails, names the file, and leaves it untouched.
        digest = hashlib.sha256(open(out, "rb").read()).hexdigest()
        one_line_exit_2(["backup", "--data", srv.data, "--out", out], "backup onto an existing file", names=out)
        expect(hashlib.sha256(open(out, "rb").read()).hexdigest() == digest, "existing backup was changed")
        expect(not os.path.exists(out + ".partial"), "a partial file was left behind")
        # The copy is a working data directory: a server starts on it.
        restored = os.path.join(srv.dir, "restored")
        os.makedirs(os.path.join(restored, "tls"))
        os.replace(out, os.path.join(restored, "mamori.db"))
        for f in ("cert.pem", "key.pem"):
            with open(os.path.join(srv.data, "tls", f), "rb") as a, open(os.path.join(restored, "tls", f), "wb") as b:
                b.write(a.read())
        again = Server(data=restored)  # not `with`: the restored copy has its admin already
        again.start()
        try:
            expect(again.client().login(srv.admin_email, srv.admin_password)[0] in (200, 404),
                   "sign-in on the restored backup")
            expect(again.client().get("/api/v1/health")[0] == 200, "server on the restored backup")
        finally:
            expect(again.stop() == 0, "server on the restored backup did not stop cleanly")


def test_backup_bad_arguments():
    with tempfile.TemporaryDirectory() as tmp:
        one_line_exit_2(["backup", "--data", tmp], "backup without --out")
        one_line_exit_2(["backup", "--out", os.path.join(tmp, "x.db")], "backup without --data")
        out = os.path.join(tmp, "x.db")
        one_line_exit_2(["backup", "--data", os.path.join(tmp, "nothing-here"), "--out", out],
                        "backup of a missing database", names="nothing-here")
        expect(not os.path.exists(out) and not os.path.exists(out + ".partial"), "backup left a file behind")


# ---- init --------------------------------------------------------------------------------------

def test_init_twice_changes_nothing():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "d")
        run(["init", "--data", data])
        cert, key = (os.path.join(data, "tls", n) for n in ("cert.pem", "key.pem"))
        fp, key_bytes = fingerprint_pem(cert), open(key, "rb").read()
        expect(os.stat(key).st_mode & 0o077 == 0, "TLS key readable by others")
        expect(os.stat(data).st_mode & 0o077 == 0, "data directory open to others")
        db = sqlite3.connect(os.path.join(data, "mamori.db"))
        version = db.execute("PRAGMA user_version").fetchone()[0]
        schema = db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
        db.close()
        expect(version >= 1, "no schema applied")
        run(["user", "add", "--data", data, "--role", "secretariat", "--email", "a@example.jp", "--name", "A"],
            stdin="a-long-enough-password-1\n")
        p = run(["init", "--data", data])
        expect(p.returncode == 0, "second init")
        expect(fingerprint_pem(cert) == fp and open(key, "rb").read() == key_bytes, "second init changed the TLS files")
        db = sqlite3.connect(os.path.join(data, "mamori.db"))
        expect(db.execute("PRAGMA user_version").fetchone()[0] == version, "schema version changed")
        expect(db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema, "schema changed")
        expect(db.execute("SELECT count(*) FROM users").fetchone()[0] == 1, "second init touched the users")
        db.close()


# ---- bad arguments -----------------------------------------------------------------------------

def test_bad_arguments_exit_2():
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "d")
        run(["init", "--data", data])
        one_line_exit_2([], "no command")
        one_line_exit_2(["frobnicate"], "unknown command", names="frobnicate")
        one_line_exit_2(["init"], "init without --data")
        one_line_exit_2(["init", "--data"], "init --data without a value")
        fresh = os.path.join(tmp, "never")
        one_line_exit_2(["init", "--data", fresh, "--bogus", "1"], "init with an unknown flag", names="--bogus")
        expect(not os.path.exists(fresh), "init with a bad flag created the directory")
        one_line_exit_2(["serve"], "serve without --data")
        one_line_exit_2(["serve", "--data", data, "--wat"], "serve with an unknown flag", names="--wat")
        one_line_exit_2(["serve", "--data", data, "--listen", "nonsense"], "serve --listen nonsense", names="listen")
        one_line_exit_2(["serve", "--data", data, "--listen", "127.0.0.1:99999"], "serve --listen bad port",
                        names="listen")
        one_line_exit_2(["serve", "--data", os.path.join(tmp, "none")], "serve on a missing data dir")
        expect(not os.path.exists(os.path.join(tmp, "none")), "serve created a data dir")
        one_line_exit_2(["serve", "--data", data, "--config", os.path.join(tmp, "missing.conf")],
                        "serve with a missing config file", names="missing.conf")
        one_line_exit_2(["user"], "user without add")
        one_line_exit_2(["user", "add", "--data", data, "--role", "king", "--email", "k@example.jp", "--name", "K"],
                        "user add with an unknown role", names="role", stdin="a-long-enough-password-1\n")
        one_line_exit_2(["user", "add", "--data", data, "--email", "k@example.jp"], "user add without --role")
        one_line_exit_2(["user", "add", "--data", data, "--role", "secretariat", "--email", "k@example.jp",
                         "--name", "\u3000"], "user add with a blank name", names="--name",
                        stdin="a-long-enough-password-1\n")
        one_line_exit_2(["user", "add", "--data", data, "--role", "participant", "--email", "p@example.jp",
                         "--name", "P", "--company", "12abc"], "user add with --company 12abc", names="--company",
                        stdin="a-long-enough-password-1\n")
        one_line_exit_2(["user", "add", "--data", data, "--role", "secretariat", "--email", "l@example.jp",
                         "--name", "L"], "user add with a 2,000-byte password", names="password",
                        stdin="a" * 2000 + "\n")
        one_line_exit_2(["backup"], "backup without flags")
        one_line_exit_2(["audit"], "audit without a subcommand")
        one_line_exit_2(["calendar"], "calendar without a subcommand")
        one_line_exit_2(["calendar", "holidays", "notayear"], "calendar holidays notayear")
        # Configuration files: an unknown key or a bad value stops the server, naming the key.
        cases = [
            ("frobnicate = 1", "frobnicate"),
            ("workers = many", "workers"),
            ("workers = 0", "workers"),
            ("timeout_seconds = 0", "timeout_seconds"),
            ("smtp_port = 70000", "smtp_port"),
            ("sla_peer_hours = -1", "sla_peer_hours"),
            ("sla_expert_hours = soon", "sla_expert_hours"),
            ("track_capacity = 1.5", "track_capacity"),
            ("max_attachment_bytes = 20MiB", "max_attachment_bytes"),
            ("listen = 127.0.0.1", "listen"),
            ("tls_cert =", "tls_cert"),
            ("just some words", ":2"),
        ]
        for i, (line, name) in enumerate(cases):
            conf = os.path.join(tmp, f"bad{i}.conf")
            with open(conf, "w") as f:
                f.write("# a comment\n" + line + "\n")
            one_line_exit_2(["serve", "--data", data, "--config", conf, "--listen", "127.0.0.1:1"],
                            f"config {line!r}", names=name)


def test_config_flags_win_and_comments():
    """A listen address in the config file loses to --listen (the harness passes the real port);
    a trailing comment on a line is a comment."""
    with Server(config={"listen": "127.0.0.1:1   # loses to --listen"}) as srv:
        expect(srv.client().get("/api/v1/health")[0] == 200, "flag did not win over the file")


def test_one_server_per_directory_and_port():
    """A second `mamori serve` on a data directory in use, or on an address another process
    listens on, stops at start with one line that says why, and the first server is unharmed.
    (With SO_REUSEPORT alone the kernel would share the port's connections between the two; on
    one directory two writers, indexers and caches would run side by side, and a post written
    through one would never reach the event streams of the other.)"""
    with Server() as srv, tempfile.TemporaryDirectory() as tmp:
        other = free_port()
        p = subprocess.run([BIN, "serve", "--data", srv.data, "--listen", f"127.0.0.1:{other}"],
                           capture_output=True, text=True, timeout=scaled(30))
        expect(p.returncode == 1 and "another mamori serve is running" in p.stderr, (p.returncode, p.stderr))
        data = os.path.join(tmp, "d")
        run(["init", "--data", data])
        p = subprocess.run([BIN, "serve", "--data", data, "--listen", f"127.0.0.1:{srv.port}"],
                           capture_output=True, text=True, timeout=scaled(30))
        expect(p.returncode != 0 and "in use by another process" in p.stderr, (p.returncode, p.stderr))
        for _ in range(20):  # every connection still reaches the first server
            expect(srv.client().get("/api/v1/health")[0] == 200, "first server harmed")
        srv.stop()
        srv.start()  # the lock went with the process: the same directory serves again
        expect(srv.client().get("/api/v1/health")[0] == 200, "restart on the same directory")


def main():
    run_tests([
        test_sigterm_under_load_exits_0,
        test_sigterm_finishes_slow_request_in_flight,
        test_sigint_exits_0,
        test_sighup_reloads_certificate,
        test_backup_under_load,
        test_backup_bad_arguments,
        test_init_twice_changes_nothing,
        test_bad_arguments_exit_2,
        test_config_flags_win_and_comments,
        test_one_server_per_directory_and_port,
    ])


if __name__ == "__main__":
    main()
