#!/usr/bin/env bash
# The edge's load shedding is the model's behaviour, not a limit (issue 9):
# an edge cut off from every core fills its RPC queue for each core to the
# recovery rules' 64 waiting calls, and the attempts beyond are shed at once.
# They are counted as `shed` on the edge->core rpc line (`tiers.rpc.shed` in
# --json), and the run reports no `limit` line: the queue's own maximum
# (`rpc.queued`, 1 024 calls per destination) is a safety net this run never
# reaches. Before the fix every shed attempt was reported as a reach of
# `rpc.queued`, as the default quickstart showed (813 times).
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/shed.yaml" <<'EOF2'
name: shed
duration: 6s
topology: { edge: 2, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 1200/s }
faults:
  - { at: 1s, partition: [[edge-1], "*"], for: 2s }
expect:
  recovers_within: 1s
EOF2

"$ecsim" run "$tmp/shed.yaml" > "$tmp/shed.out"; check $? 0 "the partitioned edge's run passes"
grep -qE '^  edge->core rpc: .* [1-9][0-9]* shed; ' "$tmp/shed.out"; check $? 0 "the summary counts the shed attempts"
grep -qE '^  limit ' "$tmp/shed.out"; check $? 1 "no limit line: shedding is not a limit reach"
"$ecsim" run "$tmp/shed.yaml" --json > "$tmp/shed.json"
python3 - "$tmp/shed.json" <<'EOF2' || fail=1
import json, sys
j = json.load(open(sys.argv[1]))
rpc = j["tiers"]["rpc"]
assert rpc["shed"] > 0, rpc
assert not any(l["name"] == "rpc.queued" for l in j["limits"]), j["limits"]
print("ok: --json counts tiers.rpc.shed and lists no rpc.queued reach")
EOF2
exit $fail
