#!/usr/bin/env bash
# catch_up over lossy links (found by an adversarial pass): 25 % of the
# messages between the cloud replicas are lost, so a catch-up round trip
# gets through 56 % of the time (in reach, for the verdict) and a lost one
# costs the 500 ms timeout. cloud-1's first restart, at 7 s, owes a pass
# over some 12,000 keys: 24 s here. A 15 s run used to fail catch_up
# ("restarted, not caught up by the end at 15s") 8 s after the restart,
# blaming the replica for its peers' network; the time it waited on its
# round trips and lost requests is now owed on top of the 5 s
# (check/catch_up.hpp), and a longer run sees it caught up.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/lossy.yaml" <<'EOF2'
name: lossy-catch-up
duration: 15s
topology: { edge: 2, core: 2, cloud: 3 }
network: { links: [{ between: [cloud, cloud], drop: 25% }] }
workload: [{ kind: requests, rate: 3000/s, subscribers: 12000, zipf: 0, mix: { write: 1 } }]
faults: [{ at: 5s, crash: cloud-1, for: 2s }]
expect: { recovers_within: 5s, invariants: [catch_up, durability, acknowledged_writes] }
EOF2
# Its served ratio is back only after the catch-up (at 22 s: a replica
# catching up adds its round trips to the lossy links): recovers_within
# fails, rightly, and is not what this test is about; every other verdict
# must hold.
verdicts() {
  python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
cu = [c for c in r["tiers"]["catch_ups"] if c["node"] == "cloud-1"]
others = [n for n, e in v.items() if not e["ok"] and n not in ("recovers_within", "catch_up")]
if sys.argv[2] == "waiting":
    # 8 s after the restart: not caught up, owed more than the 5 s: its
    # only restart not judged, so nothing to judge (no violation).
    ok = v["catch_up"]["vacuous"] and v["catch_up"]["detail"].startswith(
        "nothing to judge: not judged (a peer in reach less than 5s before the end): cloud-1 (") \
        and "s owed: 5s plus its waits on its peers)" in v["catch_up"]["detail"] and not cu[0]["caught_up"]
else:
    # About 24 s: far more than the 5 s grace, all of it waiting on the network.
    ok = v["catch_up"]["ok"] and len(cu) == 1 and cu[0]["caught_up"] and 10e9 < cu[0]["catch_up_ns"] < 32e9
ok = ok and not others
print(("ok" if ok else "FAIL") + f": {sys.argv[2]}: {v['catch_up']['detail']}; {cu}; other failures {others}")
sys.exit(0 if ok else 1)
PY
}
"$ecsim" run "$tmp/lossy.yaml" --json > "$tmp/15.json"
verdicts "$tmp/15.json" waiting || fail=1
# A sanitizer build (ECSIM_SANITIZED, tests/CMakeLists.txt) stops here, for
# time: the 40 s run adds nothing the sanitizers would see.
[[ -n ${ECSIM_SANITIZED:-} ]] && exit $fail
sed -i 's/^duration: 15s$/duration: 40s/' "$tmp/lossy.yaml"
"$ecsim" run "$tmp/lossy.yaml" --json > "$tmp/40.json"
verdicts "$tmp/40.json" caught || fail=1
exit $fail
