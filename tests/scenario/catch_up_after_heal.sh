#!/usr/bin/env bash
# A restarted cloud replica cut off from its peers for longer than its
# retries at the timeout (20 x 500 ms) catches up once the partition heals:
# it keeps asking at a capped backoff (storage.catch_up code 7) instead of
# giving up for good, as it did before (catch_up failed on this scenario).
# A replica still cut off from every peer at the end is named as not
# judged: nothing could have caught it up.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/heal.yaml" <<'EOF2'
name: catch-up-after-heal
duration: 40s
topology: { edge: 2, core: 1, cloud: 3 }
workload: [{ kind: requests, rate: 200/s, mix: { write: 1, read: 1 } }]
faults:
  - { at: 3s, partition: [[cloud-1], "*"], for: 14s }
  - { at: 4s, crash: cloud-1, for: 2s }
expect: { recovers_within: 5s, invariants: [catch_up, durability, acknowledged_writes] }
EOF2

"$ecsim" run "$tmp/heal.yaml" --json --trace "$tmp/heal.trace" > "$tmp/heal.json"; check $? 0 "the run passes"
python3 - "$tmp/heal.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
cu = [c for c in r["tiers"]["catch_ups"] if c["node"] == "cloud-1"]
ok = len(cu) == 1 and cu[0]["caught_up"] and 17e9 <= cu[0]["restart_ns"] + cu[0]["catch_up_ns"] <= 17e9 + 2.5e9
print(("ok" if ok else "FAIL") + f": cloud-1 caught up within 2.5 s of the heal at 17 s: {cu}")
sys.exit(0 if ok else 1)
PY
backed_off=$("$ecsim" trace dump "$tmp/heal.trace" --type storage.catch_up --node cloud-1 | grep -c '"code":7')
[[ $backed_off -gt 0 ]]; check $? 0 "cloud-1 backed off while cut off ($backed_off records)"

# (Cut off to the end, it leaves no second for recovers_within to judge.)
sed 's/for: 14s }/for: 60s }/; s/recovers_within: 5s, //' "$tmp/heal.yaml" > "$tmp/cut.yaml"
"$ecsim" run "$tmp/cut.yaml" > "$tmp/cut.out"
# Its only restart not judged: nothing to judge (no violation), naming it.
grep -qE '^    FAIL  catch_up +nothing to judge: not judged \(every peer down, cut off or losing most messages at the end\): cloud-1$' "$tmp/cut.out"
check $? 0 "a replica cut off to the end is named, with nothing to judge"
exit $fail
