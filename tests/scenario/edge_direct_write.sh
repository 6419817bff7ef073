#!/usr/bin/env bash
# An edge node has no path to write cloud storage (issue 4, item 11):
# scenarios/edge-direct-write.yaml makes edge-1 send forged writes straight
# to the cloud replicas for 10 s at 100/s. The run passes; every forged write
# was refused and counted by the replicas (the trace's refusal records and
# the replicas' own counters both equal the number sent); none was applied;
# and no replica holds a version written by anything but a core node.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
. "$src/tests/examples/lib.sh"
example_json edge-direct-write "$tmp/json"; rc=$?; check $rc 0 "edge-direct-write passes"
example_lines "$tmp/json" $rc > "$tmp/out"
grep -E '^    ok    edge_isolation ' "$tmp/out"
grep -qE '^    ok    edge_isolation +1000 forged writes sent by edge nodes straight to cloud replicas: 1000 refused as not from core, 0 lost, 0 in flight at the end, 0 unanswered, 0 applied; [1-9][0-9]* versions on 3 replicas, 0 written by a non-core node$' "$tmp/out"
check $? 0 "the edge_isolation verdict: 1000 forged, 1000 refused, 0 applied, replicas clean"
python3 - "$tmp/json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["tiers"]["forged_writes"]
print(f)
assert f["sent"] == 1000, f                  # 100/s for 10 s
assert f["refused"] == f["sent"], f          # every one refused as not from core...
assert f["replica_refusals"] == f["sent"], f # ...as the replicas traced it
assert f["replica_counters"] == f["sent"], f # ...and counted it (no cloud node restarted)
assert f["applied"] == 0 and f["unanswered"] == 0 and f["lost"] == 0 and f["in_flight"] == 0, f
assert f["versions_checked"] > 0 and f["non_core_versions"] == 0, f
assert r["verdict"] == "pass"
PY
check $? 0 "forged writes: sent == refused == replica counters, none applied"
# A scenario that asks edge_isolation without the fault judges the replicas
# alone: nothing forged, nothing held by a non-core writer.
sed -e '/^faults:/d' -e '/byzantine:/d' -e '/recovers_within/d' "$src/scenarios/edge-direct-write.yaml" > "$tmp/plain.yaml"
"$ecsim" run "$tmp/plain.yaml" > "$tmp/out"; check $? 0 "edge_isolation without the fault passes"
grep -qE '^    ok    edge_isolation +0 forged writes' "$tmp/out"; check $? 0 "and reports 0 forged writes"
# The fault has edge_isolation judged even when the scenario does not list
# it (docs/scenarios.md, "Byzantine nodes"), so a replica that applies the
# forged writes fails the run (before 2026-12-07 an unlisted invariant was
# never judged: the plant passed, and so did every swarm seed that drew it).
sed -e "s/edge_isolation, //" "$src/scenarios/edge-direct-write.yaml" > "$tmp/unlisted.yaml"
grep -q "invariants:.*edge_isolation" "$tmp/unlisted.yaml"; check $? 1 "the scenario without edge_isolation listed"
"$ecsim" run "$tmp/unlisted.yaml" > "$tmp/out"; check $? 0 "unlisted, the run passes"
grep -qE '^    ok    edge_isolation +1000 forged writes' "$tmp/out"; check $? 0 "and judges edge_isolation"
"$ecsim" run "$tmp/unlisted.yaml" --plant storage.accept_any_writer > "$tmp/out"; check $? 1 "unlisted, the plant fails"
grep -qE '^    FAIL  edge_isolation +1000 forged writes.* [1-9][0-9]* applied' "$tmp/out"; check $? 0 "on edge_isolation"
# Only edge nodes can be made to write cloud storage directly.
sed -e 's/byzantine: edge-1/byzantine: core-1/' "$src/scenarios/edge-direct-write.yaml" > "$tmp/core.yaml"
"$ecsim" run "$tmp/core.yaml" > /dev/null 2> "$tmp/err"; check $? 2 "a byzantine core node is bad input"
cat "$tmp/err"
grep -qE "^$tmp/core.yaml:[0-9]+:[0-9]+: byzantine strategy 'cloud_direct_write' on core-1 \(a core node\), expected edge nodes only$" "$tmp/err"
check $? 0 "one line with FILE:LINE:COL"
exit $fail
