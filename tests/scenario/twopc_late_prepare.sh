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
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/late.yaml" <<'EOF2'
name: late-prepare-idle-coordinator
seed: 1
duration: 90s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 20/s, until: 88s }
  - { kind: billing, rate: 20/s, subscribers: 50, numbers: 1, balance: 100000, amount: [100, 900],
      mix: { debit: 40, transfer: 30, top_up: 20, port: 10 }, until: 88s }
faults:
  - { at: 15s, reorder: { between: [core-1, cloud] }, for: 10s }
  - { at: 15s, duplicate: { between: [core-1, cloud], rate: 0.3 }, for: 10s }
  - { at: 15s, delay: { between: [core-1, cloud], latency: { uniform: [1ms, 60s] } }, for: 3s }
  - { at: 19s, drop: { between: [edge, core-1], rate: 1 }, for: 65s }
expect: { recovers_within: 1h }
EOF2

for seed in 1 2; do
  "$ecsim" run "$tmp/late.yaml" --seed "$seed" --json > "$tmp/run.json"; check $? 0 "seed $seed passes"
  failed=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(",".join(e["name"] for e in d["expectations"] if not e["ok"]) or "-")' "$tmp/run.json")
  check "$failed" - "seed $seed: no expectation fails (billing_conservation, billing_atomicity)"
done
exit $fail
