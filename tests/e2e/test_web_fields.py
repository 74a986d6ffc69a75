"""Fields the web front end reads beyond the core contract: each track's places in the company list
(`tracks`), the company's name on users (`company_name`), and the flagged post's opening text in
the flag queue (`post.excerpt`)."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import forum_world as fw  # noqa: E402
from mamori import Server, expect, run_tests  # noqa: E402

S = None
W = {}


def setup():
    global S
    S = Server(config={"track_capacity": "3"})
    S.__enter__()
    W["admin"] = S.admin()
    W["g"] = fw.group(W["admin"])


def tracks():
    st, body = W["admin"].get("/api/v1/companies")
    expect(st == 200, f"companies: {st} {body}")
    return body["tracks"]


def test_tracks_count_active_companies_against_capacity():
    a = W["admin"]
    expect(tracks() == {"monozukuri": {"filled": 0, "capacity": 3, "free": 3},
                        "service": {"filled": 0, "capacity": 3, "free": 3}}, f"empty: {tracks()}")
    made = [fw.company(a, W["g"], industry="E") for _ in range(3)]
    fw.company(a, W["g"], industry="G")
    expect(tracks()["monozukuri"] == {"filled": 3, "capacity": 3, "free": 0}, f"full: {tracks()}")
    expect(tracks()["service"] == {"filled": 1, "capacity": 3, "free": 2}, f"service: {tracks()}")
    # A withdrawn company frees its place; a completed one too (only active companies fill places,
    # as in the capacity check); the summary ignores the list's filters.
    st, body = a.patch(f"/api/v1/companies/{made[0]}", {"status": "withdrawn"})
    expect(st == 200, f"withdraw: {st} {body}")
    st, body = a.patch(f"/api/v1/companies/{made[1]}", {"status": "completed"})
    expect(st == 200, f"complete: {st} {body}")
    st, body = a.get("/api/v1/companies?track=service")
    expect(st == 200 and body["tracks"]["monozukuri"] == {"filled": 1, "capacity": 3, "free": 2}, f"filtered: {body}")
    expect(all(c["track"] == "service" for c in body["companies"]), f"the filter still filters: {body}")


def test_users_carry_company_name():
    a = W["admin"]
    st, co = a.post("/api/v1/companies", {"name": "株式会社名前テスト", "industry": "E", "sme_class": "manufacturing_other",
                                          "capital_yen": 1000, "employees": 1})
    expect(st == 201, f"company: {st} {co}")
    p = fw.user(S, a, "participant", co["id"])
    ex = fw.user(S, a, "expert")
    st, me = p.get("/api/v1/me")
    expect(st == 200 and me["user"]["company_name"] == "株式会社名前テスト", f"me: {st} {me}")
    st, me = ex.get("/api/v1/me")
    expect(st == 200 and me["user"]["company_name"] is None, f"an expert has none: {me}")
    st, body = a.get(f"/api/v1/users?company_id={co['id']}")
    expect(st == 200 and [u["company_name"] for u in body["users"]] == ["株式会社名前テスト"], f"users: {body}")
    # Renamed: the name follows.
    st, body = a.patch(f"/api/v1/companies/{co['id']}", {"name": "株式会社改名テスト"})
    expect(st == 200, f"rename: {st} {body}")
    st, body = a.get(f"/api/v1/users/{p.uid}")
    expect(st == 200 and body["user"]["company_name"] == "株式会社改名テスト", f"renamed: {body}")


def test_flag_queue_shows_the_posts_opening_text():
    a = W["admin"]
    co = fw.company(a, W["g"], industry="G")
    p, q = fw.user(S, a, "participant", co), fw.user(S, a, "participant", fw.company(a, W["g"], industry="H"))
    text = "連絡先は090-0000-0000です。" + "あ" * 300
    th = fw.thread(p, fw.category(a), "抜粋の確認", text)
    st, f = q.post(f"/api/v1/posts/{th['first_post_id']}/flags", {"reason": "個人情報"})
    expect(st == 201, f"flag: {st} {f}")
    expect("post" not in f, f"the reporter's receipt has no queue details: {f}")
    st, body = a.get("/api/v1/flags")
    expect(st == 200, f"flags: {st} {body}")
    got = [x for x in body["flags"] if x["id"] == f["id"]]
    expect(len(got) == 1 and got[0]["post"]["excerpt"] == text[:280], f"excerpt: {got}")


if __name__ == "__main__":
    setup()
    try:
        run_tests([
            test_tracks_count_active_companies_against_capacity,
            test_users_carry_company_name,
            test_flag_queue_shows_the_posts_opening_text,
        ])
    finally:
        S.__exit__(None, None, None)
