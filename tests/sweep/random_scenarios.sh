#!/usr/bin/env bash
# 500 random valid scenarios (fault/random_scenario.hpp, `ecsim sweep
# --random-scenarios`): each must end with a verdict, exit 0 or 1 -- never an
# abort, an exception, a refusal of its own text (exit 2) or a wall timeout.
# A failing seed replays with `ecsim run --random-scenario --seed N`.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
seeds=${ECSIM_RANDOM_SEEDS:-1..500}
"$ecsim" sweep --random-scenarios --seeds "$seeds" --jobs 2 --timeout 60s > "$tmp/out" 2>&1
code=$?
sed -n '1,/^failing seeds:/p' "$tmp/out"
# Seeds that did not reach a verdict, with how they died and how to replay them.
grep -E '^  seed .* (crash|timeout) ' -A1 "$tmp/out"
[[ $code == 0 || $code == 1 ]]; check $? 0 "the sweep itself ran (exit $code)"
check "$(sed -nE 's/^  crash +([0-9]+)$/\1/p' "$tmp/out")" 0 "no seed aborted, threw or was refused"
check "$(sed -nE 's/^  timeout +([0-9]+)$/\1/p' "$tmp/out")" 0 "no seed hit the wall timeout"
total=$(( $(sed -nE 's/^  (pass|fail) +([0-9]+)$/\2/p' "$tmp/out" | paste -sd+) ))
want=$(( ${seeds#*..} - ${seeds%..*} + 1 ))
check "$total" "$want" "every seed ended with a verdict (pass or fail)"
# A third of the three-tier seeds carry a billing workload (2PC, sometimes
# the edge billing cache, 2PC points among the faults): whatever the random
# faults and expectations, the billing promises must hold on each -- a
# billing_* verdict may only pass or have nothing to judge.
billing=0
for s in $(seq 1 150); do
  "$ecsim" run --random-scenario --seed "$s" --scenario-out "$tmp/b.yaml" --json > "$tmp/b.json" 2>/dev/null
  code=$?
  grep -q "kind: billing" "$tmp/b.yaml" || continue
  billing=$((billing + 1))
  [[ $code == 0 || $code == 1 ]]; check $? 0 "random seed $s: a verdict (exit $code)"
  broken=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(e["name"] for e in d["expectations"] if e["name"].startswith("billing") and not e["ok"] and not e["vacuous"]))' "$tmp/b.json" || echo "unreadable --json")
  check "$broken" "" "random seed $s: the billing promises hold"
done
(( billing >= 15 )); check $? 0 "seeds 1..150 include billing workloads ($billing)"
# The generator's scenario of a seed is what the sweep ran: same hash twice.
a=$("$ecsim" run --random-scenario --seed 3 --quiet | sed -n 's/^trace hash: //p')
b=$("$ecsim" run --random-scenario --seed 3 --quiet --scenario-out "$tmp/s3.yaml" | sed -n 's/^trace hash: //p')
c=$("$ecsim" run "$tmp/s3.yaml" --quiet | sed -n 's/^trace hash: //p')
check "$a" "$b" "a random scenario replays to the same hash"
check "$c" "$a" "its --scenario-out file runs to the same hash"
exit $fail
