#!/usr/bin/env python3
"""No two source files give a file-private name to two things.

The program builds in unity batches (ECSIM_UNITY, CMakeLists.txt): several
.cpp files compile as one, so what each file keeps to itself (in
`namespace {` or declared `static`) shares a scope with its batch-mates.
Two helpers of one name then either stop the build (same signature, but
only once a batch holds both, which adding any file can bring about) or,
worse, become overloads of each other, and a call may silently take the
other file's. This check looks at every file under src/ and viz/, batch or
not, so the name clash is found when it is written.

Usage: lint_unity.py ROOT. It reads the files as the style writes them
(STYLE.md): namespaces open at column 0 and their contents are not
indented, so a declaration of the namespace starts at column 0.
"""
import collections
import pathlib
import re
import sys

OPEN_NAMED = re.compile(r"^namespace ([\w:]+) \{")
OPEN_ANON = re.compile(r"^namespace \{")
CLOSE = re.compile(r"^\}\s*// namespace")
TYPE = re.compile(r"^(?:template\s*<.*>\s*)?(?:struct|class|enum class|enum|union)\s+(\w+)")
# A function or a variable: the name before its '(' or its '=', '{', '[', ';'.
DECLARED = re.compile(r"^(?:template\s*<.*>\s*)?(?:[\w:<>,\*&]+\s+)+[\*&]?(\w+)\s*(?:\(|=|\{|\[|;)")
SKIP = ("#", "//", "}", "using ", "namespace ", "extern ", "friend ", "return ", "case ", "default:")


def declared_names(path):
    """(file-private?, enclosing named namespace, name, line) of each
    declaration at namespace scope."""
    stack = []  # "" for an anonymous namespace
    out = []
    for number, line in enumerate(path.read_text().split("\n"), 1):
        m = OPEN_NAMED.match(line)
        if m:
            stack.append(m.group(1))
            continue
        if OPEN_ANON.match(line):
            stack.append("")
            continue
        if CLOSE.match(line):
            if stack:
                stack.pop()
            continue
        if not line or line[0].isspace() or line.startswith(SKIP):
            continue
        private = "" in stack or line.startswith("static ")
        scope = "::".join(s for s in stack if s)
        for pattern in (TYPE, DECLARED):
            m = pattern.match(line)
            if m and m.group(1) not in ("if", "for", "while", "switch", "operator"):
                out.append((private, scope, m.group(1), number))
                break
    return out


def main(root):
    root = pathlib.Path(root)
    private = collections.defaultdict(list)  # (scope, name) -> ["file:line"]
    public = collections.defaultdict(list)
    for path in sorted(list(root.glob("src/**/*.cpp")) + list(root.glob("viz/**/*.cpp"))):
        for is_private, scope, name, number in declared_names(path):
            (private if is_private else public)[(scope, name)].append(f"{path.relative_to(root)}:{number}")
    # A private name declared in a second file, privately or not (a file's
    # own helper beside another file's function of that name is as ambiguous).
    clashes = {}
    for key, where in private.items():
        files = {w.split(":")[0] for w in where}
        others = [w for w in public.get(key, []) if w.split(":")[0] not in files]
        if len(files) > 1 or others:
            clashes[key] = where + others
    for (scope, name), where in sorted(clashes.items()):
        print(f"{scope}::{name} is declared in more than one file, file-private in one at least: {', '.join(where)}; "
              "expected one shared definition or distinct names (unity batches, docs/testing.md)")
    if not clashes:
        print("no file-private name is declared in two files")
    return 1 if clashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
