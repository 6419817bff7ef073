#!/usr/bin/env bash
# Examples are tests (ns-3, SimGrid): every scenarios/NAME.yaml runs once per
# suite, and its verdict lines must equal tests/examples/NAME.expected.
#
#   example.sh run   ECSIM SRC NAME OUTDIR   run the example once, keep OUTDIR/NAME.{json,exit,err}
#   example.sh check ECSIM SRC NAME OUTDIR   compare that run with the sidecar; a diff if they differ
#   example.sh sidecars SRC                  every scenarios/*.yaml has a sidecar and every sidecar a scenario
#
# A scenario too large for every suite (scenarios/metro.yaml) names a shorter
# run in a header line "# test-until: DURATION": the suite, the sidecar and
# tools/parity.sh run it to that simulated time only (`--until`), and CMake
# labels its example `heavy`; its full run is tools/bench_gate.sh's.
# NAME "quickstart" runs `ecsim run` with no file: the built-in scenario,
# compiled from scenarios/quickstart.yaml. Other scenario tests read the saved
# run (tests/examples/lib.sh) instead of running the example again.
# tools/update_examples.sh regenerates the sidecars.
set -u
mode=$1
if [[ $mode == sidecars ]]; then
  src=$2; fail=0
  for f in "$src"/scenarios/*.yaml; do
    name=$(basename "$f" .yaml)
    if [[ -f $src/tests/examples/$name.expected ]]; then echo "ok: $name"; else
      echo "FAIL: scenarios/$name.yaml has no tests/examples/$name.expected: run tools/update_examples.sh"; fail=1; fi
  done
  for f in "$src"/tests/examples/*.expected; do
    name=$(basename "$f" .expected)
    [[ -f $src/scenarios/$name.yaml ]] || { echo "FAIL: tests/examples/$name.expected has no scenarios/$name.yaml"; fail=1; }
  done
  exit $fail
fi

ecsim=$2; src=$3; name=$4; out=$5
scn=$src/scenarios/$name.yaml
if [[ $mode == run ]]; then
  mkdir -p "$out"; rm -f "$out/$name".{json,exit,err}
  [[ -f $scn ]] || { echo "FAIL: no scenarios/$name.yaml"; exit 1; }
  if [[ $name == quickstart ]]; then args=(); else args=("$scn"); fi
  until=$(sed -n 's/^# test-until: \([0-9a-z]*\)$/\1/p' "$scn" | head -1)
  [[ -n $until ]] && args+=(--until "$until")
  "$ecsim" run "${args[@]}" --json > "$out/$name.json" 2> "$out/$name.err"; code=$?
  echo "$code" > "$out/$name.exit"
  cat "$out/$name.err"
  # Exit 0 or 1 is a verdict (the sidecar says which); anything else is not.
  if (( code > 1 )); then echo "FAIL: ecsim run ${args[*]} exits $code"; exit 1; fi
  echo "ok: ecsim run ${args[*]#"$src/"} exits $code"
  exit 0
fi

[[ $mode == check ]] || { echo "usage: example.sh run|check ECSIM SRC NAME OUTDIR | example.sh sidecars SRC"; exit 2; }
want=$src/tests/examples/$name.expected
if [[ ! -f $want ]]; then
  echo "FAIL: scenarios/$name.yaml has no sidecar tests/examples/$name.expected;"
  echo "      write it with tools/update_examples.sh and check that its verdicts are the ones the example is meant to show"
  exit 1
fi
[[ -f $out/$name.json && -f $out/$name.exit ]] || { echo "FAIL: no saved run of $name in $out"; exit 1; }
got=$(python3 "$src/tests/examples/render.py" "$out/$name.json" "$(cat "$out/$name.exit")") || exit 1
if ! diff -u --label "tests/examples/$name.expected" --label "ecsim run (this build)" \
       <(grep -v '^#' "$want") <(echo "$got"); then
  echo "FAIL: scenarios/$name.yaml: the verdict lines differ from tests/examples/$name.expected (diff above)."
  echo "      A deliberate change in behaviour: tools/update_examples.sh, and say why in the commit."
  exit 1
fi
echo "$got"
echo "ok: scenarios/$name.yaml matches tests/examples/$name.expected"
