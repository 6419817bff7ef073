#!/bin/bash
# "Save as scenario", headless: the demo actions in actions.json are taken
# on edge-crash-rehydrate, the session is saved, and `ecsim run` on the
# saved file must give the session's trace hash -- a hash that differs from
# the scenario's own (the actions changed the run). Then bad `after_event`
# values: one line FILE:LINE:COL and exit code 2.
# Usage: save_scenario.sh ECSIM SOURCE_DIR WORK_DIR
set -u
ecsim=$1 src=$2 work=$3
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
scenario=$src/scenarios/edge-crash-rehydrate.yaml

out=$("$ecsim" viz "$scenario" --actions "$src/tests/viz/actions.json" --save-scenario "$work/session.yaml") ||
  fail "viz --save-scenario exited $?: $out"
session=$(sed -n 's/^session trace hash: //p' <<<"$out")
[[ $session =~ ^0x[0-9a-f]{16}$ ]] || fail "no session hash in: $out"
grep -q "after_event: " "$work/session.yaml" || fail "the saved scenario has no after_event entry"
grep -q "at: 9.5s, after_event: " "$work/session.yaml" || fail "the saved times are not in their shortest exact form"
grep -q "crash: random" "$work/session.yaml" && fail "a random node was saved as 'random', not the node drawn"
replay=$("$ecsim" run "$work/session.yaml" | sed -n 's/^trace hash: //p')
[[ $replay == "$session" ]] || fail "ecsim run of the saved scenario gives $replay, the session $session"
"$ecsim" run "$work/session.yaml" | grep -q "ok    after_event" || fail "the replay did not apply every action at its event"
base=$("$ecsim" run "$scenario" | sed -n 's/^trace hash: //p')
[[ $base != "$session" ]] || fail "the actions did not change the run (hash $base)"

# The DSM and 2PC tabs' actions (docs/scenarios.md, "Actions"): two DSM SETs
# at one instant, a GET, a transfer and a debit beyond the balance, on a
# billing scenario; the saved session replays to the session's hash.
bscen=$src/tests/data/scenarios/demo-base.yaml
out=$("$ecsim" viz "$bscen" --actions "$src/tests/viz/actions_dsm_billing.json" --save-scenario "$work/dsm.yaml") ||
  fail "viz --save-scenario (dsm, billing) exited $?: $out"
dsession=$(sed -n 's/^session trace hash: //p' <<<"$out")
[[ $dsession =~ ^0x[0-9a-f]{16}$ ]] || fail "no session hash in: $out"
for what in dsm_set dsm_get "op: transfer" "op: debit"; do
  grep -q "$what" "$work/dsm.yaml" || fail "the saved scenario has no $what entry"
done
[[ $(grep -c "after_event: " "$work/dsm.yaml") == 5 ]] || fail "expected 5 pinned actions in $work/dsm.yaml"
dreplay=$("$ecsim" run "$work/dsm.yaml" | sed -n 's/^trace hash: //p')
[[ $dreplay == "$dsession" ]] || fail "ecsim run of the saved dsm/billing scenario gives $dreplay, the session $dsession"
dbase=$("$ecsim" run "$bscen" | sed -n 's/^trace hash: //p')
[[ $dbase != "$dsession" ]] || fail "the dsm/billing actions did not change the run (hash $dbase)"
"$ecsim" run "$work/dsm.yaml" --trace "$work/dsm.trace" > /dev/null
"$ecsim" trace dump "$work/dsm.trace" | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
base = 0xffffff << 40
ends = {r["a"]: r["code"] for r in recs if r["type_id"] == 83 and r["a"] > base}
assert ends == {base | 1: 1, base | 2: 2}, ends
got = [r["b"] for r in recs if r["type_id"] == 89 and r["code"] == 3 and r["a"] == 5000]
assert len(got) == 1 and got[0] in (111, 222), got
' || fail "the replayed actions: transfer committed, debit aborted, the GET read one of the two SETs"

