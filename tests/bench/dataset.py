#!/usr/bin/env python3
"""Generates a benchmark dataset for tests/bench/run.sh: a whole program in a fresh data
directory, deterministic for a given --seed.

    python3 tests/bench/dataset.py --size small --data /tmp/mamori-bench-data/small
    python3 tests/bench/dataset.py --size large --data /tmp/mamori-bench-data/large

Sizes:
  small  30 companies (15 monozukuri, 15 service) in 4 workshop groups, one participant each,
         8 experts with assignments, 3 secretariat members, the 12 session categories,
         300 threads, 3,000 posts;
  large  10,000 companies in 500 groups, 100,000 users (participants, 800 experts, 10 of the
         secretariat), 100,000 threads, 1,000,000 posts.
Both: mixed Japanese and English Markdown (with full-width letters and half-width katakana, so
folding matters), all four visibilities, all thread kinds, questions in every state with
escalations to assigned experts, tags, follows, read state, reply notifications, both consent
documents accepted by everyone (so the consent gate is evaluated as in production), and signed-in
sessions for the load generators.

How: `mamori init` and `mamori user add` (the first secretariat account), then plain SQLite inserts
in big transactions for everything but posts; posts go through tests/bench/dataset_posts.c, a
small loader compiled against the server's own library that renders each post with
markdown_render() and builds search.db with search_rebuild() — the server's code, so the search
indexes hold exactly what the server would have written. `--verify` starts the server on the
result and checks through the API that searches find generated text.

Writes DATA/bench.json (sessions, thread ids, sign-in accounts) for run.sh. All users share one
password (--password), hashed once with the server's scrypt parameters."""
import argparse
import base64
import hashlib
import json
import math
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../.."))
GENERATOR_VERSION = 2

SIZES = {
    # companies, groups, participants per company (mean), experts, secretariat, threads, posts
    "small": dict(companies=30, groups=4, per_company=1, experts=8, secretariat=3, threads=300, posts=3000,
                  days=120),
    "large": dict(companies=10000, groups=500, per_company=None, experts=800, secretariat=10, threads=100000,
                  posts=1000000, days=365, users=100000),
}

# The program's sessions (deploy/demo-seed.py); qa and cases get most threads.
CATEGORIES = [
    ("s01", "第1回 中小企業に求められるサイバーセキュリティ対策", 5),
    ("s02", "第2回 攻めと守りのIT活用", 5),
    ("s03", "第3回 国の方針・施策と脅威の動向", 5),
    ("s04", "第4回 フレームワークの体系（ISMS）", 5),
    ("s05", "第5回 対策基準と情報セキュリティの三大要素", 5),
    ("s06", "第6回 リスク評価と管理策", 5),
    ("s07", "第7回 インシデントハンドリング（事前準備）", 5),
    ("s08", "第8回 インシデントハンドリング（事後対応①）", 5),
    ("s09", "第9回 インシデントハンドリング（事後対応②）", 5),
    ("s10", "第10回 全体総括", 5),
    ("qa", "質問・相談", 30),
    ("cases", "事例共有", 20),
]
PARTICIPATION = ("本事業（中小企業サイバーセキュリティ対策継続支援事業）への参加に当たり、以下に同意します。\n"
                 "1. 原則として全10回のセミナー・ワークショップ及び4回の専門家派遣に参加します。\n"
                 "2. 事例集の作成、取材及びアンケートに協力します。\n"
                 "3. オンラインコミュニティの利用規程を遵守します。")
NDA = ("本事業のワークショップ、専門家派遣及びオンラインコミュニティにおいて知り得た他社の情報\n"
       "（資産台帳、ネットワーク構成、インシデントの内容を含む）を、本事業の目的以外に利用せず、第三者に開示しません。")

FAMILY = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水".split()
GIVEN = "翔太 陽子 健一 美咲 大輔 直子 誠 由美 拓也 恵 隆 明美 浩二 真由美 修 智子 亮 久美子 剛 裕子".split()
CO_STEM = "みなと さくら ひかり あおば 城南 多摩 江東 大田 品川 荒川 葛飾 板橋 練馬 府中 八王子 青梅".split()
CO_KIND_MONO = "精機 製作所 工業 電機 金属 化成 印刷 食品 製菓 建設".split()
CO_KIND_SERV = "物流 商事 システム 設計 不動産 サービス 会計事務所 運輸 ホテル 薬局".split()
CO_FORM = ["株式会社", "有限会社", "合同会社"]

