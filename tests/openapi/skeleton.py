#!/usr/bin/env python3
"""Proposes docs/openapi.json entries for the routes of server/ that the document lacks.

    python3 tests/openapi/skeleton.py            # every undocumented route
    python3 tests/openapi/skeleton.py --merge    # and adds them to docs/openapi.json

Reads the route tables (`const struct route x_routes[]` in server/*.c) and writes, for each
route missing from the document, an operation with what the table already says: operationId,
x-access (level and roles), security (CSRF or not), the path and query parameters, and the
error answers the dispatcher itself can give for that access (docs/CONTRIBUTING.md, "Adding a
route"). What only the handler knows is left as TODO for you to fill in: summary, x-access.rule,
the request body, the success status and its schema, the handler's own error codes. The unit
test test_openapi and the e2e response check then tell you what is still wrong.
"""
import glob
import json
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "openapi.json")
ROUTE = re.compile(r'\{\s*EVHTTP_REQ_(\w+),\s*"([^"]+)",\s*([A-Z_|\s()]+?),\s*(\w+),\s*([^,]+),\s*([^,]+),'
                   r'\s*\{(\{.*?\})\}\}', re.S)


def routes():
    out = []
    for f in sorted(glob.glob(os.path.join(ROOT, "server", "*.c"))):
        src = open(f, encoding="utf-8").read()
        macros = dict(re.findall(r"#define (\w+) \(([A-Z_| ]+)\)", src))
        for m in ROUTE.finditer(src):
            access = m.group(3).strip()
            access = macros.get(access, access)
            bits = {b.strip().strip("()").strip() for b in access.split("|")}
            out.append({"method": m.group(1), "path": m.group(2), "bits": bits, "flags": m.group(6),
                        "params": re.findall(r'\{"(\w+)", PARAM_(\w+)\}', m.group(7))})
    return out


def shape(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


def skeleton(r):
    bits, method = r["bits"], r["method"].lower()
    level = next((lv for b, lv in (("ACCESS_PUBLIC", "public"), ("ACCESS_WRITE", "write"),
                                   ("ACCESS_CONTENT", "content")) if b in bits), "session")
    roles = [n for b, n in (("ACCESS_PARTICIPANT", "participant"), ("ACCESS_EXPERT", "expert"),
                            ("ACCESS_SECRETARIAT", "secretariat")) if b in bits]
    unsafe = method != "get"
    raw = "ROUTE_RAW_BODY" in r["flags"]
    csrf = unsafe and level != "public" and "ROUTE_NO_CSRF" not in r["flags"]
    pparams = re.findall(r"\{(\w+)\}", r["path"])
    errs = {400: ["bad_request"]}
    if unsafe:
        errs[413] = ["too_large"]
    if unsafe and not raw:
        errs[415] = ["unsupported_media_type"]
    if pparams:
        errs[404] = ["not_found"]
    if level != "public":
        errs[401] = ["unauthenticated"]
    e403 = (["forbidden"] if roles else []) + (["totp_setup_required"] if roles or level in ("content", "write") else [])
    e403 += (["csrf"] if csrf else []) + (["company_inactive", "consent_required"] if level in ("content", "write") else [])
    e403 += ["read_only"] if level == "write" else []
    e403 += ["cross_site"] if unsafe else []  # Sec-Fetch-Site: cross-site / same-site
    if e403:
        errs[403] = e403
    errs[500] = ["internal"]
    if unsafe:
        errs[503] = ["storage_unavailable"]
    shared = {400: "BadRequest", 401: "Unauthenticated", 404: "NotFound", 413: "TooLarge",
              415: "UnsupportedMediaType", 500: "Internal",
              503: "StorageUnavailable"}
    responses = {"200": {"description": "TODO: 200, 201 or 204, and the schema ($ref a components/schemas entry)",
                         "content": {"application/json": {"schema": {"type": "object"}}}}}
    for st in sorted(errs):
        if st in shared:
            responses[str(st)] = {"$ref": "#/components/responses/" + shared[st]}
        else:
            responses[str(st)] = {"description": "Refused: " + ", ".join(errs[st]), "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error", "properties": {"error": {"enum": errs[st]}}}}}}
    op = {"operationId": re.sub(r"[^A-Za-z0-9]+", "_", method + re.sub(r"^/api/v1", "", r["path"])).strip("_"),
          "tags": ["TODO"], "summary": "TODO", "description": "**Who:** TODO.",
          "x-access": {"level": level, **({"roles": roles} if roles else {}), "rule": "TODO"},
          "security": [] if level == "public" else [{"session": [], "csrf": []}] if csrf else [{"session": []}]}
    params = [{"name": p, "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1} if p in ("id",) or p.endswith("_id") else {"type": "string"}}
              for p in pparams]
    params += [{"name": n, "in": "query", "required": False,
                "schema": {"type": "integer", "minimum": 0} if t == "INT" else {"type": "string"}} for n, t in r["params"]]
    if params:
        op["parameters"] = params
    if unsafe:
        op["requestBody"] = {"required": True, "content": {"*/*" if raw else "application/json": {
            "schema": {"type": "string", "contentMediaType": "application/octet-stream"} if raw else
            {"type": "object", "properties": {}, "required": []}}}}
    op["responses"] = responses
    return op


def main():
    doc = json.load(open(DOC, encoding="utf-8"))
    have = {(m, shape(p)) for p, item in doc["paths"].items() for m in item}
    missing = [r for r in routes() if (r["method"].lower(), shape(r["path"])) not in have]
    if not missing:
        print("every route of server/ is in docs/openapi.json")
        return
    out = {}
    for r in missing:
        out.setdefault(r["path"], {})[r["method"].lower()] = skeleton(r)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if "--merge" in sys.argv:
        for p, item in out.items():
            doc["paths"].setdefault(p, {}).update(item)
        doc["paths"] = dict(sorted(doc["paths"].items()))
        with open(DOC, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=2)
            f.write("\n")
        print(f"added {len(missing)} operation(s) to docs/openapi.json: fill in every TODO", file=sys.stderr)


if __name__ == "__main__":
    main()
