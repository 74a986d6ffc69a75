#!/usr/bin/env python3
"""Generates a forum dataset directly into a stopped server's database (fast: plain sqlite3
inserts, search indexes included), for tests/bench/forum_*.

    python3 tests/bench/forum_dataset.py --data DIR [--posts 1000000] [--per-thread 20]

Creates DIR with `mamori init` when missing. Every generated body is made of space-separated words
that are already folded (lowercase ASCII, full-width kana/kanji), so the index rows equal what
server/search.c would write. Prints the session cookies of a participant and of the secretariat
(as JSON on the last line) for the load generators."""
import argparse
import hashlib
import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import time

JA = ("対策 脆弱性 ネットワーク ファイアウォール 更新 パスワード ランサムウェア バックアップ サーバー メール "
      "フィッシング 認証 暗号化 ログ 監視 端末 社員 教育 委託先 取引先 規程 事故 報告 調査 復旧 設定 導入 "
      "検討 相談 費用 見積 製造 工場 生産 管理 制御 無線 有線 クラウド 契約 保守 点検 権限 共有 外部 持出").split()
EN = ("utm vpn firewall router patch backup policy incident malware endpoint edr siem mfa "
      "phishing ransomware wifi cloud server update password admin audit").split()
# A Zipf-distributed vocabulary: the domain words first, then 20,000 made-up words of kanji and
# katakana (2-4 characters) and ASCII (4-9 letters), weight 1/(rank+10) — so a few terms are in a
# sixth of all posts and most are rare, as in real text.
_rnd = random.Random(7)
_KANJI = "安全情報機器業務対応確認運用障害通信管理技術社内部門作業方針計画資料会議担当変更設定導入"
_KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロワン"
_EXTRA = set()
while len(_EXTRA) < 20000:
    if _rnd.random() < 0.7:
        pool = _KANJI if _rnd.random() < 0.5 else _KANA
        _EXTRA.add("".join(_rnd.choice(pool) for _ in range(_rnd.randint(2, 4))))
    else:
        _EXTRA.add("".join(_rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(_rnd.randint(4, 9))))
WORDS = JA + EN + sorted(_EXTRA - set(JA + EN))
_CUM = []
_acc = 0.0
for _i in range(len(WORDS)):
    _acc += 1.0 / (_i + 10)
    _CUM.append(_acc)


def short_tokens(word):
    """server/search.c short_tokens() of one word without spaces."""
    b = [c.encode() for c in word]
    out = []
    for i, c in enumerate(b):
        out.append("u" + c.hex())
        if i + 1 < len(b):
            out.append("b" + (c + b[i + 1]).hex())
    return " ".join(out)


