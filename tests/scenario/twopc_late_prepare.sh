#!/usr/bin/env bash
# A PREPARE that arrives after its participant forgot the transaction is
# not prepared again. Found by an adversarial pass: over core-1's links to
# the cloud, reordering, duplicates and a 3 s window of delays of up to a
# minute hold copies of PREPAREs back past the participants' 30 s outcome
# retention; then core-1's clients are cut off, so core-1 stays idle and
# still remembers its COMMITs. A late copy used to be prepared again, voted
# YES, queried, answered COMMIT from core-1's memory and applied a second
# time: billing_conservation failed on seed 1 (a debit taken twice from
# subscriber 29 at cloud-1), billing_atomicity on seed 2. A participant now
# ignores a PREPARE no newer than a transaction of the same coordinator life
# that it resolved and forgot (proto/twopc_participant.hpp, forgotten()).
# The plant twopc.prepare_forgotten takes that check away: a sweep finds it
# by billing_at_most_once, which sees a participant apply a transaction a
# second time (before, only billing_conservation saw it, in the balances).
set -u
ecsim=$1; src=$2; fail=0
scn=$src/tests/data/scenarios/2pc-late-prepare.yaml
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

for seed in 1 2; do
  "$ecsim" run "$scn" --seed "$seed" --json > "$tmp/run.json"; check $? 0 "seed $seed passes"
  failed=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(",".join(e["name"] for e in d["expectations"] if not e["ok"]) or "-")' "$tmp/run.json")
  check "$failed" - "seed $seed: no expectation fails (billing_conservation, billing_atomicity)"
done

"$ecsim" sweep "$scn" --seeds 1..2 --jobs 2 --plant twopc.prepare_forgotten > "$tmp/sweep.txt"
check $? 1 "a sweep with twopc.prepare_forgotten fails"
"$ecsim" run "$scn" --plant twopc.prepare_forgotten --json > "$tmp/plant.json"
python3 - "$tmp/plant.json" <<'PY'
import json, sys
v = {e["name"]: e for e in json.load(open(sys.argv[1]))["expectations"]}["billing_at_most_once"]
print("billing_at_most_once:", v["detail"][:200])
assert not v["ok"] and "a second time" in v["detail"], v
PY
check $? 0 "twopc.prepare_forgotten is found by billing_at_most_once (a participant applies a transaction twice)"
exit $fail
