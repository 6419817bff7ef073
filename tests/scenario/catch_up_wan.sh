#!/usr/bin/env bash
# A restarted cloud replica catches up over links slower than its 500 ms
# catch-up timeout: 3 s each way between the cloud replicas, a 6 s round
# trip. It asks each batch again every 500 ms until the answer to its first
# request comes; that answer is a late one (storage.catch_up code 9), naming
# the request's send time and its round trip, and the catch_up verdict times
# the wait from there.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/wan.yaml" <<'EOF2'
name: catch-up-3s-links
duration: 60s
topology: { edge: 2, core: 2, cloud: 3 }
network: { links: [{ between: [cloud, cloud], latency: { constant: 3s } }] }
workload: [{ kind: requests, rate: 600/s, subscribers: 500, zipf: 0, mix: { write: 1, read: 1 } }]
faults: [{ at: 4s, crash: cloud-1, for: 2s }]
expect: { recovers_within: 10s, invariants: [catch_up, durability, acknowledged_writes] }
EOF2
# A sanitizer build (ECSIM_SANITIZED, tests/CMakeLists.txt) ends the run at
# 45 s: cloud-1 has caught up at 42 s.
[[ -n ${ECSIM_SANITIZED:-} ]] && sed -i 's/^duration: 60s$/duration: 45s/' "$tmp/wan.yaml"
"$ecsim" run "$tmp/wan.yaml" --json --trace "$tmp/wan.trace" > "$tmp/wan.json"; check $? 0 "the run over 3 s links passes"
"$ecsim" trace dump "$tmp/wan.trace" | grep '"storage.catch_up"' > "$tmp/wan.jsonl"
python3 - "$tmp/wan.json" "$tmp/wan.jsonl" <<'PY' || fail=1
import collections, json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
asked = collections.defaultdict(set)
late, applied = [], 0
for line in open(sys.argv[2]):
    d = json.loads(line)
    if d["node"] != 4 or d["t_ns"] < 6e9:  # cloud-1 after its restart
        continue
    if d["code"] == 1:
        asked[d["peer"]].add(d["t_ns"])
    elif d["code"] == 3:
        applied += 1
    elif d["code"] == 9:
        late.append(d)
# Every batch is answered late, to a request the replica asked, after 6 s.
named = all(d["a"] in asked[d["peer"]] and d["b"] == 6_000_600_000 and d["a"] + d["b"] == d["t_ns"] for d in late)
ok = v["catch_up"]["ok"] and "cloud-1 after" in v["catch_up"]["detail"] and len(late) == applied > 0 and named
print(("ok" if ok else "FAIL") + f": {len(late)} late answers for {applied} batches, each naming its request and a 6 s "
      f"round trip: {named}; {v['catch_up']['detail']}")
sys.exit(0 if ok else 1)
PY

# Ended while a round trip is under way: the answer to the request asked at
# 12 s cannot come before 18 s. The replica is owed that wait (up to the
# longest round trip its peer took) and is not judged (nothing to judge,
# no violation); until 2026-12-06 a
# run ending at 17.5 s failed it ("not caught up by the end", found by an
# adversarial pass).
ends="12.5s 17.5s 17.95s 23.95s"
[[ -n ${ECSIM_SANITIZED:-} ]] && ends="17.5s 23.95s"
for until in $ends; do
  "$ecsim" run "$tmp/wan.yaml" --until $until --json > "$tmp/until.json"
  python3 - "$tmp/until.json" $until <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}["catch_up"]
ok = v["vacuous"] and v["detail"].startswith("nothing to judge: not judged")
print(("ok" if ok else "FAIL") + f": ended at {sys.argv[2]}: {v['detail']}")
sys.exit(0 if ok else 1)
PY
done
exit $fail
