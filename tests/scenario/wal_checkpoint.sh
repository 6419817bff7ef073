#!/usr/bin/env bash
# Storage WAL checkpoints (proto/storage.hpp, "Checkpoints"; docs/model.md):
# tests/data/scenarios/wal-checkpoint.yaml writes 400 keys over and over
# with model.storage.wal_slack 200, and crashes each cloud replica once.
# The replicas checkpoint and truncate their logs many times; each restart
# replays a truncated log (fewer entries than the log's length) and still
# holds every acknowledgement it gave (durability), every acknowledged write
# is on 2 of 3 replicas (acknowledged_writes), and the disks' peak is a
# fraction of the same run without checkpoints. The planted off-by-one
# (storage.checkpoint_truncates_copy) is found by durability. Bad values of
# model.storage are refused with file:line:col.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scn=$src/tests/data/scenarios/wal-checkpoint.yaml

"$ecsim" run "$scn" --trace "$tmp/t.trace" --json > "$tmp/r.json"; check $? 0 "the run passes"
python3 - "$tmp/r.json" <<'PY'; check $? 0 "durability judged three restarts; acknowledged writes held"
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
print("durability:", v["durability"]["detail"])
assert v["durability"]["ok"] and "3 restarts" in v["durability"]["detail"]
assert v["acknowledged_writes"]["ok"] and v["catch_up"]["ok"]
PY
"$ecsim" trace dump "$tmp/t.trace" --type storage.wal | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin if l.startswith("{")]
wal = [r for r in recs if r["type"] == "storage.wal"]
ckpt = [r for r in wal if r["code"] == 4]
print(len(ckpt), "checkpoints,", sum(r["a"] for r in ckpt), "entries truncated")
assert len(ckpt) >= 30 and all(r["a"] > 0 for r in ckpt)
# Every restart (t > 0) replays what its truncated log holds: fewer entries
# than the log ever had, and after a checkpoint of that node.
replays = [r for r in wal if r["code"] == 1 and r["t_ns"] > 0]
assert len(replays) == 3, replays
for r in replays:
    before = [c for c in ckpt if c["node"] == r["node"] and c["t_ns"] < r["t_ns"]]
    print("node", r["node"], "replayed", r["a"], "of", r["b"], "after", len(before), "checkpoints")
    assert before and 0 < r["a"] < r["b"] / 2
'; check $? 0 "checkpoints truncate the logs and restarts replay the truncated logs"

sed '/^model:/,+1d' "$scn" > "$tmp/plain.yaml"
"$ecsim" run "$tmp/plain.yaml" --json > "$tmp/plain.json"; check $? 0 "the same run without checkpoints passes"
python3 - "$tmp/r.json" "$tmp/plain.json" <<'PY'; check $? 0 "the disks' peak is under a fifth of it without checkpoints"
import json, sys
peak = lambda f: json.load(open(f))["memory"]["peak_bytes_by_resource"]["disk.entries"]
a, b = peak(sys.argv[1]), peak(sys.argv[2])
print(f"disk.entries peak: {a} bytes with checkpoints, {b} without")
assert a * 5 < b
PY

"$ecsim" run "$scn" --plant storage.checkpoint_truncates_copy > "$tmp/plant"; check $? 1 "the planted off-by-one fails"
grep -qE '^    FAIL  durability ' "$tmp/plant"; check $? 0 "durability finds it"

bad() {  # yaml-line expected-text name
  sed "s|^  storage: { wal_slack: 200 }|$1|" "$scn" > "$tmp/bad.yaml"
  out=$("$ecsim" validate "$tmp/bad.yaml" 2>&1); rc=$?
  check $rc 2 "$3: exit 2"
  [[ $out == *"bad.yaml:16:"*"$2"* ]]; check $? 0 "$3: one line at the field ($out)"
}
bad "  storage: { wal_slack: -1 }" "wal_slack" "a negative slack"
bad "  storage: { wal_slak: 5 }" "wal_slack" "a misspelt key"
bad "  storage: { wal_slack: 99999999999 }" "wal_slack" "a slack beyond the disk"
exit $fail
