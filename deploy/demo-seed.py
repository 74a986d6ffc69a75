#!/usr/bin/env python3
"""Seeds a running demo server through the public API, as the secretariat would: the ten
session categories, both consent documents, two workshop groups, four companies, and one
invited participant per company plus two experts (their invitation links are printed).
Idempotent enough for a demo: it does nothing if categories already exist.

    deploy/demo-seed.py https://127.0.0.1:8443 admin@example.jp PASSWORD CERT.pem
"""
import http.client
import json
import ssl
import sys
import urllib.parse

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


class Api:
    def __init__(self, base, cafile):
        u = urllib.parse.urlparse(base)
        ctx = ssl.create_default_context(cafile=cafile)
        self.conn = http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx)
        self.cookie = None
        self.csrf = None

    def call(self, method, path, body=None):
        h = {"Content-Type": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf:
            h["X-CSRF-Token"] = self.csrf
        self.conn.request(method, path, json.dumps(body) if body is not None else None, h)
        r = self.conn.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie" and v.startswith("__Host-mamori="):
                self.cookie = v.split(";", 1)[0]
        out = json.loads(data) if data else None
        if r.status >= 400:
            raise SystemExit(f"{method} {path}: {r.status} {out}")
        return out


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    base, email, password, cafile = sys.argv[1:]
    api = Api(base, cafile)
    api.csrf = api.call("POST", "/api/v1/session", {"email": email, "password": password})["csrf_token"]
    if api.call("GET", "/api/v1/categories").get("categories"):
        print("demo data already present")
        return
    for slug, name, desc in SESSIONS:
        api.call("POST", "/api/v1/categories", {"slug": slug, "name": name, "description": desc})
    api.call("POST", "/api/v1/documents", {"kind": "participation", "title": "参加同意書", "body": PARTICIPATION, "material": True})
    api.call("POST", "/api/v1/documents", {"kind": "nda", "title": "機密保持の同意書", "body": NDA, "material": True})
    g1 = api.call("POST", "/api/v1/groups", {"name": "Aグループ"})["id"]
    g2 = api.call("POST", "/api/v1/groups", {"name": "Bグループ"})["id"]
    companies = [
        ("株式会社みなと精機", "E", "manufacturing_other", 30000000, 45, g1),
        ("有限会社さくら建設", "D", "manufacturing_other", 10000000, 20, g2),
        ("株式会社ひかり物流", "H", "service", 20000000, 60, g1),
        ("合同会社あおば商事", "I", "wholesale", 5000000, 12, g2),
    ]
    print("invitations (open the link, set a password):")
    for i, (name, ind, cls, cap, emp, g) in enumerate(companies, 1):
        c = api.call("POST", "/api/v1/companies", {"name": name, "industry": ind, "sme_class": cls,
                                                   "capital_yen": cap, "employees": emp, "group_id": g})
        u = api.call("POST", "/api/v1/users", {"email": f"user{i}@example.jp", "name": f"{name} 担当者",
                                               "role": "participant", "company_id": c["id"], "representative": True})
        print(f"  {u['user']['email']}: {base}/#/invite/{u['invite_token']}")
        companies[i - 1] = c
    for j, (name, spec) in enumerate([("専門家 一郎", ["network", "utm", "incident"]),
                                      ("専門家 花子", ["isms", "risk", "education"])], 1):
        u = api.call("POST", "/api/v1/users", {"email": f"expert{j}@example.jp", "name": name,
                                               "role": "expert", "specialties": spec})
        print(f"  {u['user']['email']}: {base}/#/invite/{u['invite_token']}")
        for c in companies[(j - 1) * 2:(j - 1) * 2 + 2]:
            api.call("POST", f"/api/v1/companies/{c['id']}/experts", {"expert_id": u["user"]["id"]})


if __name__ == "__main__":
    main()