# Domain vocabulary: Japanese nouns (some full-width or half-width, as people type them) and
# English terms. Search folds ＵＴＭ/utm and ｻｰﾊﾞｰ/サーバー alike.
JA_NOUNS = ("ファイアウォール ＵＴＭ ルーター バックアップ パスワード 多要素認証 ランサムウェア フィッシングメール 脆弱性 "
            "資産台帳 アクセス権限 ログ 監視 委託先 取引先 社員教育 情報資産 インシデント 対応手順 復旧計画 "
            "ウイルス対策ソフト サポート切れのOS 無線LAN ＶＰＮ機器 クラウドサービス ＵＳＢメモリ 持ち出しルール "
            "生産設備 制御システム 工場のネットワーク 受発注システム 会計ソフト 顧客情報 個人情報 規程 外部記憶媒体 "
            "ｻｰﾊﾞｰ ﾊﾞｯｸｱｯﾌﾟ ﾊﾟｽﾜｰﾄﾞ 標的型攻撃 不正アクセス 情報漏えい 暗号化 ネットワーク構成図 リスク評価 "
            "管理策 責任者 緊急連絡網 セキュリティポリシー 入退室管理 スマートフォン テレワーク 見積 補助金").split()
EN_NOUNS = ["UTM", "VPN", "EDR", "MFA", "firewall", "backup", "patch", "Windows Update", "NAS", "Wi-Fi", "SIEM",
            "phishing", "ransomware", "Microsoft 365", "router firmware", "incident response", "asset inventory",
            "endpoint", "password manager", "access log"]
JA_VERBS = ["導入しました", "更新しました", "見直しています", "検討中です", "停止しました", "確認しました", "整備しました",
            "外部に委託しました", "社内で共有しました", "専門家に相談しました"]
EN_VERBS = ["updated", "replaced", "reviewed", "tested", "rolled out", "disabled", "documented", "audited"]
EN_STATES = ["working well", "much easier to manage", "still a problem", "under review", "fixed"]
JA_TEMPLATES = [
    "{a}の{b}について相談です。", "当社では{a}を{v}。", "{a}と{b}のどちらを優先すべきでしょうか。",
    "先週、{a}で{b}の問題が見つかりました。", "{a}を導入したところ、{b}の運用が楽になりました。",
    "{a}の設定を見直し、{b}も確認しました。", "専門家の方に{a}について助言をいただきました。",
    "費用は月額{n}円程度です。", "第{k}回のワークショップで{a}の話がありました。", "{a}は年に{k}回点検しています。",
    "{a}が原因で{b}が止まったことがあります。", "まずは{a}から始めるのが良いと思います。",
    "{a}の{b}は誰が管理していますか。", "弊社も{a}を{v}。{b}はまだです。",
]
EN_TEMPLATES = [
    "We {ev} the {ea} last week and the {eb} is now {st}.", "Does anyone have experience with {ea} in a small factory?",
    "Our {ea} vendor recommends {eb}, but it costs about {n} yen per month.", "Tip: check the {ea} every morning.",
    "The {ea} was {ev} after the incident drill.", "Is {ea} required for the {eb} audit?",
]
MIXED_TEMPLATES = [
    "{ea}の{b}を{v}。", "{a}には{ea}を使っています。", "{ea}と{eb}の違いがよく分かりません。",
    "社内の{ea}は{k}台あります。",
]
JA_TITLES = ["{a}の{b}について", "【質問】{a}の{b}はどうしていますか", "{a}と{b}の比較", "{a}を{v}",
             "{a}に関する事例", "【共有】{a}の見直し", "{a}の運用で困っていること"]
EN_TITLES = ["Question about {ea}", "{ea} vs {eb}", "How do you manage {ea}?", "Our {ea} story"]
TAGS = ["UTM", "VPN", "バックアップ", "パスワード", "教育", "委託先", "ISMS", "インシデント", "クラウド", "工場", "EDR",
        "ランサムウェア", "規程", "補助金", "テレワーク", "資産台帳", "ログ", "メール", "Wi-Fi", "スマホ"]


