#!/usr/bin/env python3
"""Layers point one way (docs/ARCHITECTURE.md, "Layers").

Reads every `#include "..."` in server/ and fails when
  - an infrastructure module includes a feature module's header, or
  - the modules' include graph has a cycle (anywhere, features included).
A module is a file name without its extension (`post.c` + `post.h` = post); `x_y.c` whose
`x.h` exists belongs to module x (search_index.c is the search module). Run by ctest (label unit)."""
import os
import re
import sys

# The infrastructure: knows no feature. Features plug in through `struct feature` (router.h).
INFRA = {"util", "config", "db", "tls", "server", "router", "http", "authz", "session",
         "crypto", "audit", "cache", "text", "markdown", "calendar", "static", "idempotency", "feature", "query",
         "bodylimit", "body", "view", "reply", "route_index",
         "common_passwords"}
# Above everything: may include anything, nothing includes them.
TOP = {"main", "features"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(name, headers):
    base = os.path.splitext(name)[0]
    if base + ".h" not in headers and "_" in base and base.split("_")[0] + ".h" in headers:
        return base.split("_")[0]
    return base


def graph(server_dir):
    files = sorted(f for f in os.listdir(server_dir) if f.endswith((".c", ".h")))
    headers = {f for f in files if f.endswith(".h")}
    edges = {}
    for f in files:
        with open(os.path.join(server_dir, f), encoding="utf-8") as fh:
            text = fh.read()
        m = module_of(f, headers)
        edges.setdefault(m, {})
        for inc in INCLUDE.findall(text):
            if inc not in headers:
                continue
            n = module_of(inc, headers)
            if n != m:
                edges[m].setdefault(n, f"{f} includes {inc}")
    return edges


def find_cycle(edges):
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, {})):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                c = visit(n)
                if c:
                    return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state:
            c = visit(m)
            if c:
                return c
    return None


def check(server_dir):
    edges = graph(server_dir)
    errors = []
    for m, outs in sorted(edges.items()):
        for n, why in sorted(outs.items()):
            if n in TOP:
                errors.append(f"{why}: nothing includes {n}.h")
            elif m in INFRA and n not in INFRA:
                errors.append(f"{why}: infrastructure ({m}) must not include a feature header ({n})")
    cycle = find_cycle(edges)
    if cycle:
        path = " -> ".join(cycle)
        whys = "; ".join(edges[a][b] for a, b in zip(cycle, cycle[1:]))
        errors.append(f"include cycle: {path} ({whys})")
    return errors


def self_test():
    """The check itself fails on what it forbids (a synthetic server/ in a temporary directory)."""
    import tempfile
    cases = {
        "infra includes a feature": ({"db.c": '#include "db.h"\n#include "search.h"\n', "db.h": "", "search.h": "",
                                      "search.c": '#include "db.h"\n'}, "must not include a feature header"),
        "cycle between features": ({"post.c": '#include "moderation.h"\n', "post.h": "",
                                    "moderation.c": '#include "post.h"\n', "moderation.h": ""}, "include cycle"),
        "cycle through a header": ({"router.c": '#include "server.h"\n', "router.h": "",
                                    "server.c": "", "server.h": '#include "router.h"\n'}, "include cycle"),
        "clean": ({"db.c": '#include "db.h"\n#include "util.h"\n', "db.h": "", "util.h": "",
                   "post.c": '#include "db.h"\n', "post.h": ""}, None),
    }
    for name, (files, want) in cases.items():
        with tempfile.TemporaryDirectory() as d:
            for f, text in files.items():
                with open(os.path.join(d, f), "w") as fh:
                    fh.write(text)
            errors = check(d)
            ok = (not errors) if want is None else any(want in e for e in errors)
            if not ok:
                print(f"self-test {name}: got {errors}")
                return 1
    print("layers self-test: ok")
    return 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    src = os.environ.get("MAMORI_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    server_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(src, "server")
    errors = check(server_dir)
    for e in errors:
        print(e)
    if errors:
        return 1
    print(f"layers: ok ({server_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
