#!/usr/bin/env bash
# Ten simulated minutes of billing beside the quickstart's request load
# (tests/data/scenarios/2pc-long.yaml, ~200 transactions/s): every promise
# holds, and the 2PC logs and tables stay flat -- each node's log
# high-water mark (entries and bytes) and its remembered outcomes after 10
# minutes are within 20 % of those after the first minute, and its lock
# table holds only the keys of the few transactions live at the end. Without
# checkpoints and truncation a cloud replica's log would hold every record
# of ~108,000 transactions; without the retention its outcome table would
# grow to 65,536. Labelled heavy (~80 s in Release).
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scn=$src/tests/data/scenarios/2pc-long.yaml

"$ecsim" run "$scn" --until 60s --json > "$tmp/one.json"; check $? 0 "the first minute passes"
"$ecsim" run "$scn" --json > "$tmp/ten.json"; check $? 0 "ten minutes pass, every billing promise included"
python3 - "$tmp/one.json" "$tmp/ten.json" <<'PY'; check $? 0 "logs and tables after 10 minutes within 20 % of those after 1"
import json, sys
one, ten = (json.load(open(f)) for f in sys.argv[1:3])
for r in (one, ten):
    v = {e["name"]: e for e in r["expectations"]}
    for name in ("billing_atomicity", "billing_durability", "billing_conservation", "billing_at_most_once",
                 "billing_number_uniqueness", "billing_termination"):
        assert v[name]["ok"], (name, v[name])
b1, b10 = one["billing"], ten["billing"]
assert b10["committed"] > 90000, b10["committed"]
logs1 = {l["node"]: l for l in b1["logs"]}
logs10 = {l["node"]: l for l in b10["logs"]}
assert sorted(logs1) == sorted(logs10) and len(logs10) == 8, sorted(logs10)
ok = True
for node in sorted(logs10):
    a, b = logs1[node], logs10[node]
    print(f"{node:8} {b['role']:12} peak {a['peak_bytes']:>8} -> {b['peak_bytes']:>8} bytes, "
          f"{a['peak_entries']:>5} -> {b['peak_entries']:>5} entries; remembered {a['remembered']:>6} -> "
          f"{b['remembered']:>6}; locks {a['locks']} -> {b['locks']}")
    ok &= b["peak_bytes"] <= 1.2 * a["peak_bytes"] and b["peak_entries"] <= 1.2 * a["peak_entries"]
    ok &= 0.8 * a["remembered"] <= b["remembered"] <= 1.2 * a["remembered"]
    ok &= b["locks"] <= 16
    # Truncated: a cloud replica logs PREPARED + a decision per transaction.
    if node.startswith("cloud"):
        ok &= b["peak_entries"] < b10["committed"] / 5
assert ok
PY
exit $fail
