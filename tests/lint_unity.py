#!/usr/bin/env python3
"""No two source files give a file-private name to two things.

The program builds in unity batches (ECSIM_UNITY, CMakeLists.txt): several
.cpp files compile as one, so what each file keeps to itself (in
`namespace {` or declared `static`) shares a scope with its batch-mates.
Two helpers of one name then either stop the build (same signature, but
only once a batch holds both, which adding any file can bring about) or,
worse, become overloads of each other, and a call may silently take the
other file's. This check looks at every file under src/ and viz/, batch or
not, so the name clash is found when it is written. The unit and viewer
tests batch too; each of their files keeps everything after its includes in a
namespace named after it (test_storage.cpp: `namespace test_storage`),
which this checks, and may say `using namespace` there.

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
USING = re.compile(r"^using [\w:]+::(\w+);")
SKIP = ("#", "//", "}", "using ", "namespace ", "extern ", "friend ", "return ", "case ", "default:")


def declared_names(path, problems, own=None):
    """(kind, enclosing named namespace, name, line) of each declaration at
    namespace scope; kind: True file-private, False not, "using" a name a
    using-declaration brings into the file's own namespace {}. Appends to `problems` what keeps the
    file from being read so: a namespace that does not close with
    `}  // namespace` (the scan would put the rest of the file in it), a
    `using namespace` at namespace scope (in a batch it reaches the files
    after it). `own`: the namespace a unit-test file keeps all its code in
    (named after the file); a `using namespace` inside it stays the file's,
    and code outside it is a problem."""
    stack = []  # (name, line opened); "" for an anonymous namespace
    out = []
    for number, line in enumerate(path.read_text().split("\n"), 1):
        m = OPEN_NAMED.match(line)
        if m:
            if line.rstrip().endswith("}"):  # opened and closed on one line
                continue
            stack.append((m.group(1), number))
            continue
        if OPEN_ANON.match(line):
            stack.append(("", number))
            continue
        m = USING.match(line)
        if m and any(name == "" for name, _ in stack):
            # A using-declaration in a file's own namespace {}: the name is
            # the batch's too (one of the same entity in two files is fine).
            out.append(("using", "::".join(name for name, _ in stack if name), m.group(1), number))
            continue
        if line.startswith("using namespace ") and not (own and stack and stack[0][0] == own):
            problems.append(f"{path}:{number}: 'using namespace' at namespace scope, expected using-declarations "
                            "or qualified names (in a unity batch it reaches the files after this one)")
            continue
        if CLOSE.match(line):
            if stack:
                stack.pop()
            continue
        if own and not stack and line and not line.startswith(("#", "//")):
            problems.append(f"{path}:{number}: code outside namespace {own}, expected every line of a unit-test file "
                            f"after its includes in 'namespace {own} {{' (its unity batch-mates share the rest)")
            continue
        if not line or line[0].isspace() or line.startswith(SKIP):
            continue
        private = any(name == "" for name, _ in stack) or line.startswith("static ")
        scope = "::".join(name for name, _ in stack if name)
        for pattern in (TYPE, DECLARED):
            m = pattern.match(line)
            if m and m.group(1) not in ("if", "for", "while", "switch", "operator"):
                out.append((private, scope, m.group(1), number))
                break
    for name, opened in stack:
        problems.append(f"{path}:{opened}: namespace {name or '{'} is not closed by a line '}}  // namespace', "
                        "expected one (STYLE.md)")
    return out


def main(root):
    root = pathlib.Path(root)
    private = collections.defaultdict(list)  # (scope, name) -> ["file:line"]
    public = collections.defaultdict(list)
    used = collections.defaultdict(list)  # brought in by a using-declaration
    problems = []
    tests = sorted(list(root.glob("tests/unit/*.cpp")) + list(root.glob("tests/viz/*.cpp")))
    for path in sorted(list(root.glob("src/**/*.cpp")) + list(root.glob("viz/**/*.cpp"))) + tests:
        own = path.stem if path in tests else None
        for kind, scope, name, number in declared_names(path, problems, own):
            table = used if kind == "using" else private if kind else public
            table[(scope, name)].append(f"{path.relative_to(root)}:{number}")
    # A private name declared in a second file, privately or not (a file's
    # own helper beside another file's function of that name is as ambiguous).
    clashes = {}
    for key, where in private.items():
        files = {w.split(":")[0] for w in where}
        others = [w for w in public.get(key, []) if w.split(":")[0] not in files]
        if len(files) > 1 or others:
            clashes[key] = where + others
    # A name a file brings in beside another file's own of that name.
    for key, where in used.items():
        files = {w.split(":")[0] for w in where}
        others = [w for w in private.get(key, []) + public.get(key, []) if w.split(":")[0] not in files]
        if others:
            clashes[key] = where + others
    for (scope, name), where in sorted(clashes.items()):
        print(f"{scope}::{name} is declared in more than one file, file-private in one at least: {', '.join(where)}; "
              "expected one shared definition or distinct names (unity batches, docs/testing.md)")
    for p in problems:
        print(str(p).replace(str(root) + "/", "", 1))
    if not clashes and not problems:
        print("no file-private name is declared in two files")
    return 1 if clashes or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
