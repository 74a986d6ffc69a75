#!/usr/bin/env python3
"""Every function says what it does: each function defined in server/*.c has a comment right
above it (the SQLite/Fossil habit), or, when it is public, above its declaration in the header.

    tests/layers/check_comments.py [server-dir]   exit 1 listing each function without one

A comment counts when the line(s) just above the definition (blank lines and a `static const`
SQL string excepted, nothing else) end a /* ... */ block. ctest runs it as unit/comments."""
import os
import re
import sys

DEF_START = re.compile(r"^(?!static\s+const\b)(?:static\s+|inline\s+|_Noreturn\s+|__attribute__\(\(\w+\)\)\s+)*"
                       r"(?:const\s+|unsigned\s+|struct\s+|enum\s+)*[A-Za-z_]\w*[\s\*]+\**([A-Za-z_]\w*)\(")
DECL = re.compile(r"\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:__attribute__\(\(.*\)\))?\s*;", re.S)


def strip_comments(text):
    """text with each /* ... */ replaced by spaces (newlines kept, so lines keep their numbers)."""
    return re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def documented_in_headers(server):
    """Names declared in a header with a comment in the block of lines just above (up to the
    previous blank line) or on the declaration's own line."""
    names = set()
    for h in sorted(os.listdir(server)):
        if not h.endswith(".h"):
            continue
        text = open(os.path.join(server, h), encoding="utf-8").read()
        lines = text.split("\n")
        code = strip_comments(text)
        # preprocessor lines (with their continuations) hold no declaration
        code = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)), code,
                      flags=re.M)
        for m in DECL.finditer(code):
            start = code.rfind("\n", 0, m.start()) + 1
            if code[start:m.start()].strip() and not re.match(r"^[\w\s\*]*$", code[start:m.start()]):
                continue  # inside something else (a struct of function pointers, a macro)
            line = code.count("\n", 0, m.start())
            end_line = code.count("\n", 0, m.end())
            documented = any("*/" in lines[k] or "/*" in lines[k] for k in range(line, end_line + 1))
            k = line - 1
            while not documented and k >= 0 and lines[k].strip():
                documented = "*/" in lines[k]
                k -= 1
            if documented:
                names.add(m.group(1))
    return names


def missing_in(path, public):
    lines = open(path, encoding="utf-8").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        m = DEF_START.match(line)
        if not m or line.rstrip().endswith(";"):
            continue
        # a definition: the signature ends with ')' and the next line opens the body
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(")") and ";" not in lines[j]:
            j += 1
        if j + 1 >= len(lines) or lines[j + 1].strip() != "{":
            continue
        name = m.group(1)
        if name in public or name == "main" or name.startswith("LLVMFuzzer"):
            continue
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        if k >= 0 and lines[k].rstrip().endswith("*/"):
            continue
        out.append((i + 1, name))
    return out


def main():
    server = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "server")
    public = documented_in_headers(server)
    total = 0
    for f in sorted(os.listdir(server)):
        if not f.endswith(".c"):
            continue
        for line, name in missing_in(os.path.join(server, f), public):
            print(f"server/{f}:{line}: {name} has no comment saying what it does")
            total += 1
    if total:
        print(f"{total} functions without a comment", file=sys.stderr)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
