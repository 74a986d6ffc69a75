#!/usr/bin/env python3
"""Seeds a running mamori server through its public API with a program in the middle of its
year, as the secretariat and the participants would have made it: the ten session categories,
both consent documents (accepted by everyone but one company), two workshop groups, companies in
both tracks, one representative participant per company, an assigned and an unassigned expert,
and discussions in every visibility (community, group, company, staff): a question answered by a
peer and accepted, one escalated to an expert with a due time, and a flag waiting for the
secretariat. Every demo user gets the same known password (printed at the end, and written to
--credentials FILE when given).

Idempotent: everything is looked up by its natural key first (a category's slug, a group's or
company's name, a user's e-mail, a thread's title), so a second run adds nothing. Python 3
standard library only. Exits non-zero with a message when the server refuses something.

    deploy/demo-seed.py https://127.0.0.1:8443 admin@example.jp PASSWORD CERT.pem [--credentials FILE]
"""
import argparse
import http.client
import json
import ssl
import sys
import urllib.parse

DEMO_PASSWORD = "mamori-demo-2026"
DOMAIN = "example.jp"

SESSIONS = [
    ("s01", "第1回 中小企業に求められるサイバーセキュリティ対策", "自社診断とリスク評価、経営者を巻き込んだ対策立案"),
    ("s02", "第2回 攻めと守りのIT活用", "攻めのIT活用シナリオと必要な守り"),
    ("s03", "第3回 国の方針・施策と脅威の動向", "10大脅威と対策の見直し"),
    ("s04", "第4回 フレームワークの体系（ISMS）", "ISMSの各機能と責任者・役割・手順"),
    ("s05", "第5回 対策基準と情報セキュリティの三大要素", "情報資産の分類と資産台帳"),
    ("s06", "第6回 リスク評価と管理策", "リスク特定・評価と対応策の優先度付け"),
    ("s07", "第7回 インシデントハンドリング（事前準備）", "対応計画、チーム構成、役割分担"),
    ("s08", "第8回 インシデントハンドリング（事後対応①）", "インシデントシナリオ演習"),
    ("s09", "第9回 インシデントハンドリング（事後対応②）", "予防策と改善策の立案"),
    ("s10", "第10回 全体総括", "振り返りと今後の情報セキュリティ対策"),
    ("qa", "質問・相談", "運用の疑問や困りごと。専門家への相談もこちらから"),
    ("cases", "事例共有", "自社の取組や解決事例の共有"),
]

PARTICIPATION = """本事業（中小企業サイバーセキュリティ対策継続支援事業）への参加に当たり、以下に同意します。
1. 原則として全10回のセミナー・ワークショップ及び4回の専門家派遣に参加します。
2. 事例集の作成、取材及びアンケートに協力します。
3. オンラインコミュニティの利用規程を遵守します。"""

NDA = """本事業のワークショップ、専門家派遣及びオンラインコミュニティにおいて知り得た他社の情報
（資産台帳、ネットワーク構成、インシデントの内容を含む）を、本事業の目的以外に利用せず、第三者に開示しません。"""

GROUPS = ["Aグループ", "Bグループ"]

# key, company name, JSIC division, SME class, capital (yen), employees, group, consents accepted
COMPANIES = [
    ("minato", "株式会社みなと精機", "E", "manufacturing_other", 30_000_000, 45, "Aグループ", True),
    ("hikari", "株式会社ひかり物流", "H", "service", 20_000_000, 60, "Aグループ", True),
    ("sakura", "有限会社さくら建設", "D", "manufacturing_other", 10_000_000, 20, "Bグループ", True),
    ("suzuran", "株式会社すずらん介護サービス", "P", "service", 10_000_000, 80, "Bグループ", True),
    ("aoba", "合同会社あおば商事", "I", "wholesale", 5_000_000, 12, "Bグループ", False),
]

# key, name, role, company key, specialties
USERS = [
    ("minato", "港 健一（みなと精機）", "participant", "minato", None),
    ("hikari", "光 由美（ひかり物流）", "participant", "hikari", None),
    ("sakura", "桜井 誠（さくら建設）", "participant", "sakura", None),
    ("suzuran", "鈴木 蘭（すずらん介護サービス）", "participant", "suzuran", None),
    ("aoba", "青葉 拓也（あおば商事）", "participant", "aoba", None),
    ("ichiro", "専門家 山田一郎", "expert", None, ["network", "utm", "incident"]),
    ("hanako", "専門家 佐藤花子", "expert", None, ["isms", "risk", "education"]),
]
ASSIGNED = {"ichiro": ["minato", "hikari", "sakura"], "hanako": []}