def long_tail_words(rnd, n):
    """Made-up kanji/katakana (2-4 characters) and ASCII (4-9 letters) words: the rare terms."""
    kanji = "安全情報機器業務対応確認運用障害通信管理技術社内部門作業方針計画資料会議担当変更設定導入"
    kana = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモラリルレロワン"
    out = set()
    while len(out) < n:
        if rnd.random() < 0.7:
            pool = kanji if rnd.random() < 0.5 else kana
            out.add("".join(rnd.choice(pool) for _ in range(rnd.randint(2, 4))))
        else:
            out.add("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(4, 9))))
    return sorted(out)


class Text:
    """Seeded text generator: Japanese, English and mixed sentences. Nouns are the domain words
    three times in four, else one of 20,000 long-tail words drawn with weight 1/(rank+8), so a
    few terms are in many posts and most are rare, as in real text."""

    def __init__(self, rnd):
        self.rnd = rnd
        self.tail = long_tail_words(random.Random(7), 20000)
        acc, self.cum = 0.0, []
        for i in range(len(self.tail)):
            acc += 1.0 / (i + 8)
            self.cum.append(acc)

    def noun(self):
        if self.rnd.random() < 0.75:
            return self.rnd.choice(JA_NOUNS)
        return self.rnd.choices(self.tail, cum_weights=self.cum)[0]

    def fill(self, tpl):
        r = self.rnd
        return tpl.format(a=self.noun(), b=self.noun(), v=r.choice(JA_VERBS), n=r.choice(["3,000", "5,000", "1万", "2万"]),
                          k=r.randint(1, 10), ea=r.choice(EN_NOUNS), eb=r.choice(EN_NOUNS), ev=r.choice(EN_VERBS),
                          st=r.choice(EN_STATES))

    def sentence(self):
        x = self.rnd.random()
        tpl = JA_TEMPLATES if x < 0.65 else EN_TEMPLATES if x < 0.82 else MIXED_TEMPLATES
        return self.fill(self.rnd.choice(tpl))

    def title(self):
        return self.fill(self.rnd.choice(JA_TITLES if self.rnd.random() < 0.85 else EN_TITLES))

    def body(self):
        r = self.rnd
        paras = []
        for _ in range(r.choice((1, 1, 2, 2, 3))):
            sents = [self.sentence() for _ in range(r.randint(1, 5))]
            if r.random() < 0.08:
                i = r.randrange(len(sents))
                sents[i] = "**" + sents[i] + "**"
            paras.append("".join(s if s.endswith("。") else s + " " for s in sents).strip())
        if r.random() < 0.12:
            paras.append("\n".join("- " + self.noun() + "：" + r.choice(JA_VERBS) for _ in range(r.randint(2, 4))))
        return "\n\n".join(paras)


def b64(data, url=False):
    s = base64.urlsafe_b64encode(data) if url else base64.b64encode(data)
    return s.decode().rstrip("=")


def password_hash(password, rnd):
    """The server's format (crypto.c): $scrypt$ln=15,r=8,p=1$<salt b64>$<key b64>, no padding."""
    salt = rnd.randbytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=1 << 15, r=8, p=1, maxmem=64 << 20, dklen=32)
    return f"$scrypt$ln=15,r=8,p=1${b64(salt)}${b64(key)}"


def build_loader(build_dir):
    """Compiles dataset_posts.c against BUILD/libmamori_core.a; returns the binary's path."""
    lib = os.path.join(build_dir, "libmamori_core.a")
    if not os.path.exists(lib):
        raise SystemExit(f"dataset: {lib} missing: build the server first (cmake --build {build_dir})")
    out = os.path.join(build_dir, "dataset_posts")
    src = os.path.join(HERE, "dataset_posts.c")
    if os.path.exists(out) and os.path.getmtime(out) > max(os.path.getmtime(lib), os.path.getmtime(src)):
        return out
    libs = subprocess.run(["pkg-config", "--libs", "libevent_core", "libevent_extra", "libevent_openssl",
                           "libevent_pthreads", "openssl", "sqlite3", "jansson", "md4c"],
                          check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-std=c17", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-I", os.path.join(ROOT, "server"),
                    src, lib, *libs, "-lmd4c-html", "-lpthread", "-lm", "-o", out], check=True)
    return out


def lognormal_counts(rnd, n, total, fixed):
    """n post counts (1..120, a long tail) summing to total; indexes in `fixed` get 20."""
    mean = total / n
    sigma = 0.9
    mu = math.log(mean) - sigma * sigma / 2
    counts = [max(1, min(120, int(round(rnd.lognormvariate(mu, sigma))))) for _ in range(n)]
    for i in fixed:
        counts[i] = 20
    free = [i for i in range(n) if i not in fixed]
    diff = total - sum(counts)
    while diff != 0:
        i = rnd.choice(free)
        if diff > 0 and counts[i] < 120:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > 1:
            counts[i] -= 1
            diff += 1
    return counts


