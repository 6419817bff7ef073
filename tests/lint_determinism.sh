#!/usr/bin/env bash
# Fails if model code (everything under src/ and include/ecsim/ except the CLI
# and bench mode, which may time wall clocks and run sweeps) includes a wall
# clock, threads or <random>, or calls rand()/random_device.
set -u
root=$1
cd "$root" || exit 2
hits=$(grep -rnE '#include[[:space:]]*<(chrono|thread|random|ctime|mutex)>|[^_a-zA-Z]rand\(|random_device' \
  src include/ecsim --include='*.hpp' --include='*.cpp' --include='*.h' \
  | grep -vE '^src/(cli|bench)/' || true)
if [[ -n $hits ]]; then
  echo "forbidden in model code (DESIGN.md determinism rules):"
  echo "$hits"
  exit 1
fi
echo "model code is free of wall clocks, threads and <random>"
