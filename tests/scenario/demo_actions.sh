#!/usr/bin/env bash
# The one-shot workload actions (docs/scenarios.md, "Actions"), on
# tests/data/scenarios/demo-actions.yaml: two concurrent DSM SETs of one key
# (edge-1 = 111, cloud-3 = 222 at the same instant) resolve to the same
# value and writer on every replica, and a GET traces what the replica
# holds; a billing transfer commits and a debit beyond the balance is voted
# NO by every cloud replica and rolls back. The run replays to its hash, and
# bad action entries are refused with one line FILE:LINE:COL, exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scen=$src/tests/data/scenarios/demo-actions.yaml

"$ecsim" run "$scen" --trace "$tmp/t" > "$tmp/out" 2>&1; check $? 0 "demo-actions passes"
grep -qE "ok +convergence +1 keys checked on 8 replicas, all equal" "$tmp/out"; check $? 0 "convergence judged key 5000 on 8 replicas"
"$ecsim" trace dump "$tmp/t" > "$tmp/dump"; check $? 0 "trace dump"
python3 - "$tmp/dump" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
# The end state: every replica holds key 5000 with one value and one clock.
end = [r for r in recs if r["type_id"] == 65 and r["a"] == 5000]
assert len(end) == 8, end
assert len({(r["b"], r["kind"]) for r in end}) == 1, end
winner = end[0]["b"]
assert winner in (111, 222), winner
# Both SETs were made at the same instant, and each replica resolved them:
# a replica that took the loser first replaced it by the winner.
sets = [r for r in recs if r["type_id"] == 20 and r["a"] == 5000 and r["code"] == 1]
assert sorted(r["b"] for r in sets) == [111, 222] and len({r["t_ns"] for r in sets}) == 1, sets
lost = [r for r in recs if r["type_id"] == 20 and r["a"] == 5000 and r["code"] == 3]
assert lost and all(r["b"] != winner for r in lost), lost
# The GET on edge-2 (node 1) at 2s read the winner.
gets = [r for r in recs if r["type_id"] == 89 and r["code"] == 3]
assert [(g["node"], g["a"], g["b"]) for g in gets] == [(1, 5000, winner)], gets
# Billing actions: client txns 0xffffff << 40 | n.
base = 0xffffff << 40
ends = {r["a"]: r["code"] for r in recs if r["type_id"] == 83 and r["a"] > base}
assert ends == {base | 1: 1, base | 2: 2}, ends  # transfer committed, debit aborted
no = [r for r in recs if r["type_id"] == 71 and r["code"] == 2 and r["b"] == base | 2]
assert sorted(r["node"] for r in no) == [5, 6, 7] and all(r["kind"] == 1 for r in no), no  # insufficient funds
print("ok: concurrent writes resolved to", winner, "everywhere; transfer committed; debit voted NO by", len(no))
PY
[[ $? -eq 0 ]] || fail=1
"$ecsim" trace replay "$tmp/t" > "$tmp/replay" 2>&1; check $? 0 "the trace replays to its hash"

# Bad entries: one line FILE:LINE:COL, exit 2.
bad() {  # $1 = the faults list line, $2 = a fragment of the expected message, $3 = name
  sed "s|^faults:|faults:\n  - $1|" "$scen" > "$tmp/bad.yaml"
  "$ecsim" validate "$tmp/bad.yaml" > "$tmp/err" 2>&1; local rc=$?
  check "$rc" 2 "$3 exits 2"
  [[ $(wc -l < "$tmp/err") -eq 1 ]] && grep -qE "^$tmp/bad.yaml:[0-9]+:[0-9]+: .*$2" "$tmp/err"
  check $? 0 "$3: one line with the place ($(head -c 160 "$tmp/err"))"
}
bad '{ at: 1s, dsm_set: { node: edge, key: 1, value: 2 } }' "expected exactly one node" "dsm_set on a tier"
bad '{ at: 1s, dsm_set: { node: edge-1, key: 1 } }' "value" "dsm_set without a value"
bad '{ at: 1s, dsm_get: { node: edge-9, key: 1 } }' "edge-9" "dsm_get on an unknown node"
bad '{ at: 1s, dsm_set: { node: edge-1, key: 1, value: 2 }, for: 1s }' "'for'" "dsm_set with for"
bad '{ at: 1s, billing: { op: debit, from: 1, amount: 5, edge: core-1 } }' "expected an edge node" "billing at a core node"
bad '{ at: 1s, billing: { op: refund, from: 1, amount: 5, edge: edge-1 } }' "debit, transfer, top_up" "unknown billing op"
bad '{ at: 1s, billing: { op: debit, from: 51, amount: 5, edge: edge-1 } }' "1..50" "a subscriber out of range"
bad '{ at: 1s, billing: { op: debit, from: 1, to: 2, amount: 5, edge: edge-1 } }' "'to' on a billing debit" "to on a debit"
grep -v "kind: billing" "$scen" | sed 's|^faults:|faults:\n  - { at: 1s, billing: { op: top_up, to: 1, amount: 5, edge: edge-1 } }|' > "$tmp/nobill.yaml"
"$ecsim" validate "$tmp/nobill.yaml" > "$tmp/err" 2>&1; check $? 2 "billing without a billing workload exits 2"
grep -q "without a billing workload" "$tmp/err"; check $? 0 "and says why"
exit $fail
