#!/usr/bin/env python3
"""The expected-verdict lines of one example run, from its `ecsim run --json`
summary and its exit code: the lines the readable summary ends with (its
`expectations` block, `verdict:` and `trace hash:`, laid out as
src/cli/run_report.cpp prints them), then `exit: N`. Wall time, event counts
and the other figures are left out: the trace hash already pins behaviour,
and the verdict lines say what the example is meant to show.

Usage: render.py SUMMARY.json EXIT_CODE
"""
import json
import sys


def mark(v):
    if v["informational"]:
        return "(none)" if v["vacuous"] else "(ok)" if v["ok"] else "(miss)"
    return "ok" if v["ok"] else "FAIL"


def main():
    with open(sys.argv[1]) as f:
        r = json.load(f)
    out = []
    if r["expectations"] or r["event_limit_hit"]:
        out.append("  expectations")
        # As run_report.cpp: a longer name or mark widens its column.
        width = max([22] + [len(v["name"]) + 2 for v in r["expectations"]])
        mark_width = max([6] + [len(mark(v)) + 1 for v in r["expectations"]])
        for v in r["expectations"]:
            out.append(f"    {mark(v):<{mark_width}}{v['name']:<{width}}{v['detail']}")
        if r["event_limit_hit"]:
            out.append(f"    {'FAIL':<{mark_width}}{'max_events':<{width}}stopped by --max-events")
        out.append("")
    out.append("verdict: " + ("PASS" if r["verdict"] == "pass" else "FAIL"))
    out.append("trace hash: " + (r["trace_hash"] or "not computed (--no-hash)"))
    out.append("exit: " + sys.argv[2])
    print("\n".join(out))


if __name__ == "__main__":
    main()
