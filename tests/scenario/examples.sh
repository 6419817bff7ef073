#!/usr/bin/env bash
# Every scenario shipped in scenarios/ validates and ends with its expected
# exit code: 0, or the one named by a leading "# expect-exit: N" line
# (overload.yaml is meant to fail its SLA checks).
set -u
ecsim=$1; src=$2; fail=0
for f in "$src"/scenarios/*.yaml; do
  want=$(sed -n 's/^# expect-exit: \([0-9]\)$/\1/p' "$f" | head -1)
  want=${want:-0}
  out=$("$ecsim" run "$f" --quiet 2>&1); got=$?
  if [[ $got -eq $want ]]; then
    echo "ok: $(basename "$f") exits $got: $(echo "$out" | tr '\n' ' ')"
  else
    echo "FAIL: $(basename "$f") exits $got, expected $want:"; "$ecsim" run "$f" | sed 's/^/    /'; fail=1
  fi
done
exit $fail