def generate(args):
    size = SIZES[args.size]
    rnd = random.Random(args.seed)
    text = Text(random.Random(args.seed + 1))
    data = args.data
    if os.path.exists(data):
        if not args.force:
            raise SystemExit(f"dataset: {data} exists (use --force to replace it)")
        shutil.rmtree(data)
    t_start = time.time()
    mamori = os.path.join(args.build, "mamori")
    os.makedirs(os.path.dirname(os.path.abspath(data)), exist_ok=True)
    run = lambda *a, **kw: subprocess.run(*a, check=True, capture_output=True, **kw)  # noqa: E731
    try:
        run([mamori, "init", "--data", data])
        run([mamori, "user", "add", "--data", data, "--role", "secretariat", "--email", "admin@example.jp",
                    "--name", "事務局 管理者"], input=args.password + "\n", text=True)
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"dataset: {' '.join(e.cmd)}: {e.stderr}")
    now = args.now
    day = 86400
    t0 = now - size["days"] * day
    db = sqlite3.connect(os.path.join(data, "mamori.db"), isolation_level=None)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;")
    db.execute("BEGIN")
    pw = password_hash(args.password, rnd)

    # ---- registry -------------------------------------------------------------------------
    ncomp, ngroups = size["companies"], size["groups"]
    groups = list(range(1, ngroups + 1))
    db.executemany("INSERT INTO groups (id, name, created_at) VALUES (?,?,?)",
                   [(g, f"{chr(65 + (g - 1) % 26)}グループ" + (f"{(g - 1) // 26 + 1}" if ngroups > 26 else ""), t0)
                    for g in groups])
    comp_rows, comp_group, comp_status = [], {}, {}
    for c in range(1, ncomp + 1):
        mono = c % 2 == 1  # 15 + 15 in the small program
        g = groups[(c - 1) % ngroups]
        status = "active"
        if ncomp > 100 and c > 1:
            x = rnd.random()
            status = "completed" if x < 0.02 else "withdrawn" if x < 0.03 else "active"
        name = f"{rnd.choice(CO_FORM)}{rnd.choice(CO_STEM)}{rnd.choice(CO_KIND_MONO if mono else CO_KIND_SERV)}"
        if ncomp > 100:
            name += f" {c}"
        comp_rows.append((c, name, rnd.choice("ED") if mono else rnd.choice("GHIKLMN"),
                          "manufacturing_other" if mono else rnd.choice(["service", "wholesale", "retail"]),
                          rnd.choice([3, 5, 10, 30, 50]) * 1000000, rnd.randint(5, 300),
                          "monozukuri" if mono else "service", status, g, t0))
        comp_group[c], comp_status[c] = g, status
    db.executemany("INSERT INTO companies (id, name, industry, sme_class, capital_yen, employees, track, status,"
                   " group_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", comp_rows)

    user_rows = []
    uid = 1  # 1 is the secretariat account made by `mamori user add`
    secretariat = [1]
    for _ in range(size["secretariat"] - 1):
        uid += 1
        secretariat.append(uid)
        user_rows.append((uid, f"staff{uid}@example.jp", f"事務局 {rnd.choice(FAMILY)}", "secretariat", None, 0,
                          "[]", "active", pw, t0))
    experts = []
    for _ in range(size["experts"]):
        uid += 1
        experts.append(uid)
        spec = json.dumps(rnd.sample(["network", "utm", "incident", "isms", "risk", "education", "cloud"], 2))
        user_rows.append((uid, f"expert{uid}@example.jp", f"{rnd.choice(FAMILY)} {rnd.choice(GIVEN)}（専門家）",
                          "expert", None, 0, spec, "active", pw, t0))
    members = {c: [] for c in comp_group}  # company -> participant ids
    user_company, active_users = {}, []
    nparts = size.get("users", 0) - uid if size.get("users") else ncomp * size["per_company"]
    per = [nparts // ncomp + (1 if i < nparts % ncomp else 0) for i in range(ncomp)]
    if size["per_company"] is None:  # uneven companies: 1..19 participants, same total
        per = [1] * ncomp
        for _ in range(nparts - ncomp):
            per[rnd.randrange(ncomp)] += 1
    for c, k in zip(range(1, ncomp + 1), per):
        for j in range(k):
            uid += 1
            status = "active"
            if ncomp > 100 and j > 0:
                x = rnd.random()
                status = "invited" if x < 0.02 else "suspended" if x < 0.025 else "active"
            user_rows.append((uid, f"u{uid}@example.jp", f"{rnd.choice(FAMILY)} {rnd.choice(GIVEN)}", "participant", c,
                              1 if j == 0 else 0, "[]", status, pw if status != "invited" else None, t0))
            user_company[uid] = c
            if status == "active":
                members[c].append(uid)
                if comp_status[c] == "active":
                    active_users.append(uid)
    db.executemany("INSERT INTO users (id, email, name, role, company_id, representative, specialties, status,"
                   " password_hash, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", user_rows)
    nusers = uid

    # experts: each company 1-2, each expert a similar share
    assigned = {c: [] for c in comp_group}
    expert_companies = {e: [] for e in experts}
    ea_rows = []
    for c in comp_group:
        for e in rnd.sample(experts, 2 if rnd.random() < 0.3 else 1):
            assigned[c].append(e)
            expert_companies[e].append(c)
            ea_rows.append((e, c, t0))
    db.executemany("INSERT INTO expert_assignments (expert_id, company_id, created_at) VALUES (?,?,?)", ea_rows)
    expert_groups = {e: {comp_group[c] for c in cs} for e, cs in expert_companies.items()}

    # consent documents, accepted by everyone (the gate then passes, after evaluating them)
    docs = {}
    for kind, title, body in (("participation", "参加同意書", PARTICIPATION), ("nda", "機密保持の同意書", NDA)):
        docs[kind] = db.execute("INSERT INTO documents (kind, version, title, body, sha256, material, created_by,"
                                " created_at) VALUES (?,1,?,?,?,1,1,?)",
                                (kind, title, body, hashlib.sha256(body.encode()).hexdigest(), t0)).lastrowid
    sha = {k: db.execute("SELECT sha256 FROM documents WHERE id=?", (v,)).fetchone()[0] for k, v in docs.items()}
    consent_rows = []
    for c, us in members.items():
        rep = next((u for u in us), None)
        for kind in ("participation", "nda"):
            if rep:
                consent_rows.append(("accept", "company", kind, rep, c, docs[kind], sha[kind], rep, t0 + 600))
            for u in us:
                consent_rows.append(("accept", "personal", kind, u, c, docs[kind], sha[kind], u, t0 + 600))
    for e in experts:
        consent_rows.append(("accept", "personal", "nda", e, None, docs["nda"], sha["nda"], e, t0 + 600))
    db.executemany("INSERT INTO consents (action, scope, kind, user_id, company_id, document_id, version, sha256,"
                   " method, actor_id, at) VALUES (?,?,?,?,?,?,1,?,'web',?,?)", consent_rows)

    cats = []
    for pos, (slug, name, weight) in enumerate(CATEGORIES):
        cid = db.execute("INSERT INTO categories (slug, name, position, created_at) VALUES (?,?,?,?)",
                         (slug, name, pos, t0)).lastrowid
        cats.append((cid, weight))
    cat_ids, cat_w = [c for c, _ in cats], [w for _, w in cats]
    print(f"  registry: {ncomp} companies, {ngroups} groups, {nusers} users, {time.time() - t_start:.0f} s",
          file=sys.stderr, flush=True)

    # ---- threads: who, where, which visibility ----------------------------------------------
    nthreads, nposts = size["threads"], size["posts"]
    group_members = {g: [] for g in groups}
    for c, us in members.items():
        if comp_status[c] == "active":
            group_members[comp_group[c]].extend(us)
    all_active = active_users
    bench_user = members[1][0]  # the representative of company 1 (active, group 1)
    threads = []  # dicts
    for i in range(nthreads):
        x = rnd.random()
        if x < 0.85:
            author = rnd.choice(all_active)
            c = user_company[author]
            vis = rnd.choices(["community", "group", "company"], [55, 25, 20])[0]
            kind = rnd.choices(["discussion", "question"], [60, 40])[0]
            company, group = c, comp_group[c]
        elif x < 0.96:
            author = rnd.choice(experts)
            vis = rnd.choices(["community", "staff"], [60, 40])[0]
            kind = rnd.choice(["discussion", "question"]) if vis == "staff" else "discussion"
            company = group = None
        else:
            author = rnd.choice(secretariat)
            vis = rnd.choices(["community", "staff", "company", "group"], [60, 20, 10, 10])[0]
            kind = "announcement" if vis == "community" else "discussion"
            company = rnd.randint(1, ncomp) if vis in ("company", "group") else None
            group = comp_group[company] if company else None
        threads.append(dict(id=i + 1, author=author, vis=vis, kind=kind, company=company, group=group,
                            cat=rnd.choices(cat_ids, weights=cat_w)[0], created=rnd.randint(t0, now - 3600),
                            title=text.title()))
    # Benchmark threads: community threads by participants, exactly 20 posts, in the busiest
    # category (qa), readable by every participant.
    qa = cat_ids[10]
    bench_idx = [i for i, t in enumerate(threads) if t["vis"] == "community" and t["company"]][:60]
    for i in bench_idx:
        threads[i]["cat"] = qa
        threads[i]["kind"] = "discussion"
    counts = lognormal_counts(rnd, nthreads, nposts, set(bench_idx))

    def readers(t):
        """Who may post in t besides its author: (participants pool, staff pool)."""
        if t["vis"] == "community":
            g = t["group"] or rnd.choice(groups)
            return (group_members[g] if rnd.random() < 0.7 else all_active), experts
        if t["vis"] == "group":
            return group_members[t["group"]], group_experts[t["group"]]
        if t["vis"] == "company":
            return [u for u in members[t["company"]] if comp_status[t["company"]] == "active"], assigned[t["company"]]
        return [], experts + secretariat

    group_experts = {g: set() for g in groups}
    for e, gs in expert_groups.items():
        for g in gs:
            group_experts[g].add(e)
    group_experts = {g: sorted(v) for g, v in group_experts.items()}

    posts = []  # (time, thread index, author)
    for ti, t in enumerate(threads):
        n = counts[ti]
        pool, epool = readers(t)
        when = t["created"]
        posts.append((when, ti, t["author"]))
        for _ in range(n - 1):
            when = min(now - 60, when + int(rnd.expovariate(1 / (3 * 3600))) + 60)
            x = rnd.random()
            if x < 0.3 or (not pool and not epool):
                a = t["author"]
            elif x < 0.85 and pool:
                a = rnd.choice(pool)
            elif epool:
                a = rnd.choice(epool)
            else:
                a = rnd.choice(pool)
            posts.append((when, ti, a))
    posts.sort(key=lambda p: (p[0], p[1]))
    print(f"  planned {len(threads)} threads, {len(posts)} posts, {time.time() - t_start:.0f} s", file=sys.stderr,
          flush=True)

    # ids in time order, as a live server assigns them
    per_thread = [[] for _ in threads]  # post ids in order
    post_author = [0] * (len(posts) + 1)
    post_time = [0] * (len(posts) + 1)
    for pid, (when, ti, a) in enumerate(posts, 1):
        per_thread[ti].append(pid)
        post_author[pid] = a
        post_time[pid] = when

    # ---- threads, questions, escalations, tags, follows, reads, notifications ----------------
    thread_rows, esc_rows, follow_rows, tag_rows, notif_rows = [], [], [], [], []
    reads = {}
    tag_ids = {}
    for name in TAGS:
        tag_ids[name] = db.execute("INSERT INTO tags (name) VALUES (?)", (name.lower(),)).lastrowid
    pinned_done = set()
    for ti, t in enumerate(threads):
        ids = per_thread[ti]
        status = accepted = None
        if t["kind"] == "question":
            status = rnd.choices(["open", "escalated", "answered", "resolved"], [30, 15, 25, 30])[0]
            if status in ("escalated", "answered", "resolved") and t["company"] and assigned[t["company"]]:
                e = rnd.choice(assigned[t["company"]])
                created = post_time[ids[0]] + 3600
                state = "assigned" if status == "escalated" else "answered"
                # The server's timers (escalation.c) have already reminded the expert and told
                # everyone of an overdue escalation: mark them done, or the server's first scans
                # would work through thousands of them during the benchmark.
                fired = created + 2 * day if state == "assigned" else None
                esc_rows.append((t["id"], e, "専門家の意見をお願いします", state, created + 2 * day, 1, created,
                                 created + day if state == "answered" else None, created + day // 2, fired, fired))
                if rnd.random() < 0.1:
                    esc_rows.append((t["id"], rnd.choice(experts), "", "declined", created + 2 * day, 1, created - 600,
                                     None, None, None, None))
            if status == "resolved" and len(ids) > 1:
                accepted = rnd.choice(ids[1:])
        pinned = 1 if t["kind"] == "announcement" and t["cat"] not in pinned_done else 0
        if pinned:
            pinned_done.add(t["cat"])
        locked = 1 if rnd.random() < 0.01 and ti not in bench_idx else 0
        thread_rows.append((t["id"], t["cat"], t["author"], t["title"], t["kind"], t["vis"], t["company"], t["group"],
                            status, accepted, pinned, locked, len(ids), post_time[ids[0]], post_time[ids[-1]]))
        for name in rnd.sample(TAGS, rnd.choice((0, 0, 1, 1, 2, 3))):
            tag_rows.append((t["id"], tag_ids[name]))
        followers = {t["author"]}
        for k, pid in enumerate(ids):
            a = post_author[pid]
            reads[(a, t["id"])] = (k + 1, pid, post_time[pid])
            if k and a not in followers and rnd.random() < 0.1:
                followers.add(a)
            if k:
                title = t["title"].encode()[:200].decode("utf-8", "ignore")
                for f in followers:
                    if f != a:
                        notif_rows.append((f, "reply", t["id"], pid, a, title, post_time[pid],
                                           post_time[pid] + 3600 if post_time[pid] < now - 7 * day or rnd.random() < 0.7
                                           else None))
        for f in followers:
            follow_rows.append((t["id"], f, post_time[ids[0]]))
        # a few readers who did not post
        if t["vis"] == "community":
            pool = group_members[t["group"]] if t["group"] else all_active
        elif t["vis"] == "company":
            pool = members[t["company"]]
        elif t["vis"] == "group":
            pool = group_members[t["group"]]
        else:
            pool = experts
        for u in rnd.sample(pool, min(len(pool), rnd.randint(0, 6))):
            k = rnd.randint(1, len(ids))
            if (u, t["id"]) not in reads:
                reads[(u, t["id"])] = (k, ids[k - 1], post_time[ids[k - 1]] + 60)
        if len(thread_rows) >= 20000:
            db.executemany("INSERT INTO threads (id, category_id, author_id, title, kind, visibility, company_id,"
                           " group_id, status, accepted_post_id, pinned, locked, post_count, created_at, last_post_at)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", thread_rows)
            thread_rows.clear()
    db.executemany("INSERT INTO threads (id, category_id, author_id, title, kind, visibility, company_id, group_id,"
                   " status, accepted_post_id, pinned, locked, post_count, created_at, last_post_at)"
                   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", thread_rows)
    db.executemany("INSERT INTO escalations (thread_id, expert_id, note, state, due_at, created_by, created_at,"
                   " answered_at, remind_at, reminded_at, overdue_notified_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", esc_rows)
    db.executemany("INSERT INTO thread_tags (thread_id, tag_id) VALUES (?,?)", tag_rows)
    db.executemany("INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?,?,?)", follow_rows)
    db.executemany("INSERT INTO thread_reads (user_id, thread_id, seen_count, last_post_id, read_at)"
                   " VALUES (?,?,?,?,?)", ((u, t, s, p, a) for (u, t), (s, p, a) in reads.items()))
    db.executemany("INSERT INTO notifications (user_id, kind, thread_id, post_id, actor_id, text, created_at, read_at)"
                   " VALUES (?,?,?,?,?,?,?,?)", notif_rows)
    print(f"  threads, {len(esc_rows)} escalations, {len(follow_rows)} follows, {len(reads)} read states, "
          f"{len(notif_rows)} notifications: {time.time() - t_start:.0f} s", file=sys.stderr, flush=True)

    # ---- sessions for the load generators -------------------------------------------------------
    def session(u):
        token = b64(rnd.randbytes(32), url=True)
        csrf = b64(rnd.randbytes(32), url=True)
        db.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent)"
                   " VALUES (?,?,?,?,?,'127.0.0.1','bench')",
                   (hashlib.sha256(token.encode()).hexdigest(), u, csrf, now, now))
        return {"user_id": u, "cookie": f"__Host-mamori={token}", "csrf": csrf}

    posters = [u for u in all_active if u != bench_user]
    posters = [bench_user] + rnd.sample(posters, min(len(posters), 199))
    info = {
        "generator": GENERATOR_VERSION, "size": args.size, "seed": args.seed, "now": now,
        "counts": {"companies": ncomp, "groups": ngroups, "users": nusers, "threads": nthreads, "posts": len(posts),
                   "escalations": len(esc_rows), "read_states": len(reads), "notifications": len(notif_rows)},
        "password": args.password,
        "participant": session(bench_user),
        "participants": None,
        "secretariat": session(1),
        "expert": session(experts[0]),
        "view_threads": [threads[i]["id"] for i in bench_idx],
        "list_category": qa,
        "post_threads": [threads[i]["id"] for i in bench_idx[10:]],
        "signin_emails": [f"u{u}@example.jp" for u in rnd.sample(all_active, min(len(all_active), 5000))],
    }
    info["participants"] = [info["participant"]] + [session(u) for u in posters[1:]]
    db.execute("COMMIT")
    db.close()

    # ---- posts, through the server's own rendering and indexing -------------------------------
    loader = build_loader(args.build)
    proc = subprocess.Popen([loader, data, "50000"], stdin=subprocess.PIPE, text=True, encoding="utf-8")
    out = proc.stdin
    first = {per_thread[ti][0]: threads[ti]["title"] for ti in range(len(threads))}
    for pid in range(1, len(posts) + 1):
        ti = posts[pid - 1][1]
        out.write(json.dumps({"id": pid, "t": ti + 1, "a": post_author[pid], "c": post_time[pid], "b": text.body(),
                              "ti": first.get(pid)}, ensure_ascii=False))
        out.write("\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("dataset: the post loader failed")
    with open(os.path.join(data, "bench.json"), "w") as f:
        json.dump(info, f, ensure_ascii=False, indent=1)
    print(f"dataset {args.size}: {nusers} users, {nthreads} threads, {len(posts)} posts in "
          f"{time.time() - t_start:.0f} s -> {data}", file=sys.stderr)
    return info


def refresh_sessions(data):
    """Makes the dataset's sessions fresh (they expire after 12 idle hours): run before serving."""
    db = sqlite3.connect(os.path.join(data, "mamori.db"))
    now = int(time.time())
    with db:
        db.execute("UPDATE sessions SET created_at = ?, last_seen_at = ?", (now, now))
    db.close()


def verify(args):
    """Starts the server on the dataset and checks through the API that it serves it: the
    participant reads a benchmark thread, lists a category, and finds generated text by
    searches of 1, 2 and 3+ characters, full-width and half-width forms included."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
    import http.client
    import ssl
    import urllib.parse
    from mamori import free_port
    info = json.load(open(os.path.join(args.data, "bench.json")))
    refresh_sessions(args.data)
    port = free_port()
    proc = subprocess.Popen([os.path.join(args.build, "mamori"), "serve", "--data", args.data, "--listen",
                             f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = True
    try:
        ctx = ssl.create_default_context(cafile=os.path.join(args.data, "tls", "cert.pem"))
        for _ in range(200):
            try:
                c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
                c.request("GET", "/api/v1/health")
                c.getresponse().read()
                break
            except OSError:
                time.sleep(0.05)

        def get(path, who="participant"):
            c.request("GET", path, headers={"Cookie": info[who]["cookie"]})
            r = c.getresponse()
            return r.status, json.loads(r.read() or b"null")

        st, t = get(f"/api/v1/threads/{info['view_threads'][0]}")
        print(f"  view thread {info['view_threads'][0]}: {st}, {len(t.get('posts', []))} posts")
        ok &= st == 200 and len(t["posts"]) == 20
        st, lst = get(f"/api/v1/threads?category_id={info['list_category']}")
        print(f"  list category {info['list_category']}: {st}, total {lst.get('total')}")
        ok &= st == 200 and len(lst["threads"]) == 20
        body = t["posts"][3]["body"]
        words = [w for w in body.replace("。", " ").replace("、", " ").split() if len(w) >= 3][:1]
        for q in ["脆弱性", "バックアップ", "ﾊﾞｯｸｱｯﾌﾟ", "ｻｰﾊﾞｰ", "utm", "ＵＴＭ", "firewall", "対策", "策", "Windows Update",
                  "ランサムウェア 社員教育"] + words:
            st, res = get("/api/v1/search?q=" + urllib.parse.quote(q))
            n = len(res.get("results", []))
            print(f"  search {q!r}: {st}, {n} results")
            ok &= st == 200 and n > 0
        st, res = get("/api/v1/search?q=" + urllib.parse.quote("脆弱性"), "secretariat")
        ok &= st == 200 and len(res["results"]) > 0
    finally:
        proc.terminate()
        proc.wait()
    print("verify: " + ("ok" if ok else "FAILED"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), required=True)
    ap.add_argument("--data", required=True, help="data directory to create")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", type=int, default=1795000000,
                    help="the dataset's 'now' in seconds (default 2026-11-19); run.sh refreshes the sessions")
    ap.add_argument("--password", default="bench-password-2026")
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"), help="a Release build directory")
    ap.add_argument("--force", action="store_true", help="replace an existing data directory")
    ap.add_argument("--verify", action="store_true", help="check the result through the API")
    ap.add_argument("--verify-only", action="store_true")
    args = ap.parse_args()
    if not args.verify_only:
        generate(args)
    if (args.verify or args.verify_only) and not verify(args):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