ROLE_NOTES = {
    "minato": "参加者（代表者）・ものづくり・Aグループ。自社スレッドと専門家へのエスカレーションあり",
    "hikari": "参加者（代表者）・サービス・Aグループ。みなと精機の自社スレッドは見えない",
    "sakura": "参加者（代表者）・ものづくり・Bグループ。質問が他社の回答で解決済み",
    "suzuran": "参加者（代表者）・サービス・Bグループ",
    "aoba": "参加者（代表者）・サービス・Bグループ。同意が未了（サインインすると同意画面）",
    "ichiro": "専門家（みなと精機・ひかり物流・さくら建設の担当）",
    "hanako": "専門家（担当企業なし）。エスカレーションされた質問に回答期限つきで対応中",
}


def email(key):
    return f"{key}@{DOMAIN}"


class ApiError(Exception):
    pass


class Api:
    """One signed-in person: a keep-alive HTTPS connection, the session cookie and CSRF token."""

    def __init__(self, base, cafile):
        u = urllib.parse.urlparse(base)
        ctx = ssl.create_default_context(cafile=cafile)
        self.host, self.port, self.ctx = u.hostname, u.port or 443, ctx
        self.conn = None
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None, ok=()):
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf:
            h["X-CSRF-Token"] = self.csrf
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)
            try:
                self.conn.request(method, path, json.dumps(body) if body is not None else None, h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("__Host-mamori="):
                self.cookie = v.split(";", 1)[0]
        out = json.loads(data) if data else None
        if r.status >= 400 and r.status not in ok:
            raise ApiError(f"{method} {path}: {r.status} {out}")
        return r.status, out

    def get(self, path):
        return self.call("GET", path)[1]

    def post(self, path, body=None, ok=()):
        return self.call("POST", path, body if body is not None else {}, ok)

    def sign_in(self, mail, password):
        st, out = self.call("POST", "/api/v1/session", {"email": mail, "password": password})
        self.csrf = out["csrf_token"]
        return out["user"]


class Seed:
    def __init__(self, base, cafile, admin):
        self.base, self.cafile, self.admin = base, cafile, admin
        self.people = {}     # key → signed-in Api
        self.ids = {}        # key → user id
        self.companies = {}  # key → company id
        self.cats = {}       # slug → category id
        self.threads = None  # title → thread id, as the secretariat sees them
        self.created = 0

    # ---- the program ----

    def categories(self):
        have = {c["slug"]: c["id"] for c in self.admin.get("/api/v1/categories")["categories"]}
        for slug, name, desc in SESSIONS:
            if slug not in have:
                have[slug] = self.admin.post("/api/v1/categories", {"slug": slug, "name": name,
                                                                    "description": desc})[1]["id"]
                self.created += 1
        self.cats = have

    def documents(self):
        have = {d["kind"] for d in self.admin.get("/api/v1/documents/current")}
        for kind, title, body in (("participation", "参加同意書", PARTICIPATION), ("nda", "機密保持の同意書", NDA)):
            if kind not in have:
                self.admin.post("/api/v1/documents", {"kind": kind, "title": title, "body": body, "material": True})
                self.created += 1

    def registry(self):
        groups = {g["name"]: g["id"] for g in self.admin.get("/api/v1/groups")["groups"]}
        for name in GROUPS:
            if name not in groups:
                groups[name] = self.admin.post("/api/v1/groups", {"name": name})[1]["id"]
                self.created += 1
        have = {c["name"]: c["id"] for c in self.admin.get("/api/v1/companies")["companies"]}
        for key, name, ind, cls, cap, emp, group, _ in COMPANIES:
            if name not in have:
                have[name] = self.admin.post("/api/v1/companies", {
                    "name": name, "industry": ind, "sme_class": cls, "capital_yen": cap, "employees": emp,
                    "group_id": groups[group]})[1]["id"]
                self.created += 1
            self.companies[key] = have[name]

    def users(self):
        have = {u["email"].lower(): u for u in self.admin.get("/api/v1/users")["users"]}
        for key, name, role, company, spec in USERS:
            u = have.get(email(key))
            if u is None:
                req = {"email": email(key), "name": name, "role": role}
                if company:
                    req["company_id"] = self.companies[company]
                    req["representative"] = True
                if spec:
                    req["specialties"] = spec
                out = self.admin.post("/api/v1/users", req)[1]
                u, token = out["user"], out["invite_token"]
                self.created += 1
            elif u["status"] == "invited":
                token = self.admin.post(f"/api/v1/users/{u['id']}/invites")[1]["invite_token"]
            else:
                token = None
            if token:
                anon = Api(self.base, self.cafile)
                anon.call("POST", f"/api/v1/invites/{token}/accept", {"password": DEMO_PASSWORD})
            self.ids[key] = u["id"]
            api = Api(self.base, self.cafile)
            api.sign_in(email(key), DEMO_PASSWORD)
            self.people[key] = api
        for expert, companies in ASSIGNED.items():
            for c in companies:
                have = {e["id"] for e in self.admin.get(f"/api/v1/companies/{self.companies[c]}/experts")["experts"]}
                if self.ids[expert] not in have:
                    self.admin.post(f"/api/v1/companies/{self.companies[c]}/experts", {"expert_id": self.ids[expert]})
                    self.created += 1

    def consents(self):
        """Everyone accepts what they are asked to, the representatives also for their company;
        all but the company left pending (aoba), which shows the consent screen."""
        pending_company = {key for key, *_, accepted in COMPANIES if not accepted}
        for key, _, role, company, _ in USERS:
            if company in pending_company:
                continue
            api = self.people[key]
            for doc in api.get("/api/v1/documents/current"):
                scopes = doc.get("pending") or []
                if scopes:
                    api.post(f"/api/v1/documents/{doc['id']}/accept",
                             {"sha256": doc["sha256"], "on_behalf_of_company": "company" in scopes})
                    self.created += 1

    # ---- the discussions ----

    def known_threads(self):
        titles, page = {}, 1
        while True:
            out = self.admin.get(f"/api/v1/threads?per_page=100&page={page}")
            for t in out["threads"]:
                titles[t["title"]] = t["id"]
            if len(out["threads"]) < 100:
                return titles
            page += 1

    def thread(self, who, cat, title, body, visibility="community", kind="discussion", **extra):
        """Creates the thread unless one with the title exists; returns (id, first post id, new)."""
        if title in self.threads:
            return self.threads[title], None, False
        req = {"category_id": self.cats[cat], "title": title, "body": body, "kind": kind, "visibility": visibility}
        req.update(extra)
        t = self.people[who].post("/api/v1/threads", req)[1] if who != "admin" else \
            self.admin.post("/api/v1/threads", req)[1]
        self.threads[title] = t["id"]
        self.created += 1
        return t["id"], t.get("first_post_id"), True

    def reply(self, who, tid, body):
        api = self.admin if who == "admin" else self.people[who]
        return api.post(f"/api/v1/threads/{tid}/posts", {"body": body})[1]["id"]

    def discussions(self):
        self.threads = self.known_threads()
        P = self.people

        tid, _, new = self.thread("admin", "s06", "第6回 セミナー・ワークショップのご案内（リスク評価と管理策）", (
            "参加企業の皆さま\n\n次回は **第6回「リスク評価と管理策」** です。\n\n"
            "- セミナー 13:00〜15:00／ワークショップ 15:15〜17:15\n"
            "- 事前課題: 第5回で作成した **資産台帳** から、重要度の高い資産を3つ選んでおいてください。\n\n"
            "当日のワークショップでは、選んだ資産ごとに脅威と脆弱性を洗い出し、対応の優先度を決めます。"),
            kind="announcement")

        tid, _, new = self.thread("minato", "s05", "資産台帳、どこまで細かく書いていますか", (
            "第5回のワークショップで資産台帳の作り方を学びました。当社（従業員45名の精密部品メーカー）では"
            "PC・サーバ・複合機までは書けたのですが、**工場の制御用PC** や **USBメモリ** をどこまで台帳に載せるべきか迷っています。\n\n"
            "皆さんはどの粒度で管理されていますか？"))
        if new:
            self.reply("hikari", tid, (
                "当社（物流）では「情報を保存・処理するもの」は全部載せる方針にしました。USBメモリは個数が多いので、"
                "台帳には「貸出用USBメモリ（10本）」のようにまとめて、貸出記録を別シートにしています。"))
            leak = self.reply("sakura", tid, (
                "うちも同じ悩みでした。参考までに、当社の台帳の一部をそのまま貼ります。\n\n"
                "| 資産 | 場所 | 備考 |\n|---|---|---|\n| 図面サーバ | 本社2F | 192.168.10.20、管理者 admin-sakura |\n"
                "| 現場用タブレット | 各現場 | 5台 |"))
            self.reply("ichiro", tid, (
                "専門家の山田です。制御用PCは、ネットワークにつながっているか・USBを挿すかで重要度が大きく変わるので、"
                "**必ず台帳に載せてください**。「接続先」「更新の可否」の列を足すと、第6回のリスク評価でそのまま使えます。"))
            P["minato"].post(f"/api/v1/posts/{leak}/flags", {
                "reason": "他社さまの社内IPアドレスと管理者アカウント名が書かれています。非公開にしたほうがよいと思います。"})
            self.created += 1

        tid, first, new = self.thread("sakura", "qa", "UTMのログはどのくらいの期間保存すべきでしょうか", (
            "UTMを導入して半年になります。ログの保存期間が初期設定の30日のままなのですが、"
            "インシデントが起きたときに遡って調べられるよう、どのくらい残しておくのがよいでしょうか。"),
            kind="question")
        if new:
            answer = self.reply("hikari", tid, (
                "当社は **最低1年** にしています。取引先の監査で「1年分のアクセス記録」を求められたことがあり、"
                "UTM本体の容量が足りない分はsyslogサーバに転送して保存しています。"
                "発覚までに数か月かかる侵害もあるので、30日は短いと思います。"))
            self.reply("sakura", tid, "ありがとうございます。syslog転送は思いつきませんでした。まずは90日に延ばし、転送を検討します。")
            P["sakura"].post(f"/api/v1/threads/{tid}/accept", {"post_id": answer})

        tid, _, new = self.thread("minato", "qa", "退職者のVPNアカウントが残っていないか確認する手順", (
            "先月、退職した社員のVPNアカウントが有効なままになっていたことが分かりました（実害はありません）。"
            "UTMのVPNユーザー一覧と人事の退職者リストを突き合わせる **定期的な手順** を作りたいのですが、"
            "どの頻度で、誰が確認するのがよいでしょうか。"),
            kind="question", visibility="company")
        if new:
            self.admin.post(f"/api/v1/threads/{tid}/escalations", {
                "expert_id": self.ids["hanako"],
                "note": "アカウント管理の手順づくりのご相談です。ISMSの観点から、頻度と役割分担の目安をお願いします。"})
            self.created += 1

        tid, _, new = self.thread("hikari", "s06", "【自社用】リスク評価表のドラフト", (
            "専門家派遣（第2回）に向けて、リスク評価表のドラフトを作りました。\n\n"
            "1. 倉庫管理システム（WMS）: 停止すると出荷が止まる → 影響「大」\n"
            "2. 配車担当PC: 私物USBの利用あり → 発生可能性「中」\n\n"
            "山田さん、次回の派遣で見ていただけますか。"), visibility="company")
        if new:
            self.reply("ichiro", tid, "拝見しました。WMSはバックアップの復旧テストをしたことがあるか、当日確認させてください。")

        tid, _, new = self.thread("minato", "s07", "第7回の宿題：インシデント対応の連絡網、どう作りましたか", (
            "Aグループの皆さん、第7回の宿題の連絡網づくり、進んでいますか。当社は社長・総務・工場長の3名体制にしましたが、"
            "**夜間・休日に誰が判断するか** で止まっています。"), visibility="group")
        if new:
            self.reply("hikari", tid, (
                "当社は24時間稼働なので、夜間は当直の配車責任者が一次対応し、ネットワーク切断だけは判断してよい、"
                "というルールにしました。切断の判断基準を1枚にまとめておくと迷わないです。"))

        tid, _, new = self.thread("admin", "s08", "専門家派遣 第2回の日程と各社の進み具合", (
            "専門家の皆さま\n\n第2回派遣の日程調整をお願いします。あおば商事さまは同意書の提出待ちのため、"
            "派遣は同意の完了後に調整します。"), visibility="staff")
        if new:
            self.reply("ichiro", tid, "担当3社とも来週中に調整します。さくら建設さまは現場が多いので、午前中を希望されています。")

        tid, _, new = self.thread("suzuran", "cases", "標的型メール訓練をやってみました（介護事業所での事例）", (
            "第3回で紹介された標的型メールの話を受けて、事務職員20名に訓練メールを送ってみました。\n\n"
            "- 開封率: 35%\n- 報告してくれた人: 3名\n\n"
            "「怪しいと思ったら誰に言えばいいか分からなかった」という声が多く、報告先を決めることが先だと分かりました。"))
        if new:
            self.reply("sakura", tid, "開封率の数字まで共有いただきありがとうございます。当社も現場の事務所向けにやってみます。")

    # ---- the summary ----

    def credentials(self, admin_email, admin_password):
        lines = ["mamori demo: sign in at " + self.base,
                 "", f"  secretariat  {admin_email:<22} {admin_password}   事務局（すべてが見える）"]
        for key, name, role, company, _ in USERS:
            lines.append(f"  {role:<12} {email(key):<22} {DEMO_PASSWORD}   {name} — {ROLE_NOTES[key]}")
        return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base")
    ap.add_argument("email")
    ap.add_argument("password")
    ap.add_argument("cafile")
    ap.add_argument("--credentials", help="write the demo sign-ins to this file (mode 600)")
    a = ap.parse_args()
    admin = Api(a.base, a.cafile)
    try:
        admin.sign_in(a.email, a.password)
        s = Seed(a.base, a.cafile, admin)
        s.categories()
        s.documents()
        s.registry()
        s.users()
        s.consents()
        s.discussions()
    except (ApiError, OSError, KeyError) as e:
        print(f"demo-seed: failed: {e}", file=sys.stderr)
        return 1
    text = s.credentials(a.email, a.password)
    if a.credentials:
        import os
        fd = os.open(a.credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    print(("demo data: " + (f"{s.created} things created" if s.created else "already present, nothing added")))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
