#!/usr/bin/env python3
"""Query strings are read strictly (found by tests/fuzz/fuzz_query.c): an integer parameter is
digits only — `+5` (which arrives as " 5"), `%2B5` and `-0` are 400, not page 5 or 0 — and an
encoded NUL byte, which would silently cut a value short (`?q=abc%00def` searching "abc"), is 400
too. Plain values still work."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mamori import Server, expect, run_tests  # noqa: E402


def test_integer_parameters_are_digits_only_and_nul_is_refused():
    with Server() as srv:
        a = srv.admin()
        st, body = a.get("/api/v1/threads?page=2")
        expect(st == 200, f"plain page: {st} {body}")
        for q in ("page=+5", "page=%2B5", "page=-0", "page=%205", "page=5%20", "per_page=0x10"):
            st, body = a.get("/api/v1/threads?" + q)
            expect(st == 400 and body["error"] == "bad_request", f"{q}: {st} {body}")
        for q in ("q=abc%00def", "q=%00", "q=ab&page=1%00"):
            st, body = a.get("/api/v1/search?" + q)
            expect(st == 400 and body["error"] == "bad_request", f"{q}: {st} {body}")
        st, body = a.get("/api/v1/search?q=abc+def")
        expect(st == 200, f"plain search: {st} {body}")


if __name__ == "__main__":
    run_tests([test_integer_parameters_are_digits_only_and_nul_is_refused])
