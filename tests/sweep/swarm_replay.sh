#!/usr/bin/env bash
# A swarm seed's scenario replays to the same trace hash: the YAML that
# `ecsim run --swarm --swarm-out` writes, and the one a failing sweep seed
# writes, run by `ecsim run` (with the plant the sweep named) give the hash
# the swarm run gave. The fault mix depends on the seed alone.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
hash() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace_hash"])' "$1"; }
scn=$src/scenarios/three-tier.yaml
"$ecsim" run "$scn" --swarm --seed 2 --swarm-out "$tmp/s2.yaml" --json > "$tmp/a.json"
check $? 0 "swarm seed 2 passes"
"$ecsim" run "$tmp/s2.yaml" --json > "$tmp/b.json"; check $? 0 "its scenario file passes"
check "$(hash "$tmp/b.json")" "$(hash "$tmp/a.json")" "the written scenario replays to the same trace hash"
"$ecsim" run "$scn" --swarm --seed 2 --json > "$tmp/c.json"
check "$(hash "$tmp/c.json")" "$(hash "$tmp/a.json")" "the same seed gives the same mix and hash"
grep -q '^faults:' "$tmp/s2.yaml"; check $? 0 "the scenario file holds its fault mix"
grep -qE 'latency_p99|served_ratio_min' "$tmp/s2.yaml"; check $? 1 "figures are left out of a swarm scenario"
# Seed 1's mix crashes a node at a protocol point (an at_point fault, which
# has no time): its file replays to the same hash too.
"$ecsim" run "$scn" --swarm --seed 1 --swarm-out "$tmp/s1.yaml" --json > "$tmp/p1.json"
check $? 0 "swarm seed 1 passes"
grep -q 'at_point:' "$tmp/s1.yaml"; check $? 0 "seed 1's mix has a crash at a protocol point"
"$ecsim" run "$tmp/s1.yaml" --json > "$tmp/p2.json"; check $? 0 "its scenario file passes"
check "$(hash "$tmp/p2.json")" "$(hash "$tmp/p1.json")" "the at_point mix replays to the same trace hash"
# A failing seed of a planted bug: its file and command reproduce it.
"$ecsim" sweep "$scn" --swarm --plant msgq.no_dedup --seeds 1..50 --jobs 2 --stop-on-fail --out-dir "$tmp" \
  > "$tmp/sweep.txt"
check $? 1 "the planted sweep fails"
cat "$tmp/sweep.txt"
file=$(sed -n 's/^    reproduce: ecsim run \(.*\) --plant msgq.no_dedup$/\1/p' "$tmp/sweep.txt" | head -1)
[[ -f $file ]]; check $? 0 "the failing seed's scenario file exists"
seed=$(sed -n 's/^  seed \([0-9]*\) .*/\1/p' "$tmp/sweep.txt" | head -1)
"$ecsim" run "$scn" --swarm --seed "$seed" --plant msgq.no_dedup --json > "$tmp/d.json"; check $? 1 "the swarm seed fails"
"$ecsim" run "$file" --plant msgq.no_dedup --json > "$tmp/e.json"; check $? 1 "its file fails the same way"
check "$(hash "$tmp/e.json")" "$(hash "$tmp/d.json")" "the printed command replays the failing seed's hash"
"$ecsim" run "$scn" --plant no.such_plant > /dev/null 2> "$tmp/err"; check $? 2 "an unknown plant is bad input"
grep -q "unknown plant 'no.such_plant'" "$tmp/err"; check $? 0 "the error names it"
exit $fail
