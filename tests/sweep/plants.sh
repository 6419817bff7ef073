#!/usr/bin/env bash
# Every planted bug is found by a swarm sweep of scenarios/three-tier.yaml
# with the default --swarm settings, within 200 seeds, and by the verdict
# that exists for it (ecsim plant --list); the same sweep without a plant is
# clean. Prints how many seeds each plant took (docs/testing.md's table).
# The 2PC plants (twopc.*) need a billing workload, which three-tier.yaml
# has not: tests/scenario/twopc_plants.sh finds them (twopc.prepare_forgotten:
# tests/scenario/twopc_late_prepare.sh; twopc.no_prepare_resend:
# tests/scenario/billing_service.sh). The WAL checkpoint's
# plant (storage.checkpoint_*) needs logs that outgrow their keys, which
# three-tier.yaml's are not: tests/scenario/wal_checkpoint.sh finds it.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scn=$src/scenarios/three-tier.yaml
"$ecsim" plant --list | tail -n +2 | awk '{print $1, $2}' > "$tmp/all"
check "$(wc -l < "$tmp/all")" 20 "twenty plants listed"
grep -v -e '^twopc\.' -e '^storage\.checkpoint_' "$tmp/all" > "$tmp/plants"
# A plant another verdict rightly finds too: a write acknowledged by one
# replica may be missing from the peer a restarted replica caught up from
# (catch_up), before acknowledged_writes sees it on fewer than two at the
# end. A seed that fails that way is noted and the sweep goes on to the
# plant's own verdict.
also_found_by() { [[ $1 == storage.quorum_of_one && $2 == catch_up ]]; }
while read -r plant verdict; do
  first_seed=1
  while :; do
    "$ecsim" sweep "$scn" --swarm --plant "$plant" --seeds "$first_seed..200" --jobs 2 --stop-on-fail --json \
      --out-dir "$tmp" > "$tmp/$plant.json"
    rc=$?
    found=$(python3 -c '
import json, sys
fails = [l for l in map(json.loads, open(sys.argv[1])) if "seed" in l and l["verdict"] != "pass"]
print("%s %s" % (fails[0]["seed"], fails[0].get("failed_invariant")) if fails else "")' "$tmp/$plant.json")
    [[ $rc -eq 1 && -n $found && ${found#* } != "$verdict" ]] && also_found_by "$plant" "${found#* }" || break
    echo "$plant: seed ${found%% *} fails by ${found#* } (it finds the plant too); the sweep goes on"
    first_seed=$((${found%% *} + 1))
  done
  check $rc 1 "$plant: the sweep fails"
  python3 - "$tmp/$plant.json" "$plant" "$verdict" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
seeds = [l for l in lines if "seed" in l]
failing = [s for s in seeds if s["verdict"] != "pass"]
assert failing, "no seed failed"
first = failing[0]
print(f"{sys.argv[2]}: found by {first.get('failed_invariant')} at seed {first['seed']} "
      f"({len(seeds)} seeds run from the last start): {first['detail'][:160]}")
assert first["verdict"] == "fail", first
assert first.get("failed_invariant") == sys.argv[3], (first.get("failed_invariant"), sys.argv[3])
assert first["seed"] <= 200
# The arrival-order plant leaves replicas swapping concurrent entries for
# ever: found as keys with different values, not merely as "not quiescent".
if sys.argv[2] == "dsm.arrival_order_tiebreak":
    assert "diverge" in first["detail"] and "not quiescent" not in first["detail"], first["detail"]
PY
  check $? 0 "$plant is found by $verdict within 200 seeds"
done < "$tmp/plants"
"$ecsim" sweep "$scn" --swarm --seeds 1..200 --jobs 2 --json > "$tmp/clean.json"
check $? 0 "200 swarm seeds without a plant all pass"
tail -1 "$tmp/clean.json"
exit $fail