# The 2PC tab's "make a participant vote NO" (twopc_vote_no), then a
# transfer: cloud-2 votes NO (forced), the transfer rolls back; the saved
# session replays to the session's hash.
out=$("$ecsim" viz "$bscen" --actions "$src/tests/viz/actions_vote_no.json" --save-scenario "$work/vote_no.yaml") ||
  fail "viz --save-scenario (twopc_vote_no) exited $?: $out"
vsession=$(sed -n 's/^session trace hash: //p' <<<"$out")
grep -qE "twopc_vote_no: \{(count: 1, node: cloud-2|node: \"?cloud-2\"?, count: 1)\}" "$work/vote_no.yaml" || fail "the saved scenario has no twopc_vote_no entry"
[[ $(grep -c "after_event: " "$work/vote_no.yaml") == 2 ]] || fail "expected 2 pinned actions in $work/vote_no.yaml"
vreplay=$("$ecsim" run "$work/vote_no.yaml" --trace "$work/vote_no.trace" | sed -n 's/^trace hash: //p')
[[ $vreplay == "$vsession" ]] || fail "ecsim run of the saved twopc_vote_no scenario gives $vreplay, the session $vsession"
"$ecsim" trace dump "$work/vote_no.trace" | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
client = (0xffffff << 40) | 1
assert [r["code"] for r in recs if r["type_id"] == 83 and r["a"] == client] == [2]  # aborted
no = [r["node"] for r in recs if r["type_id"] == 71 and r["b"] == client and r["code"] == 2]
assert no == [6] and all(r["kind"] == 12 for r in recs if r["type_id"] == 71 and r["code"] == 2 and r["b"] == client), no
assert sorted(r["node"] for r in recs if r["type_id"] == 72 and r["b"] == client and r["code"] == 3) == [1, 5, 7]
' || fail "the replayed twopc_vote_no: cloud-2 alone voted NO (forced), the others rolled back"

# Bad values: file:line:col, exit 2.
for bad in "-1" "x" "9007199254740993"; do
  printf 'name: t\nduration: 1s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s }\nfaults:\n  - { at: 1ms, after_event: %s, crash: edge-1 }\n' "$bad" >"$work/bad.yaml"
  msg=$("$ecsim" run "$work/bad.yaml" 2>&1); code=$?
  [[ $code == 2 ]] || fail "after_event $bad: exit $code, expected 2"
  [[ $msg == "$work/bad.yaml:6:29: "*"after_event"* ]] || fail "after_event $bad: '$msg'"
done
# Reached at another time than its `at`: the run fails the after_event verdict.
printf 'name: t\nduration: 1s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s }\nfaults:\n  - { at: 500ms, after_event: 3, crash: edge-1 }\n' >"$work/moved.yaml"
"$ecsim" run "$work/moved.yaml" | grep -q "FAIL  after_event .*event 3 ran at" || fail "a moved after_event passed"
# Opened from a trace cut short (--until), the session's "replay with" line
# carries the flag, and a path the shell would split or take for an option
# is quoted: the printed command, as bash reads it, replays the session.
"$ecsim" run "$scenario" --until 15s --trace "$work/short.trace" > /dev/null
out=$(cd "$work" && "$ecsim" viz --trace short.trace --actions "$src/tests/viz/actions.json" --save-scenario "-my session.yaml") ||
  fail "viz --trace --save-scenario exited $?: $out"
line=$(sed -n 's/^replay with: //p' <<<"$out")
[[ $line == "ecsim run './-my session.yaml' --until 15s" ]] || fail "the replay line is '$line'"
qsession=$(sed -n 's/^session trace hash: //p' <<<"$out")
qreplay=$(cd "$work" && eval "\"$ecsim\" ${line#ecsim }" | sed -n 's/^trace hash: //p')
[[ $qreplay == "$qsession" ]] || fail "the replay line gives $qreplay, the session $qsession"
echo "ok: session $session = replay; base $base"
echo "ok: dsm/billing session $dsession = replay; base $dbase"
echo "ok: twopc_vote_no session $vsession = replay"
