#!/usr/bin/env bash
# --memory-max accounts for everything that grows with a run (issue 9): the
# disk logs, the cloud replicas' key maps, the DSM replicas, the staleness
# meter, the world's acknowledged-writes table and the kernel's timer slots
# are accounted as they grow, each under its own name, so a write-heavy run
# with a small maximum fails with `limit: STRUCTURE` naming the structure
# that grew, and passes with the default maximum.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

# Writes to a million subscribers: nearly every write is a new key at each
# cloud replica (storage.keys) and a new entry in each write-ahead log.
cat > "$tmp/writes.yaml" <<'EOF2'
name: write-heavy
duration: 10s
topology: { edge: 1, core: 1, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 1000/s, subscribers: 1000000, dsm_keys: 65536,
      mix: { write: 18, dsm_set: 1, dsm_get: 1 } }
EOF2

"$ecsim" run "$tmp/writes.yaml" --json > "$tmp/default.json"; check $? 0 "the default maximum passes"
python3 - "$tmp/default.json" <<'EOF2' || fail=1
import json, sys
m = json.load(open(sys.argv[1]))["memory"]
assert not m["limit_hit"], m
peaks = m["peak_bytes_by_resource"]
for name in ["disk.entries", "storage.keys", "dsm.keys", "staleness.keys", "world.acked_writes", "node.timers",
             "net.links", "net.conn_fifo", "auth.verified_tokens", "tiers.hot_keys"]:
    assert peaks.get(name, 0) > 0, (name, peaks)
# The per-node tables that do not grow with time are accounted once made:
# an edge node's token memo (1,024 slots of 48 bytes), the network's state
# of each directed link that carried a message.
assert peaks["auth.verified_tokens"] == 1024 * 48, peaks
# 10 s of writes to fresh keys: each of the 3 replicas holds thousands of
# them (128 bytes each), each log an entry per write (its bytes + 32).
assert peaks["storage.keys"] > 3 * 3000 * 128, peaks
assert peaks["disk.entries"] > 3 * 3000 * 32, peaks
assert m["accounted_bytes_peak"] >= sum(peaks[n] for n in ["disk.entries", "storage.keys"]), m
print("ok: every newly accounted structure is reported with its peak")
EOF2

small=("$ecsim" run "$tmp/writes.yaml" --memory-max 2MiB)
"${small[@]}" > "$tmp/small.out"; check $? 1 "--memory-max 2MiB fails the write-heavy run"
# It names the structure holding the most then: the write-ahead logs or the
# replicas' key tables (whose slots grow by doubling), both growing here.
grep -qE '^    FAIL  limit: (disk\.entries|storage\.keys) +the model.s accounted memory passed --memory-max 2097152 bytes' \
  "$tmp/small.out"
check $? 0 "the verdict names the logs or the key tables ($(grep -o 'limit: [a-z_.]*' "$tmp/small.out" | head -1))"
"${small[@]}" > "$tmp/small2.out"
check "$(grep '^trace hash' "$tmp/small2.out")" "$(grep '^trace hash' "$tmp/small.out")" "the stop is deterministic"
# The billing checker remembers every transaction for the whole run (about
# 1 KB each): accounted, so a long billing run stops at --memory-max with
# the checker named instead of growing until the machine runs out.
cat > "$tmp/billing.yaml" <<'EOF2'
name: billing-history
duration: 30s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 10/s }
  - { kind: billing, rate: 200/s, subscribers: 5000, balance: 10000000, amount: [100, 5000],
      mix: { debit: 30, transfer: 30, top_up: 20, port: 10, balance: 5, number_owner: 5 } }
EOF2
"$ecsim" run "$tmp/billing.yaml" --json > "$tmp/billing.json"; check $? 0 "the billing run passes with the default maximum"
python3 - "$tmp/billing.json" <<'EOF2' || fail=1
import json, sys
m = json.load(open(sys.argv[1]))["memory"]
held = m["peak_bytes_by_resource"].get("check.billing.history", 0)
# 18,000 transactions: at least 500 bytes each, the largest accounted structure.
assert held > 18000 * 500, m
assert held == max(m["peak_bytes_by_resource"].values()), m
print("ok: the billing checker's history is accounted (%d bytes)" % held)
EOF2
"$ecsim" run "$tmp/billing.yaml" --memory-max 8MiB > "$tmp/billing_small.out"; check $? 1 "--memory-max 8MiB fails the billing run"
grep -qE '^    FAIL  limit: check\.billing\.history +the model.s accounted memory passed --memory-max' "$tmp/billing_small.out"
check $? 0 "the verdict names the billing checker's history"
# Found by an adversarial pass (2026-12-07), each growing 6 to 27,000 times
# its accounted figure before: pings that are never answered (one
# workload's window is bounded, the number of workloads is not), a core's
# cache of answers filled by a call horizon of minutes, and the event
# queue's buffers (a ring slot keeps the room of its fullest visit).
cat > "$tmp/pings.yaml" <<'EOF2'
name: unanswered-pings
duration: 1s
topology: { edge: 3, core: 2, cloud: 3 }
network: { default: { drop: 100% } }
workload:
  - { kind: ping, from: edge, to: core, rate: 1000000/s, timeout: 1h }
  - { kind: ping, from: edge, to: cloud, rate: 1000000/s, timeout: 1h }
  - { kind: ping, from: core, to: cloud, rate: 1000000/s, timeout: 1h }
  - { kind: ping, from: cloud, to: edge, rate: 1000000/s, timeout: 1h }
