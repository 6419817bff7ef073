#!/usr/bin/env bash
# Issue 9, the metastable collapse: scenarios/core-cloud-blip.yaml recovers
# within 5 s of a 300 ms core-cloud loss (exit 0, its recovers_within verdict
# ok); the same scenario with the recovery rules off (model: { recovery:
# false }) stays collapsed and fails that verdict (exit 1). Seeds 1..10 are
# core_cloud_blip_seeds.sh (heavy).
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sc=$src/scenarios/core-cloud-blip.yaml
. "$src/tests/examples/lib.sh"
example_json core-cloud-blip "$tmp/run.json"; rc=$?
out=$(example_lines "$tmp/run.json" $rc)
line=$(echo "$out" | grep -E '^ +ok +recovers_within +served ratio back from 11s ')
if [[ $rc -ne 0 || -z $line ]]; then echo "FAIL: exits $rc (expected 0) or no ok verdict line:"; echo "$out"; fail=1; else echo "ok: $line"; fi
{ cat "$sc"; echo "model: { recovery: false }"; } > "$tmp/off.yaml"
out=$("$ecsim" run "$tmp/off.yaml" 2>&1); rc=$?
line=$(echo "$out" | grep -E '^ +FAIL +recovers_within +served ratio not back by the end of the run at 40s')
if [[ $rc -ne 1 || -z $line ]]; then echo "FAIL: recovery off exits $rc (expected 1) or no FAIL verdict line:"; echo "$out"; fail=1; else echo "ok: recovery off: $line"; fi
grep -q '^verdict: FAIL' <<< "$out" || { echo "FAIL: no 'verdict: FAIL' line with recovery off"; fail=1; }
exit $fail
