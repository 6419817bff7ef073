#!/usr/bin/env bash
# The core's RPC response cache keeps answers by age. One core serving 24
# edges at 1,200 requests/s each (about 21,000 calls/s) finishes more than
# 4,096 calls within the clients' call horizon (two attempts of 200 ms and
# a backoff: 410 ms), and 1 % of the edge->core messages are lost, so
# retries come. A cache of the newest 4,096 answers evicted some before
# their retry arrived: the retry was refused as stale (236 of them at
# seed 1), the call failed, and the served ratio fell to 0.9969. Beyond
# 4,096 the server now keeps each answer for the horizon
# (rpc::ServerConfig::cache_keep, never more than cache_max 65,536
# answers), so no retry within it is refused, and the core's reply ring
# grows with the cache.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/busy.yaml" <<'EOF2'
name: busy-core-lossy-edges
duration: 3s
topology: { edge: 24, core: 1, cloud: 3 }
network: { links: [{ between: [edge, core], drop: 0.01 }] }
workload: [{ kind: requests, rate: 1200/s, mix: { write: 1, read: 1 } }]
model: { cores: { edge: 16, core: 128, cloud: 128 }, rpc: { cores_tried: 1 } }
expect: { invariants: [at_most_once], served_ratio_min: 0.999 }
EOF2

"$ecsim" run "$tmp/busy.yaml" --json > "$tmp/busy.json"; check $? 0 "the run passes"
python3 - "$tmp/busy.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
rpc = d["tiers"]["rpc"]
ok = rpc["refused_stale"] == 0 and rpc["retries"] > 1000 and rpc["duplicates_absorbed"] > 0
print(("ok" if ok else "FAIL") + f": {rpc['retries']} retries, {rpc['duplicates_absorbed']} answered from the cache "
      f"or absorbed, {rpc['refused_stale']} refused as stale")
sys.exit(0 if ok else 1)
PY
exit $fail
