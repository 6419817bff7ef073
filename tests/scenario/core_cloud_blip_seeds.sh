#!/usr/bin/env bash
# Issue 9: scenarios/core-cloud-blip.yaml passes (recovers_within: 5s) on
# every seed 1..10, and fails on every one with the recovery rules off.
# About 60 s of CPU: labelled heavy (tests/CMakeLists.txt).
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sc=$src/scenarios/core-cloud-blip.yaml
out=$("$ecsim" sweep "$sc" --seeds 1..10 --jobs 2 2>&1); rc=$?
if [[ $rc -ne 0 ]]; then echo "FAIL: seeds 1..10 exit $rc, expected 0:"; echo "$out"; fail=1; else echo "ok: seeds 1..10 pass"; fi
{ cat "$sc"; echo "model: { recovery: false }"; } > "$tmp/off.yaml"
for seed in 1 2 3 4 5 6 7 8 9 10; do
  out=$("$ecsim" run "$tmp/off.yaml" --seed "$seed" 2>&1); rc=$?
  if [[ $rc -ne 1 ]] || ! grep -qE '^ +FAIL +recovers_within ' <<< "$out"; then
    echo "FAIL: seed $seed with recovery off exits $rc, expected 1 with recovers_within failed"; fail=1
  fi
done
(( fail == 0 )) && echo "ok: seeds 1..10 with recovery off fail recovers_within"
exit $fail
