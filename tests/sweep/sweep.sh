#!/usr/bin/env bash
# ecsim sweep: same outcomes and hashes with --jobs 1 and 2, each seed's hash
# equals `ecsim run --seed N`, and a seed that aborts is reported as a crash
# while the sweep goes on.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scn=$src/tests/data/scenarios/small.yaml
seeds=${ECSIM_SWEEP_SEEDS:-1..6}
"$ecsim" sweep "$scn" --seeds "$seeds" --jobs 1 --json > "$tmp/j1"; check $? 0 "sweep --jobs 1 passes"
"$ecsim" sweep "$scn" --seeds "$seeds" --jobs 2 --json > "$tmp/j2"; check $? 0 "sweep --jobs 2 passes"
strip() { python3 -c 'import json,sys
for l in sys.stdin:
    j=json.loads(l); j.pop("wall_s",None); j.pop("seeds_per_min",None); print(json.dumps(j,sort_keys=True))' < "$1"; }
check "$(strip "$tmp/j1")" "$(strip "$tmp/j2")" "outcomes and hashes do not depend on --jobs"
h3=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j=json.loads(l)
    if j.get("seed")==3: print(j["trace_hash"])' "$tmp/j1")
run3=$("$ecsim" run "$scn" --seed 3 --quiet | sed -n 's/^trace hash: //p')
check "$h3" "$run3" "a seed's sweep hash equals ecsim run --seed N"
ECSIM_DEBUG_ABORT_SEED=2 "$ecsim" sweep "$scn" --seeds 1..3 --jobs 2 > "$tmp/out" 2>&1; check $? 1 "a crashing seed fails the sweep"
grep -qE '^  crash +1$' "$tmp/out"; check $? 0 "it is counted as a crash"
grep -qE '^  pass +2$' "$tmp/out"; check $? 0 "the other seeds still ran"
grep -q "reproduce: ecsim run $scn --seed 2" "$tmp/out"; check $? 0 "the reproducing command is printed"
grep -q "assertion failed" "$tmp/out"; check $? 0 "the crash shows the assertion"
# A seed that outlives --timeout is a verdict of its own; the sweep goes on.
"$ecsim" sweep "$src/scenarios/three-tier.yaml" --seeds 1..2 --jobs 2 --timeout 1ms > "$tmp/out" 2>&1; check $? 1 "timed-out seeds fail the sweep"
grep -qE '^  timeout +2$' "$tmp/out"; check $? 0 "both are counted as timeouts"
grep -q "(over 2 runs, 2 of them cut short by --timeout" "$tmp/out"; check $? 0 "the points line says its runs were cut short"
# The limit holds for a run shorter than one wall-clock check (65,536
# events), and the reproducing command carries it.
"$ecsim" run "$scn" --until 1ms --wall-timeout 1ns --quiet > /dev/null; check $? 1 "a run shorter than one check still fails an overrun --wall-timeout"
"$ecsim" sweep "$scn" --seeds 1..1 --timeout 1ns > "$tmp/out" 2>&1; check $? 1 "a short seed over --timeout fails"
grep -qE '^  timeout +1$' "$tmp/out"; check $? 0 "it is counted as a timeout"
grep -q "reproduce: ecsim run $scn --seed 1 --wall-timeout 1ns" "$tmp/out"; check $? 0 "its reproducing command has the limit"
exit $fail