TOK = {w: short_tokens(w) for w in WORDS}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "../../build/mamori"))
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--per-thread", type=int, default=20)
    ap.add_argument("--companies", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    if not os.path.exists(os.path.join(args.data, "mamori.db")):
        subprocess.run([args.bin, "init", "--data", args.data], check=True)
        subprocess.run([args.bin, "user", "add", "--data", args.data, "--role", "secretariat", "--email",
                        "admin@example.jp", "--name", "事務局"], input="bench-admin-password-2026\n", text=True,
                       check=True)
    db = sqlite3.connect(os.path.join(args.data, "mamori.db"))
    db.execute("PRAGMA synchronous=OFF")
    now = int(time.time())
    t0 = time.time()
    with db:
        admin = db.execute("SELECT id FROM users WHERE role='secretariat' ORDER BY id LIMIT 1").fetchone()[0]
        groups = []
        for g in range(3):
            groups.append(db.execute("INSERT INTO groups (name, created_at) VALUES (?, ?)",
                                     (f"bench-group-{g}-{now}", now)).lastrowid)
        companies, users = [], []
        for i in range(args.companies):
            co = db.execute("INSERT INTO companies (name, industry, sme_class, capital_yen, employees, track, status,"
                            " group_id, created_at) VALUES (?, 'E', 'manufacturing_other', 10000000, 20, 'monozukuri',"
                            " 'active', ?, ?)", (f"bench-co-{i}", groups[i % 3], now)).lastrowid
            companies.append(co)
            uid = db.execute("INSERT INTO users (email, name, role, company_id, status, created_at)"
                             " VALUES (?, ?, 'participant', ?, 'active', ?)",
                             (f"bench{i}-{now}@example.jp", f"参加者{i}", co, now)).lastrowid
            users.append((uid, co, groups[i % 3]))
        cat = db.execute("INSERT INTO categories (slug, name, created_at) VALUES (?, 'ベンチ', ?)",
                         (f"bench-{now}", now)).lastrowid
        post_id = db.execute("SELECT coalesce(max(id), 0) FROM posts").fetchone()[0]
        nthreads = max(1, args.posts // args.per_thread)
        thread_rows, post_rows, fts_rows, short_rows = [], [], [], []

        def flush():
            db.executemany("INSERT INTO threads (id, category_id, author_id, title, kind, visibility, company_id,"
                           " group_id, status, post_count, created_at, last_post_at)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", thread_rows)
            db.executemany("INSERT INTO posts (id, thread_id, author_id, body, html, created_at)"
                           " VALUES (?,?,?,?,?,?)", post_rows)
            db.executemany("INSERT INTO search_fts (rowid, title, body) VALUES (?,?,?)", fts_rows)
            db.executemany("INSERT INTO search_short (rowid, tokens) VALUES (?,?)", short_rows)
            for x in (thread_rows, post_rows, fts_rows, short_rows):
                x.clear()

        tid0 = db.execute("SELECT coalesce(max(id), 0) FROM threads").fetchone()[0]
        for n in range(nthreads):
            tid = tid0 + n + 1
            uid, co, g = rnd.choice(users)
            vis = rnd.choices(["community", "group", "company", "staff"], [60, 20, 15, 5])[0]
            title_words = rnd.choices(WORDS, cum_weights=_CUM, k=3)
            title = " ".join(title_words)
            when = now - (nthreads - n) * 60
            thread_rows.append((tid, cat, uid, title, "discussion", vis, co, g, None, args.per_thread, when,
                                when + args.per_thread))
            for k in range(args.per_thread):
                post_id += 1
                words = rnd.choices(WORDS, cum_weights=_CUM, k=rnd.randint(12, 30))
                body = " ".join(words)
                post_rows.append((post_id, tid, uid, body, "<p>" + body + "</p>\n", when + k))
                t = title if k == 0 else ""
                fts_rows.append((post_id, t, body))
                toks = " ".join(TOK[w] for w in words)
                if t:
                    toks = " ".join(TOK[w] for w in title_words) + " " + toks
                short_rows.append((post_id, toks))
            if len(post_rows) >= 50000:
                flush()
                print(f"  {post_id} posts, {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        flush()
        print("  merging the search indexes (FTS5 optimize)", file=sys.stderr, flush=True)
        db.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
        db.execute("INSERT INTO search_short (search_short) VALUES ('optimize')")
        cookies = {}
        for name, uid in (("participant", users[0][0]), ("secretariat", admin)):
            token = secrets.token_urlsafe(32)
            db.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at)"
                       " VALUES (?, ?, ?, ?, ?)", (hashlib.sha256(token.encode()).hexdigest(), uid,
                                                   secrets.token_urlsafe(16), now, now))
            cookies[name] = f"__Host-mamori={token}"
    db.execute("PRAGMA optimize")
    db.close()
    print(f"dataset: {nthreads} threads, {nthreads * args.per_thread} posts in {time.time() - t0:.0f}s",
          file=sys.stderr)
    print(json.dumps({"cookies": cookies, "thread_id": tid0 + 1, "category_id": cat}))


if __name__ == "__main__":
    main()
