#!/usr/bin/env bash
# Every scenario shipped in scenarios/ validates and passes with its own seed.
set -u
ecsim=$1; src=$2; fail=0
for f in "$src"/scenarios/*.yaml; do
  if out=$("$ecsim" run "$f" --quiet 2>&1); then
    echo "ok: $(basename "$f"): $(echo "$out" | tr '\n' ' ')"
  else
    echo "FAIL: $(basename "$f") (exit $?):"; "$ecsim" run "$f" | sed 's/^/    /'; fail=1
  fi
done
exit $fail
