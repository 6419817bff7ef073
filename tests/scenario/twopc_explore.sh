#!/usr/bin/env bash
# `ecsim explore --crash-points` (docs/testing.md, "Crash-point exploration"):
# - on 2pc-explore.yaml it crashes at every 2PC point of both roles (the
#   recovery points by a second crash during recovery, before_status_query
#   in a follow-up of a run that reached it); every run passes, and every
#   point was reached: exit 0;
# - with the plant twopc.vote_before_prepared_log it fails, and the first
#   reproducing command it prints fails the same way when run (not in a
#   sanitizer build);
# - on 2pc-cache.yaml (the edge billing cache on) every run passes (not in
#   a sanitizer build);
# - bad input is one line, exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
scn=$src/tests/data/scenarios/2pc-explore.yaml

"$ecsim" explore "$scn" --crash-points --jobs 2 --out-dir "$tmp" --json > "$tmp/clean.json"
check $? 0 "explore without a plant passes"
python3 - "$tmp/clean.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
runs, summary = lines[:-1], lines[-1]
assert summary["summary"] and summary["failed"] == 0 and summary["points_unreached"] == [], summary
assert summary["runs"] == len(runs) > 100, summary
# Every 2PC point of both roles was crashed at, on a node of each tier that runs it.
crashed = {}
for r in runs:
    assert r["verdict"] == "pass", r
    last = r["crashes"][-1]
    if r["outcome"] in ("crashed, restarted", "crashed twice"):
        crashed.setdefault(last["point"], set()).add(last["node"].split("-")[0])
twopc = {p for p in crashed if p.startswith("twopc.")}
# twopc.participant.before_status_query, which the unfaulted run never
# reaches, is crashed at in a follow-up run (on the tiers some run reached it).
for role, tiers, n in (("coordinator", {"core"}, 8), ("participant", {"cloud", "edge"}, 7)):
    points = {p for p in twopc if p.startswith(f"twopc.{role}.")}
    assert len(points) == n, (role, sorted(points))
    for p in points:
        if p != "twopc.participant.before_status_query": assert crashed[p] == tiers, (p, crashed[p])
        else: assert crashed[p] <= tiers, (p, crashed[p])
for p in ("twopc.coordinator.recovery_before_resend", "twopc.participant.recovery_before_query"):
    doubles = [r for r in runs if r["crashes"][-1]["point"] == p]
    assert doubles and all(r["outcome"] == "crashed twice" for r in doubles), (p, doubles[:1])
# First reach and a later reach of each (node, point) reached twice or more.
nths = {}
for r in runs:
    if len(r["crashes"]) == 1:
        c = r["crashes"][0]
        nths.setdefault((c["point"], c["node"]), []).append(c["nth"])
assert all(v[0] == 1 for v in nths.values())
assert sum(1 for v in nths.values() if len(v) == 2 and v[1] >= 2) > 50
print(f"ok: {len(runs)} runs, 15 2PC points crashed at, each on its tiers, recovery points by a second crash")
PY
[[ $? -eq 0 ]] || fail=1
check "$(ls "$tmp" | grep -c '\.yaml$')" 0 "passing runs leave no scenario file behind"

# A sanitizer build (ECSIM_SANITIZED, tests/CMakeLists.txt) skips the
# plant's exploration, for time: its protocol runs are the clean one's but
# for the plant, and its failing-run path (the scenario files written, the
# reproducing command) is checked under the sanitizers nowhere else -- the
# Release and clang stages run it.
if [[ -z ${ECSIM_SANITIZED:-} ]]; then
  "$ecsim" explore "$scn" --crash-points --jobs 2 --out-dir "$tmp" --plant twopc.vote_before_prepared_log > "$tmp/plant.txt"
  check $? 1 "explore finds twopc.vote_before_prepared_log"
  repro=$(grep -m1 'reproduce: ' "$tmp/plant.txt" | sed 's/.*reproduce: ecsim //')
  verdict=$(grep -m1 -B1 'reproduce: ' "$tmp/plant.txt" | head -1 | grep -o 'fail billing_[a-z_]*' | cut -d' ' -f2)
  echo "first failing run: $verdict; reproduce: ecsim $repro"
  check "$verdict" billing_termination "the plant is found by billing_termination (the participant lost the PREPARED it voted YES on)"
  # shellcheck disable=SC2086
  "$ecsim" $repro > "$tmp/repro.txt"
  check $? 1 "the reproducing command fails"
  grep -q "FAIL  $verdict" "$tmp/repro.txt"; check $? 0 "the same way ($verdict)"
  # A coordinator that tells the client COMMIT before its decision is
  # durable: a crash between the append and its sync
  # (twopc.coordinator.after_decision_appended) loses the record when the
  # disk keeps none of its un-synced tail, the restarted coordinator
  # presumes abort, and billing_durability names the reported commit.
  "$ecsim" explore "$scn" --crash-points --jobs 2 --out-dir "$tmp" --plant twopc.report_before_durable > "$tmp/report.txt"
  check $? 1 "explore finds twopc.report_before_durable"
  grep -q '^  twopc.coordinator.after_decision_appended at core-[0-9]*, nth [0-9]*: fail billing_durability' "$tmp/report.txt"
  check $? 0 "a crash at twopc.coordinator.after_decision_appended fails billing_durability"
