#!/usr/bin/env bash
# ecsim sweep reports the protocol points no seed reached (code probes):
# - a ping scenario runs no protocol of the three tiers: no point is in
#   its protocols, so none is listed as unreached (each is out of scope);
# - a scenario without a billing workload runs no 2PC: its points are out
#   of scope, counted apart and not listed (before 2026-12-07 every point
#   was listed, 2PC's 15 too, hiding the ones a run could reach);
# - a read-only three-tier scenario reaches the RPC server's points and the
#   storage reads but no WAL append, no quorum write and no DSM point;
# - the sweep's totals are the sums of what each seed's `ecsim run --json`
#   reports.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
summary() { tail -n 1 "$1" | python3 -c "import json,sys; s=json.load(sys.stdin); $2"; }

ping=$src/tests/data/scenarios/small.yaml
"$ecsim" sweep "$ping" --seeds 1..3 --jobs 2 > "$tmp/text"; check $? 0 "ping sweep passes"
grep -qE '^protocol points: none in the protocols the runs had \(over 3 runs; ([0-9]+) more in protocols no run had\)$' "$tmp/text"
check $? 0 "ping: no point in its protocols"
grep -qE '^  storage\.' "$tmp/text"; check $? 1 "ping: no storage point listed"
"$ecsim" sweep "$ping" --seeds 1..3 --jobs 2 --json > "$tmp/ping.json"; check $? 0 "ping sweep --json passes"
check "$(summary "$tmp/ping.json" 'print(s["points_runs"], s["points_unreached"], len(s["points_out_of_scope"]) == len(s["points"]), sum(s["points"].values()))')" \
  "3 [] True 0" "ping --json: 3 runs counted, none unreached, every point out of scope, nothing reached"

reads=$src/tests/data/scenarios/points-reads.yaml
"$ecsim" sweep "$reads" --seeds 1..3 --jobs 2 > "$tmp/text"; check $? 0 "read-only sweep passes"
listed() { grep -qE "^  ${1//./\\.}\$" "$tmp/text" && echo listed || echo absent; }
check "$(listed storage.replica.after_wal_append)" listed "reads: no WAL append"
check "$(listed storage.writer.after_quorum)" listed "reads: no quorum write"
check "$(listed dsm.after_set)" listed "reads: no DSM write"
check "$(listed msgq.receiver.before_ack)" listed "reads: no DSM UPDATE delivered"
check "$(listed rpc.server.after_execute)" absent "reads: core executes the edge's calls"
check "$(listed rpc.server.before_respond)" absent "reads: core answers them"
check "$(listed twopc.coordinator.after_votes)" absent "reads: no 2PC point listed (no billing workload)"
grep -qE '^protocol points no seed reached: [0-9]+ of 16 in the runs..protocols \(over 3 runs; 15 more in protocols no run had\)$' "$tmp/text"
check $? 0 "reads: 16 points in its protocols, the 15 of 2PC counted apart"
"$ecsim" sweep "$reads" --seeds 1..3 --jobs 2 --json > "$tmp/reads.json"; check $? 0 "read-only sweep --json passes"
sum=0
for seed in 1 2 3; do
  n=$("$ecsim" run "$reads" --seed "$seed" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["points"]["rpc.server.after_execute"])')
  sum=$((sum + n))
done
check "$(summary "$tmp/reads.json" 'print(s["points"]["rpc.server.after_execute"])')" "$sum" \
  "the sweep's total is the sum of the seeds' counts"
check "$(summary "$tmp/reads.json" 'print(sorted(s["points_unreached"]) == sorted(p for p, n in s["points"].items() if n == 0 and not p.startswith("twopc.")) and all(p.startswith("twopc.") for p in s["points_out_of_scope"]))')" \
  "True" "points_unreached lists exactly the points counted 0 (none out of scope but 2PC's)"
exit $fail
