#!/usr/bin/env bash
# A restarted cloud replica catches up over slow links while the clients
# keep writing: 300 ms between the replicas, 1,500 writes/s reaching each
# peer over about 2,000 keys, so about 720 keys change per round trip
# (600 ms), more than a batch of 512 entries carries back. A pass used to
# run to the peer's moving end and never ended (catch_up failed: "not
# caught up by the end at 40s"; checked again with that sweep put back on
# 2026-12-06); it now sweeps by time up to its start, then by key over what
# changed since (proto/storage.hpp), and ends.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/slow.yaml" <<'EOF2'
name: catch-up-slow-links
duration: 40s
topology: { edge: 2, core: 2, cloud: 3 }
network: { links: [{ between: [cloud, cloud], latency: { constant: 300ms } }] }
workload: [{ kind: requests, rate: 1500/s, subscribers: 500, zipf: 0, mix: { write: 1, read: 1 } }]
faults: [{ at: 4s, crash: cloud-1, for: 2s }]
expect: { recovers_within: 5s, invariants: [catch_up, durability, acknowledged_writes] }
EOF2
# A sanitizer build (ECSIM_SANITIZED, tests/CMakeLists.txt) ends this run at
# 22 s, for time: the check below wants the pass done within 15 s of the
# restart at 6 s, so any run that passes it has caught up by 21 s.
[[ -n ${ECSIM_SANITIZED:-} ]] && sed -i 's/^duration: 40s$/duration: 22s/' "$tmp/slow.yaml"

"$ecsim" run "$tmp/slow.yaml" --json > "$tmp/slow.json"; check $? 0 "the run passes"
python3 - "$tmp/slow.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
cu = [c for c in r["tiers"]["catch_ups"] if c["node"] == "cloud-1"]
# The pass takes some round trips of 600 ms (about 4 s): well within the 34 s left.
ok = v["catch_up"]["ok"] and not v["catch_up"].get("vacuous") and len(cu) == 1 and cu[0]["caught_up"] \
    and cu[0]["catch_up_ns"] < 15e9
print(("ok" if ok else "FAIL") + f": cloud-1 caught up, judged: {v['catch_up']['detail']}; {cu}")
sys.exit(0 if ok else 1)
PY

# Under load: one core per cloud replica, clients asking 3 x 1,100
# requests/s at 80 % writes (more than the cloud tier can serve: about 60 %
# are served), cloud-1 down 14-19 s. Its first restart has no catch-up
# mark, so the pass covers every key its peers hold (about 14,000), and
# each batch waits about 45 ms in a peer's queue: at 64 entries per batch
# it was not done by the end, 11 s later (catch_up failed, found by an
# adversarial pass); at 512 it takes about 1.3 s.
cat > "$tmp/load.yaml" <<'EOF2'
name: catch-up-under-load
duration: 30s
topology: { edge: 3, core: 2, cloud: 3 }
model: { cores: { cloud: 1 } }
workload: [{ kind: requests, at: edge, rate: 1100/s, mix: { write: 80, read: 20 } }]
faults: [{ at: 14s, crash: cloud-1, for: 5s }]
expect: { recovers_within: 5s, invariants: [catch_up, durability, acknowledged_writes] }
EOF2
"$ecsim" run "$tmp/load.yaml" --json > "$tmp/load.json"; check $? 0 "the loaded run passes"
python3 - "$tmp/load.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
cu = [c for c in r["tiers"]["catch_ups"] if c["node"] == "cloud-1"]
ok = v["catch_up"]["ok"] and len(cu) == 1 and cu[0]["caught_up"] and cu[0]["catch_up_ns"] < 5e9
print(("ok" if ok else "FAIL") + f": cloud-1 caught up under load: {v['catch_up']['detail']}; {cu}")
sys.exit(0 if ok else 1)
PY

# A peer restarts during the pass (found by an adversarial pass): cloud-2
# serves cloud-1's first batch, then crashes 0.4 ms later and loses a
# version it had not synced; the key goes back to an older stamp behind the
# pass's cursor. The pass used to end without it ("lacked 2 of the 2000
# keys acknowledged before it"); cloud-2's new life now answers the pass's
# next request with restart_pass and the pass begins again. The cluster is
# overloaded: only catch_up is judged here (and no recovers_within: no whole
# second after 11s settles before the end less the timeout).
cat > "$tmp/peer.yaml" <<'EOF2'
name: peer-crash-mid-pass
duration: 12s
topology: { edge: 2, core: 2, cloud: 3 }
workload: [{ kind: requests, rate: 2500/s, subscribers: 500, zipf: 0, mix: { write: 1 } }]
faults:
  - { at: 1s, drop: { between: [cloud-1, cloud-3], rate: 1.0 }, for: 10s }
  - { at: 3s, crash: cloud-1, for: 3s }
  - { at: 5.9s, drop: { between: [core, cloud-1], rate: 1.0 }, for: 5s }
  - { at: 6.0013s, crash: cloud-2, for: 1s }
expect: { invariants: [catch_up, durability, acknowledged_writes] }
EOF2
"$ecsim" run "$tmp/peer.yaml" --seed 2 --json > "$tmp/peer.json"
python3 - "$tmp/peer.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
ok = v["catch_up"]["ok"] and v["durability"]["ok"] and v["acknowledged_writes"]["ok"]
print(("ok" if ok else "FAIL") + f": a peer restarting mid-pass: {v['catch_up']['detail']}")
sys.exit(0 if ok else 1)
PY
exit $fail
