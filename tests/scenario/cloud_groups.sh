#!/usr/bin/env bash
# A sharded cloud tier (docs/model.md, "Scale"): 9 cloud nodes in three
# groups of three. The scenario passes with a crash and catch-up inside one
# group; each quorum write goes to the three replicas of its key's group
# only; a restarted replica that claims to have caught up at once is caught
# by catch_up, which owes it only its group's keys.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scn=$src/tests/data/scenarios/cloud-groups.yaml

"$ecsim" run "$scn" --json --trace "$tmp/t.trace" > "$tmp/json"
check $? 0 "cloud-groups passes"
python3 - "$tmp/json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
e = {x["name"]: x for x in j["expectations"]}
for name in ("durability", "acknowledged_writes", "catch_up"):
    assert e[name]["ok"], e[name]
assert "2 of the 3 replicas of its group (9 cloud nodes in 3 groups)" in e["acknowledged_writes"]["detail"], e
assert "cloud-5" in e["catch_up"]["detail"], e["catch_up"]
PY
check $? 0 "acknowledged_writes judged per group; cloud-5 caught up"
# Every storage write request (kind 11) from a core goes to cloud nodes of
# one group: a write's three sends (the network's send records just before
# its storage.write_started record) name one group, and all three groups get writes.
"$ecsim" trace dump "$tmp/t.trace" --type send,storage.write_started | python3 -c '
import json, sys
first_cloud = 6 + 3          # edge-1..6, core-1..3, then cloud-1..9
groups_used = set()
recs = [json.loads(l) for l in sys.stdin]
for i, r in enumerate(recs):
    if r["type"] != "storage.write_started":
        continue
    # the three sends just before it (within the 12 records of the whole trace before it)
    sends = [x for x in recs[max(0, i - 12):i] if x["type"] == "send" and x["node"] == r["node"] and x["kind"] == 11
             and r["n"] - x["n"] <= 12][-3:]
    assert len(sends) == 3, (i, sends)
    groups = {(s["peer"] - first_cloud) // 3 for s in sends}
    assert len(groups) == 1 and len({s["peer"] for s in sends}) == 3, sends
    groups_used |= groups
assert groups_used == {0, 1, 2}, groups_used
'
check $? 0 "each quorum write goes to the three replicas of one group; every group is used"
"$ecsim" run "$scn" --plant storage.catch_up_early --json > "$tmp/plant.json"
check $? 1 "the catch_up_early plant fails the run"
python3 - "$tmp/plant.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
e = {x["name"]: x for x in j["expectations"]}
assert not e["catch_up"]["ok"] and "cloud-5" in e["catch_up"]["detail"] and "lacked" in e["catch_up"]["detail"], e["catch_up"]
PY
check $? 0 "catch_up finds it on cloud-5"
exit $fail
