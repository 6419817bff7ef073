#!/usr/bin/env bash
# A restarted cloud replica catches up over links slower than its catch-up
# timeout (proto/storage.hpp, ReplicaConfig::catch_up_timeout_max).
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

# 3 s each way between the cloud replicas, a 6 s round trip behind a 500 ms
# wait. The first batch from each peer is asked 12 times before its answer
# comes; that answer times the peer (CatchUpEvent::kAnsweredLate, a = the
# first request's send time), and every later batch is asked once. With a
# fixed wait every batch was asked 12 times and served 12 times over (about
# 72 requests per peer here).
cat > "$tmp/wan.yaml" <<'EOF2'
name: catch-up-3s-links
duration: 60s
topology: { edge: 2, core: 2, cloud: 3 }
network: { links: [{ between: [cloud, cloud], latency: { constant: 3s } }] }
workload: [{ kind: requests, rate: 600/s, subscribers: 500, zipf: 0, mix: { write: 1, read: 1 } }]
faults: [{ at: 4s, crash: cloud-1, for: 2s }]
expect: { recovers_within: 10s, invariants: [catch_up, durability, acknowledged_writes] }
EOF2
"$ecsim" run "$tmp/wan.yaml" --json --trace "$tmp/wan.trace" > "$tmp/wan.json"; check $? 0 "the run over 3 s links passes"
"$ecsim" trace dump "$tmp/wan.trace" | grep '"storage.catch_up"' > "$tmp/wan.jsonl"
python3 - "$tmp/wan.json" "$tmp/wan.jsonl" <<'PY' || fail=1
import collections, json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
count = collections.Counter()
late = []
for line in open(sys.argv[2]):
    d = json.loads(line)
    if d["type"] != "storage.catch_up" or d["node"] != 4 or d["t_ns"] < 6e9:  # cloud-1 after its restart
        continue
    count[(d["code"], d["peer"])] += 1
    if d["code"] == 9:
        late.append((d["a"], d["b"]))
requests = {p: count[(1, p)] for p in (5, 6)}
applied = {p: count[(3, p)] for p in (5, 6)}
ok = v["catch_up"]["ok"] and "cloud-1 after" in v["catch_up"]["detail"] \
    and all(requests[p] == applied[p] + 12 for p in (5, 6)) \
    and late == [(6_000_000_000, 6_000_600_000)] * 2
print(("ok" if ok else "FAIL") + f": requests per peer {requests}, batches {applied}, late answers (sent, round trip) {late}; "
      f"{v['catch_up']['detail']}")
sys.exit(0 if ok else 1)
PY
exit $fail
