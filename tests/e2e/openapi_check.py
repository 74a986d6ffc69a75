"""Checks every API response an end-to-end test receives against docs/openapi.json.

The e2e client (mamori.py) calls check() after each request to /api/. A request whose method and
path the document does not list, a status the document does not list for that operation, a
content type it does not declare, or a JSON body that does not match the declared schema raises
AssertionError, so the test that made the request fails and names the mismatch. A test that
probes routes on purpose (unknown paths, wrong methods) passes spec=False to the client.

Needs python3-jsonschema (Debian 12: 4.10, Draft 2020-12).
"""
import json
import os
import re
import threading

from jsonschema import Draft202012Validator

_HERE = os.path.dirname(os.path.abspath(__file__))
DOC_PATH = os.path.join(os.environ.get("MAMORI_SOURCE_DIR", os.path.join(_HERE, "..", "..")), "docs", "openapi.json")

_lock = threading.Lock()
_state = {}


def document():
    """The parsed OpenAPI document (loaded once)."""
    with _lock:
        if "doc" not in _state:
            with open(DOC_PATH, encoding="utf-8") as f:
                _state["doc"] = json.load(f)
            ops = []
            for template, item in _state["doc"]["paths"].items():
                segs = template.strip("/").split("/")
                rx = "^/" + "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segs) + "$"
                literal = sum(1 for s in segs if not s.startswith("{"))
                for method, op in item.items():
                    if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                        ops.append((literal, method.upper(), re.compile(rx), template, op))
            # The most literal template wins (/documents/current before /documents/{id}).
            ops.sort(key=lambda o: -o[0])
            _state["ops"] = ops
            _state["validators"] = {}
        return _state["doc"]


def _pointer(doc, ref):
    if not ref.startswith("#/"):
        raise AssertionError(f"openapi: only local $ref are supported, not {ref}")
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _inline(doc, node, depth=0):
    """The schema with every local $ref replaced by its target ($ref with siblings: allOf)."""
    if depth > 50:
        raise AssertionError("openapi: $ref nesting too deep (a cycle?)")
    if isinstance(node, list):
        return [_inline(doc, x, depth) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _inline(doc, v, depth) for k, v in node.items() if k != "$ref"}
    if "$ref" in node:
        target = _inline(doc, _pointer(doc, node["$ref"]), depth + 1)
        return target if not out else {"allOf": [target, out]}
    return out


def find_operation(method, path):
    """(template, operation) for method and path (query string ignored), or (None, None)."""
    document()
    path = path.split("?", 1)[0]
    if method == "HEAD":
        method = "GET"
    for _, m, rx, template, op in _state["ops"]:
        if m == method and rx.match(path):
            return template, op
    return None, None


def _response(op, status):
    doc = document()
    resp = op.get("responses", {}).get(str(status))
    if resp is not None and "$ref" in resp:
        resp = _pointer(doc, resp["$ref"])
    return resp


def _validator(template, method, status, media, schema):
    key = (template, method, status, media)
    with _lock:
        v = _state["validators"].get(key)
        if v is None:
            v = Draft202012Validator(_inline(_state["doc"], schema))
            _state["validators"][key] = v
        return v


NO_BODY = object()  # check(): no JSON request body was sent


def _check_request(op, template, method, status, request):
    schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
    where = f"{method} {template} (answered {status})"
    if schema is None:
        if request not in (None, {}):
            raise AssertionError(f"openapi: {where}: accepted a JSON body the document does not describe")
        return
    errors = list(_validator(template, method, "request", "application/json", schema).iter_errors(request))
    if errors:
        lines = [f"$.{'.'.join(str(p) for p in e.absolute_path)}: {e.message[:300]}" for e in errors[:5]]
        raise AssertionError(f"openapi: {where}: the server accepted a request body the document refuses:\n  "
                             + "\n  ".join(lines))


def check(method, path, status, content_type, payload, request=NO_BODY):
    """Raises AssertionError when the response does not match the document. payload: bytes;
    request: the JSON value sent, when one was. A request the server accepted (2xx) must also
    match the documented request body, so the document never demands more than the server."""
    if not path.startswith("/api/"):
        return
    template, op = find_operation(method, path)
    where = f"{method} {path.split('?', 1)[0]}"
    if op is None:
        raise AssertionError(f"openapi: {where} (status {status}) is not in docs/openapi.json")
    where = f"{method} {template} {status}"
    if request is not NO_BODY and 200 <= status < 300:
        _check_request(op, template, method, status, request)
    resp = _response(op, status)
    if resp is None:
        body = payload[:300].decode("utf-8", "replace") if payload else ""
        raise AssertionError(f"openapi: {where}: status not documented (body: {body})")
    content = resp.get("content") or {}
    if method == "HEAD" or status == 304:
        return
    if not content:
        if payload:
            raise AssertionError(f"openapi: {where}: documented without a body, got {len(payload)} bytes")
        return
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in content and "*/*" not in content:
        raise AssertionError(f"openapi: {where}: content type {media!r} not documented ({', '.join(content)})")
    schema = (content.get(media) or content.get("*/*") or {}).get("schema")
    if media != "application/json" or schema is None:
        return
    try:
        body = json.loads(payload)
    except ValueError as e:
        raise AssertionError(f"openapi: {where}: body is not JSON: {e}")
    errors = sorted(_validator(template, method, status, media, schema).iter_errors(body),
                    key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:5]:
            loc = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
            lines.append(f"{loc}: {e.message[:300]}")
        raise AssertionError(f"openapi: {where}: response does not match the document:\n  " + "\n  ".join(lines))
