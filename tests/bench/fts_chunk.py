#!/usr/bin/env python3
"""What FTS5 indexing costs per post by the number of posts per segment (search_index.c's
BUSY_CHUNK): a trigram index like search_fts (secure_delete on, automerge 16, as the server runs
it) fed the same 40,960 generated posts in transactions of CHUNK posts, on the system's SQLite.
Prints WAL frames per post (what the commit writes and the checkpoint copies), CPU time per
post spent in the inserts and in COMMIT (FTS5's segment flush and merges), and the longest
COMMIT (a merge done at once inside one flush). --crisismerge compares FTS5's `crisismerge`
settings (search_file.c's merge_sql), each run on the same posts. Not a test.

    python3 tests/bench/fts_chunk.py [--posts 40960] [--crisismerge 16,64] 128 256 512 1024
"""
import argparse
import os
import random
import sqlite3
import tempfile
import time


def run(chunk, docs, directory, crisis):
    path = os.path.join(directory, f"fts-{chunk}-{crisis}.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("PRAGMA secure_delete=ON")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='trigram')")
    db.execute("INSERT INTO f(f, rank) VALUES ('automerge', 16)")
    db.execute("INSERT INTO f(f, rank) VALUES ('crisismerge', ?)", (crisis,))
    frames = t_insert = t_commit = longest = 0.0
    n = 0
    while n < len(docs):
        db.execute("BEGIN")
        a = time.process_time()
        for doc in docs[n:n + chunk]:
            n += 1
            db.execute("INSERT INTO f(rowid, title, body) VALUES (?, '', ?)", (n, doc))
        b = time.process_time()
        db.execute("COMMIT")
        t_insert += b - a
        t_commit += time.process_time() - b
        longest = max(longest, time.process_time() - b)
        frames += db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    os.unlink(path)
    print(f"chunk {chunk:5}, crisismerge {crisis:3}: {frames / n:.2f} WAL frames/post, inserts"
          f" {t_insert / n * 1e6:.0f} us/post, COMMIT (flush, merges) {t_commit / n * 1e6:.0f} us/post,"
          f" longest COMMIT {longest * 1e3:.0f} ms", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("chunks", nargs="*", type=int, default=[128, 256, 512, 1024])
    ap.add_argument("--posts", type=int, default=40960)
    ap.add_argument("--crisismerge", default="16", help="comma-separated values, each run in turn")
    args = ap.parse_args()
    rnd = random.Random(1)
    words = ["脆弱性", "対策", "バックアップ", "ランサムウェア", "社員教育", "firewall", "監視", "ログ", "委託",
             "ネットワーク"] + [f"語{i}" for i in range(5000)]
    docs = [" ".join(rnd.choice(words) for _ in range(80)) for _ in range(args.posts)]
    with tempfile.TemporaryDirectory(prefix="mamori-fts-") as d:
        for c in args.chunks:
            for crisis in (int(x) for x in args.crisismerge.split(",")):
                run(c, docs, d, crisis)


if __name__ == "__main__":
    main()
