#!/usr/bin/env bash
# billing_termination is not blinded by a brief window of a huge delay. A
# participant that votes YES before its PREPARED is durable
# (--plant twopc.vote_before_prepared_log) crashes after the vote, loses
# the record and never asks for the decision: it stays in doubt. A 10 ms
# window of a 1 h delay between it and its coordinator, which no 2PC
# message crossed, used to stretch the bound to 4 h (the largest tail in
# force at any time of the doubt) and the stuck voter passed; a slow spell
# now counts for its length, at most 4 of its round-trip tails, and what
# the connection actually held back comes off the clock
# (src/check/billing_termination.cpp). Without the plant the voter learns
# the decision and the verdict passes. (The requests stop before the
# fault: there is no recovery to judge, and none is expected.)
# Likewise cuts of 1 ms every 4 s (a drop of rate 1): each used to restart
# the voter's clock, so with a 5 s bound the stuck voter was never judged;
# the stretches in reach between cuts now count, less a query interval
# and 4 round trips each.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/blip.yaml" <<'EOF2'
name: brief-huge-delay
seed: 1
duration: 9s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 20/s, until: 1s }
  - { kind: billing, rate: 30/s, subscribers: 5000, numbers: 1, balance: 10000000, amount: [100, 5000],
      mix: { debit: 30, transfer: 30, top_up: 20, port: 10, balance: 5, number_owner: 5 }, until: 1s }
faults:
  - { at_point: twopc.participant.after_vote_sent, node: edge-1, nth: 1, do: crash, for: 2s }
  - { at: 2040ms, delay: { between: [edge-1, core-1], latency: { constant: 1h } }, for: 10ms }
EOF2

termination() {  # prints "ok detail" or "fail detail" of billing_termination
  python3 -c '
import json, sys
v = {e["name"]: e for e in json.load(sys.stdin)["expectations"]}["billing_termination"]
print(("ok " if v["ok"] else "fail ") + v["detail"])'
}
planted=$("$ecsim" run "$tmp/blip.yaml" --plant twopc.vote_before_prepared_log --json | termination)
echo "with the plant: $planted"
check "${planted%% *}" fail "the stuck voter is found despite the delay window"
[[ $planted == *"edge-1 has held transaction"*"in doubt"* ]]; check $? 0 "named: edge-1 in doubt"
clean=$("$ecsim" run "$tmp/blip.yaml" --json | termination)
echo "without: $clean"
check "${clean%% *}" ok "without the plant the voter learns the decision"

sed -e 's/^name: .*/name: periodic-cuts/' -e 's/^duration: .*/duration: 30s/' -e '/delay:/d' "$tmp/blip.yaml" > "$tmp/cuts.yaml"
for t in 6 10 14 18 22 26; do
  echo "  - { at: ${t}s, drop: { between: [edge-1, core-1], rate: 1.0 }, for: 1ms }" >> "$tmp/cuts.yaml"
done
planted=$("$ecsim" run "$tmp/cuts.yaml" --plant twopc.vote_before_prepared_log --json | termination)
echo "periodic cuts, with the plant: $planted"
check "${planted%% *}" fail "the stuck voter is found despite cuts every 4 s"
[[ $planted == *"more before their last cut"* ]]; check $? 0 "the detail counts the time before the last cut"
clean=$("$ecsim" run "$tmp/cuts.yaml" --json | termination)
check "${clean%% *}" ok "periodic cuts without the plant pass"
exit $fail
