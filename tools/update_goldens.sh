#!/usr/bin/env bash
# Regenerates tests/golden/hashes.txt and tests/golden/small.txt from a built
# ecsim (default build/release/ecsim); tools/update_examples.sh regenerates
# the examples' sidecars. Run it only for a deliberate change in
# behaviour, and say why in the commit message.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ecsim=${1:-$root/build/release/ecsim}
cd "$root"
hash_of() { "$ecsim" run "$@" --quiet | sed -n 's/^trace hash: //p'; }
{
  echo '# SCENARIO (path from the source root, or "quickstart" for the built-in) SEED HASH'
  echo '# (each scenarios/ file at its own seed is pinned by its sidecar, tests/examples/NAME.expected)'
  echo "quickstart 2 $(hash_of --seed 2)"
  for f in tests/data/scenarios/small.yaml tests/data/scenarios/faults.yaml scenarios/flaky-network.yaml \
           scenarios/rolling-crashes.yaml scenarios/three-tier.yaml scenarios/bad-tokens.yaml \
           scenarios/partition-heal-dsm.yaml \
           scenarios/edge-crash-rehydrate.yaml scenarios/cloud-replica-loss.yaml \
           scenarios/edge-direct-write.yaml scenarios/lossy-links.yaml; do
    echo "$f 3 $(hash_of "$f" --seed 3)"
  done
} > tests/golden/hashes.txt
"$ecsim" run tests/data/scenarios/small.yaml | sed -E 's/^(  wall time +).*/\1<masked>/' > tests/golden/small.txt
echo "updated tests/golden/hashes.txt and tests/golden/small.txt:"
cat tests/golden/hashes.txt
