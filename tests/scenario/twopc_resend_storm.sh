#!/usr/bin/env bash
# A participant cut off by a stalled connection does not drown the cluster
# in decision resends. A 1 s window of a 1 h delay between core-2 and
# cloud-3 holds every later message on that 2PC connection behind the
# delayed ones (the connection is FIFO), so cloud-3 votes on and
# acknowledges nothing core-2 sends for the rest of the run. Every
# transaction core-2 coordinated stayed un-ACKed, and the coordinator
# resent each of them every 200 ms: thousands of transactions times 5 a
# second filled the network's 262,144 messages in flight at 48.5 s, after
# which every message of the cluster was dropped (recovers_within and
# billing_termination failed). Now an ABORT waits for the YES voters only
# (presumed abort: the vote-timeout ABORTs end at once), and decision
# resends to a participant not heard from stop after 64, then go on as one
# probe per ack_timeout (proto/twopc.hpp, CoordinatorConfig::resend_window).
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/storm.yaml" <<'EOF2'
name: resend-storm
seed: 1
duration: 60s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 20/s, until: 58s }
  - { kind: billing, rate: 50/s, subscribers: 5000, numbers: 1, balance: 10000000, amount: [100, 5000],
      mix: { debit: 30, transfer: 30, top_up: 20, port: 10, balance: 5, number_owner: 5 }, until: 58s }
faults:
  - { at: 10s, delay: { between: [cloud-3, core-2], latency: { constant: 1h } }, for: 1s }
expect: { recovers_within: 30s }
EOF2

"$ecsim" run "$tmp/storm.yaml" --json > "$tmp/run.json"; check $? 0 "the run passes"
summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
failed = [e["name"] for e in d["expectations"] if not e["ok"]]
limits = [l["name"] for l in d.get("limits", [])]
print(d["verdict"], ",".join(failed) or "-", ",".join(limits) or "-")' "$tmp/run.json")
echo "verdict, failed expectations, limits reached: $summary"
read -r verdict failed limits <<< "$summary"
check "$verdict" pass "verdict"
check "$failed" - "no expectation fails (recovers_within, billing_termination)"
check "$limits" - "no limit reached (network.in_flight)"
exit $fail
