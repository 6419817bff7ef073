#!/usr/bin/env bash
# A very late first attempt never executes a call twice (at_most_once). Over
# an uncapped heavy-tailed link (pareto, alpha 1.2) a request can arrive
# seconds after its retry ran and after the core's response cache (4,096
# answers) evicted the call. The core used to execute it again: 8 of these
# 20 seeds failed at_most_once. It now remembers, per client, which call ids
# it executed and evicted (a window of the newest 65,536 ids) and refuses a
# copy of one (rpc.serve code 5, `refused_stale` in tiers.rpc; the client's
# call ends with code 6, stale). Refusing every id below the newest one
# evicted, as the first version of this fix did, refused calls that never
# ran (calls finish out of order): the trace check below catches that.
# Seed 12 meets two late copies (5 of the 20 seeds meet any at this
# commit; pick another if a change of the model moves them).
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/amo.yaml" <<'EOF2'
name: amo
duration: 20s
topology: { edge: 3, core: 1, cloud: 3 }
network: { default: { latency: { pareto: { scale: 2ms, alpha: 1.2 } } } }
workload: [{ kind: requests, rate: 2000/s, mix: { write: 1 }, until: 11s, timeout: 300ms }]
expect: { invariants: [at_most_once] }
EOF2

# A sanitizer build (ECSIM_SANITIZED, tests/CMakeLists.txt) sweeps seeds
# 13..16 instead, for time: two of them (13, 16) meet a late copy at this
# commit, as seed 12 below does, so the refusal runs under the sanitizers;
# the twenty, which look for late copies anew, run in the Release and clang
# stages.
seeds=1..20 count=20; [[ -n ${ECSIM_SANITIZED:-} ]] && seeds=13..16 count=4
"$ecsim" sweep "$tmp/amo.yaml" --seeds $seeds > "$tmp/sweep.out"; check $? 0 "$count seeds over a heavy tail pass at_most_once"
grep -qE "^  pass +$count\$" "$tmp/sweep.out"; check $? 0 "every seed passes"
"$ecsim" run "$tmp/amo.yaml" --seed 12 --json --trace "$tmp/twelve.trace" > "$tmp/twelve.json"; check $? 0 "seed 12 passes"
python3 - "$tmp/twelve.json" <<'PY' || fail=1
import json, sys
rpc = json.load(open(sys.argv[1]))["tiers"]["rpc"]
ok = rpc["refused_stale"] > 0
print(("ok" if ok else "FAIL") + f": late copies refused as stale: {rpc['refused_stale']} (the path is exercised)")
sys.exit(0 if ok else 1)
PY
# Only calls that ran at that core are refused: calls finish out of order,
# and an older call still on its way must run (rpc.serve code 5 only for a
# (client, call id) with an earlier code 1).
"$ecsim" trace dump "$tmp/twelve.trace" --type rpc.serve | python3 -c '
import json, sys
executed, bad, stale = set(), 0, 0
for line in sys.stdin:
    r = json.loads(line)
    key = (r["node"], r["peer"], r["a"])
    if r["code"] == 1: executed.add(key)
    if r["code"] == 5:
        stale += 1
        bad += key not in executed
print(("ok" if bad == 0 else "FAIL") + f": {stale} stale refusals, {bad} of calls that never ran at that core")
sys.exit(1 if bad else 0)' || fail=1
exit $fail
