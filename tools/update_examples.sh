#!/usr/bin/env bash
# Regenerates the sidecars tests/examples/NAME.expected: the verdict lines of
# one run of every scenarios/NAME.yaml ("quickstart": `ecsim run` with no
# file), from a built ecsim (default build/release/ecsim). Run it for a new
# example, or for a deliberate change in behaviour (say why in the commit),
# and read the diff: the sidecar is what the example is meant to show.
# An example whose exit code is not the one its file declares (0, or the one
# a leading "# expect-exit: N" line names) is refused: fix it first.
# Usage: tools/update_examples.sh [ECSIM] [NAME...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ecsim=${1:-$root/build/release/ecsim}
shift || true
cd "$root"
names=("$@")
if (( ${#names[@]} == 0 )); then
  for f in scenarios/*.yaml; do names+=("$(basename "$f" .yaml)"); done
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
refused=0
for name in "${names[@]}"; do
  scn=scenarios/$name.yaml
  if [[ $name == quickstart ]]; then args=(); cmd="ecsim run"; else args=("$scn"); cmd="ecsim run $scn"; fi
  until=$(sed -n 's/^# test-until: \([0-9a-z]*\)$/\1/p' "$scn" | head -1)  # see tests/examples/example.sh
  if [[ -n $until ]]; then args+=(--until "$until"); cmd+=" --until $until"; fi
  set +e; "$ecsim" run "${args[@]}" --json > "$tmp/run.json"; code=$?; set -e
  want=$(sed -n 's/^# expect-exit: \([0-9]\)$/\1/p' "$scn" | head -1)
  if [[ $code != "${want:-0}" ]]; then
    echo "refused: $scn exits $code, its file declares ${want:-0} (# expect-exit)"; refused=1; continue
  fi
  seed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$tmp/run.json")
  {
    echo "# Expected verdict lines of \`$cmd\` (seed $seed, the scenario's own): the end of its"
    echo "# summary and its exit code. tests/examples/example.sh compares; tools/update_examples.sh writes."
    python3 tests/examples/render.py "$tmp/run.json" "$code"
  } > "tests/examples/$name.expected"
  echo "wrote tests/examples/$name.expected"
done
exit $refused