else
  echo "skip: the exploration with a plant (sanitizer build)"
fi

# With the edge billing cache on, every crash point (cores resending
# invalidations over msgq included) keeps every value served from an edge
# cache fresh (billing_cache_freshness) and every other promise. A sanitizer
# build skips it, for time: 161 runs, each a process (about 80 s under ASan,
# half this script's time there), that crash at the points the clean
# exploration above crashes at, with the cache on. The cache's own paths
# through crashes still run under the sanitizers (twopc_plants.sh,
# 2pc-cache-faults), and the verdicts are the same in every build: the
# Release and clang stages judge them.
if [[ -z ${ECSIM_SANITIZED:-} ]]; then
  "$ecsim" explore "$src/tests/data/scenarios/2pc-cache.yaml" --crash-points --jobs 2 --out-dir "$tmp" \
    > "$tmp/cache.txt" 2>&1
  check $? 0 "2pc-cache: every crash-point run passes"
else
  echo "skip: the exploration of 2pc-cache (sanitizer build)"
fi

# A crash before any write was acknowledged leaves durability nothing to
# judge: no broken promise, so counted apart, not a failing run (an
# adversarial pass: 15 such runs made a clean exploration exit 1).
cat > "$tmp/early.yaml" <<'EOF2'
name: early-crashes
duration: 2s
topology: { edge: 1, core: 1, cloud: 3 }
workload:
  - { kind: requests, rate: 50/s, mix: { write: 1, read: 1 } }
faults:
  - { at: 500ms, crash: cloud-2, for: 300ms }
expect:
  invariants: [durability]
EOF2
# (Not in a sanitizer build, for time: 36 runs of code the other explorations cover.)
if [[ -z ${ECSIM_SANITIZED:-} ]]; then
  mkdir -p "$tmp/early"
  "$ecsim" explore "$tmp/early.yaml" --crash-points --jobs 2 --restart-after 1ns --out-dir "$tmp/early" \
    > "$tmp/early.txt" 2>&1
  check "$(head -1 "$tmp/early.txt" | grep -Ec ' runs, 0 failed, [1-9][0-9]* with nothing to judge \(a crash before any promise\)$')" \
    1 "early crashes: nothing to judge, none failed"
  check "$(grep -c ' not judged$' "$tmp/early.txt")" "$(head -1 "$tmp/early.txt" | sed -E 's/.* ([0-9]+) with nothing.*/\1/')" \
    "early crashes: each listed as not judged"
  check "$(grep -c 'reproduce:' "$tmp/early.txt")" 0 "early crashes: no reproduce line"
fi

# Bad input: one line, exit 2.
bad() {  # WHAT EXPECTED-PATTERN ARGS...
  local what=$1 pattern=$2; shift 2
  "$ecsim" explore "$@" > /dev/null 2> "$tmp/err"; check $? 2 "$what: exit 2"
  check "$(wc -l < "$tmp/err")" 1 "$what: one line"
  grep -q -- "$pattern" "$tmp/err"; check $? 0 "$what: says '$pattern'"
}
bad "no --crash-points" "--crash-points" "$scn"
bad "unknown plant" "unknown plant 'nope'" "$scn" --crash-points --plant nope
bad "bad --restart-after" "restart-after" "$scn" --crash-points --restart-after 2 parsecs
bad "missing file" "cannot read" "$tmp/none.yaml" --crash-points
printf 'name: x\nduration: 2s\ntopology: { edge: 1, core: 1, cloud: 3 }\nworkload:\n  - { kind: requests, rate: 10/s, sbuscribers: 5 }\n' > "$tmp/typo.yaml"
bad "a misspelt key" "typo.yaml:5:35: unknown key" "$tmp/typo.yaml" --crash-points
exit $fail
