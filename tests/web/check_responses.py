"""Checks the API answers the browser stories' pages received against docs/openapi.json, with the
e2e suite's own checker (tests/e2e/openapi_check.py). Reads JSON lines {method, path, status,
content_type, body_b64} from the file named on the command line; prints one line per mismatch and
exits 1 when there is any."""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import openapi_check  # noqa: E402

bad = 0
seen = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        seen += 1
        try:
            openapi_check.check(r["method"], r["path"], r["status"], r["content_type"], base64.b64decode(r["body_b64"]))
        except AssertionError as e:
            bad += 1
            print(str(e))
print(f"{seen} answers checked, {bad} not as documented", file=sys.stderr)
sys.exit(1 if bad else 0)