EOF2
"$ecsim" run "$tmp/pings.yaml" --memory-max 16MiB > "$tmp/pings.out"; check $? 1 "--memory-max 16MiB stops unanswered pings"
grep -qE '^    FAIL  limit: ping\.outstanding +the model.s accounted memory passed --memory-max' "$tmp/pings.out"
check $? 0 "the verdict names the ping windows"
cat > "$tmp/horizon.yaml" <<'EOF2'
name: long-call-horizon
duration: 3s
topology: { edge: 4, core: 4, cloud: 3 }
model: { vector_clocks: false, edge_cache: { capacity: 1, ttl: 1ns }, rpc: { timeout: 60s, retries: 10 } }
workload:
  - { kind: requests, at: edge, rate: 5000/s, subscribers: 10000000, zipf: 0, mix: { read: 1 } }
EOF2
"$ecsim" run "$tmp/horizon.yaml" --json > "$tmp/horizon.json"; check $? 0 "a call horizon of minutes"
python3 - "$tmp/horizon.json" <<'EOF2' || fail=1
import json, sys
peaks = json.load(open(sys.argv[1]))["memory"]["peak_bytes_by_resource"]
# 60,000 answers kept by 4 cores: at least 48 bytes of table each.
assert peaks.get("rpc.response_cache", 0) > 60000 * 48, peaks
# The queue's buffers, not only its pending events (those alone peak at
# about 1.4 MB here: 43,000 events of 32 bytes).
assert peaks.get("sim.events", 0) > 4 * 2**20, peaks
print("ok: the response caches (%d bytes) and the event queue's buffers (%d) are accounted" %
      (peaks["rpc.response_cache"], peaks["sim.events"]))
EOF2
# The vector clocks riding on messages in flight (and the causality
# checker's copies of them) grow with the cluster: 59 nodes here, clocks of
# up to 59 entries. Their buffers are accounted with the message bodies and
# the checker's table, so the same run without clocks accounts clearly less
# for the bodies (before, both counted only the bodies' fixed slots).
for clocks in true false; do
  cat > "$tmp/clocks-$clocks.yaml" <<EOF2
name: clocks-$clocks
duration: 2s
topology: { edge: 40, core: 10, cloud: 9 }
model: { vector_clocks: $clocks }
workload:
  - { kind: requests, at: edge, rate: 300/s, mix: { read: 50, write: 30, dsm_set: 10, dsm_get: 10 } }
EOF2
  "$ecsim" run "$tmp/clocks-$clocks.yaml" --json > "$tmp/clocks-$clocks.json"; check $? 0 "59 nodes, vector_clocks: $clocks"
done
python3 - "$tmp/clocks-true.json" "$tmp/clocks-false.json" <<'EOF2' || fail=1
import json, sys
on, off = (json.load(open(f))["memory"]["peak_bytes_by_resource"] for f in sys.argv[1:])
assert on["tiers.payloads"] > 1.3 * off["tiers.payloads"], (on["tiers.payloads"], off["tiers.payloads"])
# The table's slots alone are 192 KiB here: the rest is the followed messages' clocks.
assert on["check.causality.in_flight"] > 512 * 1024, on
print("ok: message clocks accounted: bodies %d bytes with clocks, %d without; the checker's copies %d" %
      (on["tiers.payloads"], off["tiers.payloads"], on["check.causality.in_flight"]))
EOF2
# The billing checkers keep what a write needs, and nothing per read: a
# read-only billing run's history stays what its domain takes from the
# start (before, every read kept an entry: 88 bytes). With the edge cache
# on, its freshness checker's tables (the writes asked for, each replica's
# commits, the values held) are accounted too (before, not at all).
cat > "$tmp/billing-reads.yaml" <<'EOF2'
name: billing-reads
duration: 2s
topology: { edge: 4, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 10/s }
  - { kind: billing, at: edge, rate: 2000/s, subscribers: 1000, mix: { balance: 1, number_owner: 1 },
      cache: { entries: 1000 } }
EOF2
for until in 100ms 2s; do
  "$ecsim" run "$tmp/billing-reads.yaml" --until $until --json > "$tmp/reads-$until.json"; check $? 0 "read-only billing, $until"
done
for cache in on off; do
  sed -e 's/balance: 1, number_owner: 1/top_up: 1, balance: 1/' -e 's|2000/s|200/s|' "$tmp/billing-reads.yaml" \
    > "$tmp/writes-$cache.yaml"
  [[ $cache == off ]] && sed -i 's/^      cache: { entries: 1000 } }$/    }/' "$tmp/writes-$cache.yaml"
  "$ecsim" run "$tmp/writes-$cache.yaml" --json > "$tmp/writes-$cache.json"; check $? 0 "billing writes, cache $cache"
done
python3 - "$tmp/reads-100ms.json" "$tmp/reads-2s.json" "$tmp/writes-on.json" "$tmp/writes-off.json" <<'EOF2' || fail=1
import json, sys
short, long, on, off = (json.load(open(f)) for f in sys.argv[1:])
history = lambda d: d["memory"]["peak_bytes_by_resource"]["check.billing.history"]
assert long["billing"]["reads"] > 10000, long["billing"]
assert history(long) == history(short), (history(short), history(long))
# The cache's invalidations change the run a little: about as many commits.
committed = min(on["billing"]["committed"], off["billing"]["committed"])
assert committed > 500 and max(on["billing"]["committed"], off["billing"]["committed"]) < 1.05 * committed
assert history(on) > history(off) + committed * 88, (history(on), history(off), committed)
print("ok: %d billing reads keep no history (%d bytes, as at 100 ms); the cache checker adds %d bytes for %d commits" %
      (long["billing"]["reads"], history(long), history(on) - history(off), committed))
EOF2
exit $fail
