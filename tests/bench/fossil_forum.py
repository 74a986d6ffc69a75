#!/usr/bin/env python3
"""A Fossil forum of the same size as a mamori dataset, for bench.py's like-for-like comparison
(issue 17): as many threads and posts as the dataset, Markdown bodies from the same text generator
(dataset.Text), one thread of exactly 20 posts (the thread view's), replies in order under each
thread's first post.

Forum posts are Fossil artifacts (www/fileformat.wiki, "Forum Posts": D, G, H, I, N, U, W and Z
cards); this writes them as files named by their SHA3-256 hash and builds the repository with
`fossil reconstruct`, which parses and cross-links every artifact as a real post would be. The
repository lets anonymous visitors ("nobody") read the forum, so the benchmark's requests need no
login (mamori's need a session: its thread view does more, not less).

    python3 tests/bench/fossil_forum.py --data DIR --threads N --posts M [--seed 1]

Writes DIR/forum.fossil and DIR/forum.json ({"thread": root hash of the 20-post thread, ...});
made once per dataset and reused (bench.py checks forum.json's sizes)."""
import argparse
import datetime
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataset as ds  # noqa: E402

USERS = 200


def artifact(cards, content):
    """cards: list of (letter, value) in the order Fossil requires (sorted by letter)."""
    body = content.encode()
    text = "".join(f"{k} {v}\n" for k, v in cards).encode() + b"W %d\n" % len(body) + body + b"\n"
    text += b"Z " + hashlib.md5(text).hexdigest().encode() + b"\n"
    return hashlib.sha3_256(text).hexdigest(), text


def fossil_text(s):
    """Fossil's card arguments escape space, newline and backslash."""
    return s.replace("\\", "\\\\").replace(" ", "\\s").replace("\n", "\\n")


def build(data, threads, posts, seed=1, log=print):
    os.makedirs(data, exist_ok=True)
    repo = os.path.join(data, "forum.fossil")
    meta = os.path.join(data, "forum.json")
    if os.path.exists(meta):
        m = json.load(open(meta))
        if m.get("threads") == threads and m.get("posts") == posts and os.path.exists(repo):
            return m
    t0 = time.time()
    # Built in memory when there is room (/dev/shm): reconstruct commits as it goes, and on a
    # disk its syncs make 1,000,000 posts take half an hour instead of minutes.
    scratch = tempfile.mkdtemp(prefix="mamori-fossil-", dir="/dev/shm" if os.path.isdir("/dev/shm") else data)
    arts = os.path.join(scratch, "artifacts")
    os.makedirs(arts)
    rnd = random.Random(seed)
    text = ds.Text(random.Random(seed + 1))
    # Posts per thread: the first thread has 20 (the one viewed), the rest share the remainder.
    per = [20] + [1] * (threads - 1)
    left = posts - sum(per)
    i = 1
    while left > 0 and threads > 1:
        per[i] += 1
        left -= 1
        i = i + 1 if i + 1 < threads else 1
    when = datetime.datetime(2025, 4, 1, tzinfo=datetime.timezone.utc)
    view_root, n = None, 0
    for t in range(threads):
        root = None
        for k in range(per[t]):
            when += datetime.timedelta(seconds=rnd.randint(1, 30))
            d = when.strftime("%Y-%m-%dT%H:%M:%S.000")
            user = f"user{rnd.randrange(USERS)}"
            cards = [("D", d)]
            if root:
                cards += [("G", root)]
            else:
                cards += [("H", fossil_text(text.title()))]
            if root:
                cards += [("I", prev)]
            cards += [("N", "text/x-markdown"), ("U", user)]
            h, blob = artifact(cards, text.body())
            sub = os.path.join(arts, h[:2])
            os.makedirs(sub, exist_ok=True)
            with open(os.path.join(sub, h[2:]), "wb") as f:
                f.write(blob)
            root = root or h
            prev = h
            n += 1
        if t == 0:
            view_root = root
        if t % 10000 == 0 and t:
            log(f"  fossil forum: {t:,} threads, {n:,} posts written, {time.time() - t0:.0f} s")
    log(f"  fossil forum: reconstructing {n:,} artifacts")
    built = os.path.join(scratch, "forum.fossil")
    env = dict(os.environ, USER="bench")  # fossil names the repository's first user after it
    try:
        subprocess.run(["fossil", "reconstruct", built, arts], check=True, stdout=subprocess.DEVNULL, env=env)
        # Anonymous readers may read the forum (capability 2); everything else stays as made.
        subprocess.run(["fossil", "user", "capabilities", "nobody", "2", "-R", built], check=True,
                       stdout=subprocess.DEVNULL, env=env)
        shutil.move(built, repo)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    m = {"threads": threads, "posts": n, "thread": view_root, "seconds": round(time.time() - t0)}
    with open(meta, "w") as f:
        json.dump(m, f)
    log(f"  fossil forum: {threads:,} threads, {n:,} posts in {m['seconds']} s -> {repo}")
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--posts", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print(json.dumps(build(a.data, a.threads, a.posts, a.seed, log=lambda *x: print(*x, file=sys.stderr))))


if __name__ == "__main__":
    main()
