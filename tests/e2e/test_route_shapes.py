#!/usr/bin/env python3
"""What the router checks before a handler runs, as a client sees it (docs/ARCHITECTURE.md,
"Writing a feature"): a declared JSON body answers 422 `invalid` naming the member (type,
required, limit, the one blank rule), and bad input changes nothing — swept over every documented
operation that takes a JSON body, each member sent with the wrong type, as the secretariat: never
a 2xx, never a 5xx, and the audit log (every change appends to it) does not move."""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import expect, run_tests  # noqa: E402
from test_consent import World, expect_error  # noqa: E402

DOC = os.path.join(os.environ.get("MAMORI_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../..")),
                   "docs", "openapi.json")


def audit_count(w):
    db = sqlite3.connect(os.path.join(w.srv.data, "mamori.db"), timeout=10)
    try:
        return db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        db.close()


def wrong_value(schema):
    """A JSON value of another type than schema's."""
    t = schema.get("type")
    t = t[0] if isinstance(t, list) else t
    return {"string": 12345, "integer": "12", "number": "1.5", "boolean": "yes", "array": {"a": 1},
            "object": [1]}.get(t, None)


def test_declared_body_messages():
    with World() as w:
        w.publish_both()
        a = w.company(name="株式会社シェイプ")
        cases = [({"company_id": a, "title": 5, "body": "x"}, "title must be a string"),
                 ({"company_id": "1", "title": "t", "body": "x"}, "company_id must be an integer"),
                 ({"company_id": 0, "title": "t", "body": "x"}, "company_id must be a positive integer"),
                 ({"company_id": a, "body": "x"}, "title is required"),
                 ({"company_id": a, "title": "\u3000\u3000", "body": "x"}, "title is empty"),
                 ({"company_id": a, "title": "t", "body": " \u3000\n"}, "body is empty"),
                 ({"company_id": a, "title": "t" * 301, "body": "x"}, "title is longer than 300 bytes")]
        before = audit_count(w)
        for body, msg in cases:
            st, out = w.admin.post("/api/v1/cases", body)
            expect_error(st, out, 422, "invalid", msg)
            expect(out.get("message") == msg, f"message names the member: {out}")
        st, out = w.admin.get("/api/v1/cases")
        expect(st == 200 and out["cases"] == [], f"nothing created: {out}")
        expect(audit_count(w) == before, "nothing audited")


def test_wrong_types_change_nothing():
    doc = json.load(open(DOC, encoding="utf-8"))
    with World() as w:
        w.publish_both()
        a = w.company(name="株式会社スイープ")
        before = audit_count(w)
        sent = 0
        for path, item in sorted(doc["paths"].items()):
            for method, op in item.items():
                if method not in ("post", "patch", "put", "delete"):
                    continue
                schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json")
                          or {}).get("schema") or {}
                if "$ref" in schema:
                    schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
                props = schema.get("properties") or {}
                if path in ("/api/v1/session", "/api/v1/application-form") or "/invites/" in path:
                    continue  # sign-in throttle, public form rate limit, one-time tokens: own tests
                url = re.sub(r"\{[^}]+\}", str(a), path)
                for name, p in sorted(props.items()):
                    v = wrong_value(p)
                    if v is None:
                        continue
                    st, out = w.admin.request(method.upper(), url, {name: v}, spec=False)
                    sent += 1
                    expect(400 <= st < 500, f"{method.upper()} {path} with {name}={v!r}: {st} {out}")
        expect(sent > 50, f"swept {sent} requests")
        expect(audit_count(w) == before, f"bad input changed nothing: audit {before} → {audit_count(w)}")


if __name__ == "__main__":
    run_tests([test_declared_body_messages, test_wrong_types_change_nothing])
