#!/usr/bin/env bash
# The scenario action twopc_vote_no (docs/scenarios.md, "Actions"), on
# tests/data/scenarios/twopc-vote-no.yaml: cloud-2 is told to vote NO on its
# next transaction; the transfer executed next is voted NO by cloud-2 alone
# (Reason forced = 12), the coordinator aborts it for that reason, and it
# rolls back at every participant (the edge and the other two replicas had
# voted YES; none applies it). The transfer after it commits everywhere: the
# count was one. The run replays to its hash, a scenario without the entry
# keeps its hash (the entry changes only the runs that use it), and bad
# entries are refused with one line FILE:LINE:COL, exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scen=$src/tests/data/scenarios/twopc-vote-no.yaml

"$ecsim" run "$scen" --trace "$tmp/t" > "$tmp/out" 2>&1; check $? 0 "twopc-vote-no passes"
grep -q "aborted by reason (as the clients heard): forced 1" "$tmp/out"; check $? 0 "the summary counts one forced abort"
"$ecsim" trace dump "$tmp/t" > "$tmp/dump"; check $? 0 "trace dump"
python3 - "$tmp/dump" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
base = 0xffffff << 40
names = {0: "edge-1", 5: "cloud-1", 6: "cloud-2", 7: "cloud-3"}
armed = [r for r in recs if r["type_id"] == 89 and r["code"] == 7]
assert [(r["node"], r["a"]) for r in armed] == [(6, 1)], armed  # cloud-2, count 1
ends = {r["a"]: r["code"] for r in recs if r["type_id"] == 83 and r["a"] > base}
assert ends == {base | 1: 2, base | 2: 1}, ends  # the first aborted, the second committed
def txn_of(client):
    s = [r["a"] for r in recs if r["type_id"] == 70 and r["code"] == 1 and r["b"] == client]
    assert len(s) == 1, s
    return s[0]
first, second = txn_of(base | 1), txn_of(base | 2)
votes = {(r["node"], r["code"], r["kind"]) for r in recs if r["type_id"] == 71 and r["a"] == first}
assert votes == {(0, 1, 0), (5, 1, 0), (7, 1, 0), (6, 2, 12)}, votes  # only cloud-2 said NO, forced
abort = [r for r in recs if r["type_id"] == 70 and r["a"] == first and r["code"] == 4]
assert len(abort) == 1 and abort[0]["kind"] == 12, abort  # decided abort: forced
rolled = {r["node"] for r in recs if r["type_id"] == 72 and r["a"] == first and r["code"] == 3}
assert rolled == {0, 5, 7}, rolled  # every YES voter rolled back (cloud-2 forgot it at its NO)
assert not [r for r in recs if r["type_id"] == 79 and r["a"] == first], "the aborted transfer was applied"
assert not [r for r in recs if r["type_id"] == 72 and r["a"] == first and r["code"] == 2], "a participant committed"
applied = {r["node"] for r in recs if r["type_id"] == 79 and r["a"] == second}
assert applied == {0, 5, 6, 7}, applied
no = [r for r in recs if r["type_id"] == 71 and r["code"] == 2 and r["kind"] == 12]
assert len(no) == 1, no  # the count was one
print("ok: txn", first, "voted NO by cloud-2 (forced), rolled back at", sorted(names[n] for n in rolled),
      "; txn", second, "committed at all four")
PY
[[ $? -eq 0 ]] || fail=1
"$ecsim" trace replay "$tmp/t" > "$tmp/replay" 2>&1; check $? 0 "the trace replays to its hash"
# The same scenario without the entry: the same run as before the entry existed.
grep -v "twopc_vote_no" "$scen" > "$tmp/without.yaml"
with=$("$ecsim" run "$scen" | sed -n 's/^trace hash: //p')
without=$("$ecsim" run "$tmp/without.yaml" | sed -n 's/^trace hash: //p')
[[ $with != "$without" ]]; check $? 0 "the entry changes the run ($with vs $without)"

# Bad entries: one line FILE:LINE:COL, exit 2.
bad() {  # $1 = the faults list line, $2 = a fragment of the expected message, $3 = name
  sed "s|^faults:|faults:\n  - $1|" "$scen" > "$tmp/bad.yaml"
  "$ecsim" validate "$tmp/bad.yaml" > "$tmp/err" 2>&1; local rc=$?
  check "$rc" 2 "$3 exits 2"
  [[ $(wc -l < "$tmp/err") -eq 1 ]] && grep -qE "^$tmp/bad.yaml:[0-9]+:[0-9]+: .*$2" "$tmp/err"
  check $? 0 "$3: one line with the place ($(head -c 160 "$tmp/err"))"
}
bad '{ at: 1s, twopc_vote_no: { node: cloud-9, count: 1 } }' "cloud-9" "an unknown node"
bad '{ at: 1s, twopc_vote_no: { node: core-1, count: 1 } }' "expected a billing participant" "a core node"
bad '{ at: 1s, twopc_vote_no: { node: cloud, count: 1 } }' "expected exactly one node" "a tier"
bad '{ at: 1s, twopc_vote_no: { node: cloud-2, count: 0 } }' "count" "count 0"
bad '{ at: 1s, twopc_vote_no: { node: cloud-2, count: -3 } }' "count" "a negative count"
bad '{ at: 1s, twopc_vote_no: { node: cloud-2, cont: 1 } }' "count" "a misspelt key"
bad '{ at: 1s, twopc_vote_no: { node: cloud-2 }, for: 1s }' "'for'" "twopc_vote_no with for"
grep -v "kind: billing" "$scen" | grep -v "billing: {" > "$tmp/nobill.yaml"
"$ecsim" validate "$tmp/nobill.yaml" > "$tmp/err" 2>&1; check $? 2 "twopc_vote_no without a billing workload exits 2"
grep -qE "^$tmp/nobill.yaml:[0-9]+:[0-9]+: .*without a billing workload" "$tmp/err"; check $? 0 "and says why ($(head -c 160 "$tmp/err"))"
exit $fail
