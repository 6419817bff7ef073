#!/usr/bin/env bash
# DSM groups (docs/model.md, "Scale"): in a cluster of 30 nodes the DSM is
# four groups of 7-8 consecutive nodes. The scenario passes with every
# group's replicas converged after a partition; edge-1's DSM traffic goes to
# the other nodes of its group (edge-2 .. edge-8) and to no node outside it.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

"$ecsim" run "$src/tests/data/scenarios/dsm-groups.yaml" --json --trace "$tmp/t.trace" > "$tmp/json"
check $? 0 "dsm-groups passes"
python3 - "$tmp/json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
by_name = {e["name"]: e for e in j["expectations"]}
d = by_name["convergence"]["detail"]
assert by_name["convergence"]["ok"] and "on 30 replicas in 4 DSM groups" in d, d
PY
check $? 0 "convergence is judged per group, four groups"
"$ecsim" trace dump "$tmp/t.trace" --type send --node edge-1 | python3 -c '
import json, sys
peers = set()
for line in sys.stdin:
    r = json.loads(line)
    if r["type"] == "send" and r["node"] == 0 and r["kind"] == 12:  # DSM messages (tiers kKindDsm)
        peers.add(r["peer"])
assert peers == set(range(1, 8)), sorted(peers)
'
check $? 0 "edge-1 sends DSM traffic to exactly the 7 other nodes of its group"
exit $fail
