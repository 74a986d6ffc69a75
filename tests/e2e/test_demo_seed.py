#!/usr/bin/env python3
"""The living demo (issue 14 item 5): deploy/demo-seed.py run against a fresh server makes a
program in the middle of its year through the real API, and each role sees what that role
sees — and no more. A second run adds nothing. Keeps the demo from rotting.
"""
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import ADMIN_EMAIL, ADMIN_PASSWORD, Server, expect, run_tests  # noqa: E402

SOURCE = os.environ.get("MAMORI_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
SEED = os.path.join(SOURCE, "deploy", "demo-seed.py")
DEMO_PASSWORD = "mamori-demo-2026"

COMPANY_Q = "退職者のVPNアカウントが残っていないか確認する手順"
HIKARI_COMPANY = "【自社用】リスク評価表のドラフト"
GROUP_A = "第7回の宿題：インシデント対応の連絡網、どう作りましたか"
STAFF = "専門家派遣 第2回の日程と各社の進み具合"
PEER_Q = "UTMのログはどのくらいの期間保存すべきでしょうか"
LEDGER = "資産台帳、どこまで細かく書いていますか"


def seed(srv, creds):
    # -I -S: no site-packages at all, so the seed can only use the standard library (run-demo.sh
    # installs nothing but python3).
    p = subprocess.run(["/usr/bin/python3", "-I", "-S", SEED, f"https://127.0.0.1:{srv.port}", ADMIN_EMAIL, ADMIN_PASSWORD,
                        os.path.join(srv.data, "tls", "cert.pem"), "--credentials", creds],
                       capture_output=True, text=True, timeout=300)
    expect(p.returncode == 0, f"demo-seed exited {p.returncode}: {p.stdout}\n{p.stderr}")
    return p.stdout


def sign_in(srv, key):
    c = srv.client()
    st, body = c.login(f"{key}@example.jp", DEMO_PASSWORD)
    expect(st == 200 and body.get("user"), f"{key} signs in with the demo password, no second step: {st} {body}")
    return c


def titles(c):
    st, body = c.get("/api/v1/threads?per_page=100")
    expect(st == 200, f"threads: {st} {body}")
    return {t["title"]: t for t in body["threads"]}


def test_demo_seed_per_role_and_idempotent():
    with Server() as srv:
        creds = os.path.join(tempfile.mkdtemp(prefix="mamori-demo-"), "demo-credentials.txt")
        out = seed(srv, creds)
        expect("things created" in out, out)
        text = open(creds, encoding="utf-8").read()
        expect(stat.S_IMODE(os.stat(creds).st_mode) == 0o600, "credentials readable by the owner only")
        for key in ("minato", "hikari", "sakura", "suzuran", "aoba", "ichiro", "hanako"):
            expect(f"{key}@example.jp" in text and f"{key}@example.jp" in out, f"{key} listed: {text}")
        expect(DEMO_PASSWORD in text and ADMIN_EMAIL in text, text)

        admin = srv.admin()
        seen = titles(admin)
        for t in (COMPANY_Q, HIKARI_COMPANY, GROUP_A, STAFF, PEER_Q, LEDGER):
            expect(t in seen, f"the secretariat sees {t}: {sorted(seen)}")
        expect({t["visibility"] for t in seen.values()} == {"community", "group", "company", "staff"},
               f"every visibility: {[(t['title'], t['visibility']) for t in seen.values()]}")
        st, companies = admin.get("/api/v1/companies")
        expect({c["track"] for c in companies["companies"]} == {"monozukuri", "service"}, companies)
        expect(all(c["group_id"] for c in companies["companies"]), "every company in a workshop group")
        st, flags = admin.get("/api/v1/flags?state=open")
        expect(st == 200 and len(flags["flags"]) == 1, f"one flag waits for the secretariat: {flags}")
        st, peer = admin.get(f"/api/v1/threads/{seen[PEER_Q]['id']}")
        expect(peer["thread"]["status"] == "resolved", f"answered by a peer and accepted: {peer['thread']}")
        accepted = peer["thread"]["accepted_post_id"]
        expect([p["author"]["name"] for p in peer["posts"] if p["id"] == accepted] == ["光 由美（ひかり物流）"], peer)

        # A participant sees their own company's thread and their group's, not another company's.
        minato = sign_in(srv, "minato")
        mine = titles(minato)
        expect(COMPANY_Q in mine and GROUP_A in mine and LEDGER in mine, sorted(mine))
        expect(HIKARI_COMPANY not in mine and STAFF not in mine, f"minato sees too much: {sorted(mine)}")
        st, _ = minato.get(f"/api/v1/threads/{seen[HIKARI_COMPANY]['id']}")
        expect(st == 404, f"another company's thread by URL: {st}")
        hikari = sign_in(srv, "hikari")
        theirs = titles(hikari)
        expect(HIKARI_COMPANY in theirs and GROUP_A in theirs and COMPANY_Q not in theirs, sorted(theirs))
        st, _ = hikari.get(f"/api/v1/threads/{seen[COMPANY_Q]['id']}")
        expect(st == 404, f"the other company's participant cannot read the company thread: {st}")
        sakura = sign_in(srv, "sakura")
        expect(GROUP_A not in titles(sakura), "another group's thread stays in its group")

        # The unassigned expert sees the escalation (with its due time) and its thread, not other
        # companies' threads; the assigned expert sees their companies' threads and the staff room.
        hanako = sign_in(srv, "hanako")
        st, esc = hanako.get("/api/v1/escalations")
        expect(st == 200 and [e["thread_id"] for e in esc["escalations"]] == [seen[COMPANY_Q]["id"]], esc)
        expect(esc["escalations"][0]["due_at"] and esc["escalations"][0]["state"] == "assigned", esc)
        hers = titles(hanako)
        expect(COMPANY_Q in hers and STAFF in hers and HIKARI_COMPANY not in hers, sorted(hers))
        st, notes = hanako.get("/api/v1/notifications")
        expect([n["kind"] for n in notes["notifications"]] == ["escalation.assigned"], notes)
        ichiro = sign_in(srv, "ichiro")
        his = titles(ichiro)
        expect(HIKARI_COMPANY in his and STAFF in his and COMPANY_Q in his, sorted(his))

        # The company left pending meets the consent screen.
        aoba = sign_in(srv, "aoba")
        st, me = aoba.get("/api/v1/me")
        expect(me["pending_consents"], f"aoba has consents to give: {me}")
        st, body = aoba.get("/api/v1/threads")
        expect(st == 403 and body["error"] == "consent_required", f"aoba is held at the gate: {st} {body}")
        st, me = minato.get("/api/v1/me")
        expect(me["pending_consents"] == [] and me["user"]["representative"], me)

        # Once more: nothing new.
        before = (len(seen), admin.get("/api/v1/users")[1]["users"], flags)
        out = seed(srv, creds)
        expect("already present" in out, out)
        after = (len(titles(admin)), admin.get("/api/v1/users")[1]["users"], admin.get("/api/v1/flags?state=open")[1])
        expect(before == after, f"a second run changed something:\n{before}\n{after}")
        st, peer2 = admin.get(f"/api/v1/threads/{seen[LEDGER]['id']}")
        expect(len(peer2["posts"]) == 4, f"no replies added twice: {len(peer2['posts'])}")


def test_seed_failure_is_visible():
    """A wrong password: the seed says so and exits non-zero (run-demo.sh prints a warning)."""
    with Server() as srv:
        p = subprocess.run(["/usr/bin/python3", "-I", "-S", SEED, f"https://127.0.0.1:{srv.port}", ADMIN_EMAIL, "wrong-password-x",
                            os.path.join(srv.data, "tls", "cert.pem")], capture_output=True, text=True, timeout=120)
        expect(p.returncode != 0 and "demo-seed: failed" in p.stderr, f"{p.returncode} {p.stdout} {p.stderr}")


if __name__ == "__main__":
    run_tests([test_demo_seed_per_role_and_idempotent, test_seed_failure_is_visible])
