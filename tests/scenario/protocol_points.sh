#!/usr/bin/env bash
# Protocol points end to end (docs/scenarios.md, "Faults at protocol points"
# and "Protocol points"):
# - `ecsim run --json` reports every point's count, and docs/scenarios.md
#   lists every point it reports;
# - an at_point fault crashes its node at the reach: one fault applied, one
#   crash, back after `for`, every invariant holding;
# - a misspelt point is one line with FILE:LINE:COL and a suggestion, exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

base='name: at-point
seed: 4
duration: 4s
topology: { edge: 2, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 300/s, subscribers: 500, mix: { read: 40, write: 50, dsm_set: 10 } }
expect:
  invariants: [acknowledged_writes, at_most_once, exactly_once, causality]'
printf '%s\n' "$base" > "$tmp/plain.yaml"
printf '%s\nfaults:\n  - { at_point: storage.writer.after_quorum, node: core-2, nth: 4, do: crash, for: 1s }\n' \
  "$base" > "$tmp/point.yaml"

"$ecsim" run "$tmp/plain.yaml" --json > "$tmp/plain.json"; check $? 0 "a run without at_point passes"
python3 - "$tmp/plain.json" "$src/docs/scenarios.md" <<'PY'
import json, sys
points = json.load(open(sys.argv[1]))["points"]
docs = open(sys.argv[2]).read()
assert len(points) >= 8, points
missing = [p for p in points if f"| `{p}` |" not in docs]
assert not missing, f"docs/scenarios.md does not list {missing}"
assert points["storage.writer.after_quorum"] >= 4, points
print(f"ok: --json reports {len(points)} points, docs/scenarios.md lists each")
PY
[[ $? -eq 0 ]] || fail=1

"$ecsim" run "$tmp/point.yaml" --json > "$tmp/point.json"; check $? 0 "a crash at storage.writer.after_quorum keeps every invariant"
check "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["faults_applied"], j["crashes"], j["restarts"])' "$tmp/point.json")" \
  "1 1 1" "the point fired once: one crash, one restart"
"$ecsim" run "$tmp/point.yaml" --trace "$tmp/point.trace" --quiet > /dev/null; check $? 0 "the same run with a trace file"
"$ecsim" trace dump "$tmp/point.trace" --type fault,crash | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.startswith("{")]
i = next(k for k, r in enumerate(recs) if r["type"] == "fault" and r["code"] == 9 and r["b"] == 1)
f, c = recs[i], recs[i + 1]
assert f["node"] == 3 and f["kind"] == 4, f            # core-2, storage.writer.after_quorum
assert c["type"] == "crash" and c["n"] == f["n"] + 1 and c["node"] == 3 and c["t_ns"] == f["t_ns"], c
print("ok: the fault record names core-2 and the point; the crash follows at once")'
[[ $? -eq 0 ]] || fail=1

sed 's/after_quorum/after_qourum/' "$tmp/point.yaml" > "$tmp/typo.yaml"
"$ecsim" validate "$tmp/typo.yaml" > /dev/null 2> "$tmp/err"; check $? 2 "a misspelt point exits 2"
check "$(wc -l < "$tmp/err")" 1 "the error is one line"
grep -q "^$tmp/typo.yaml:10:17: unknown protocol point 'storage.writer.after_qourum' in faults\[0\].at_point, did you mean 'storage.writer.after_quorum'?$" "$tmp/err"
check $? 0 "the error has FILE:LINE:COL and a suggestion"
exit $fail
