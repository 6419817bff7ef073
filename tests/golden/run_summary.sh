#!/usr/bin/env bash
# The readable run summary of tests/data/scenarios/small.yaml, with the wall
# time line masked, must match tests/golden/small.txt exactly.
set -u
ecsim=$1; src=$2
out=$("$ecsim" run "$src/tests/data/scenarios/small.yaml" | sed -E 's/^(  wall time +).*/\1<masked>/; s#\(/.*/tests/#(tests/#')
if ! diff <(echo "$out") "$src/tests/golden/small.txt"; then
  echo "FAIL: summary differs from tests/golden/small.txt (diff above)"
  exit 1
fi
echo "ok: summary matches"
