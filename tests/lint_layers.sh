#!/usr/bin/env bash
# The run and the checkers never reach into an actor (DESIGN: check/ reads
# trace records only; run/ assembles and hands facts to the judge): no cast
# of an actor to its concrete type under src/run/ or src/check/, and no call
# of tiers::tier_node() (or the roles' edge_node(), core_node(),
# cloud_node()) there: the tiers trace the end state the verdicts compare
# (tiers/end_state.hpp) and total the summary's counters
# (tiers::protocol_totals). run/ only creates the nodes (make_tier_node).
# Also: no source file or header under src/, include/ or viz/ passes 600
# lines.
set -u
root=$1
cd "$root" || exit 2
fail=0
hits=$(grep -rnE '(static|dynamic|reinterpret)_cast<[^>]*(Actor|TierNode|EdgeNode|CoreNode|CloudNode|PingActor)[^>]*>|->actor\(|\.actor\(|\b(tier|edge|core|cloud)_node\(' \
  src/run src/check || true)
if [[ -n $hits ]]; then
  echo "actor internals reached from run/ or check/:"
  echo "$hits"
  fail=1
fi
for f in $(find src include viz -name '*.cpp' -o -name '*.hpp' | sort); do
  n=$(wc -l < "$f")
  if (( n > 600 )); then echo "$f: $n lines, expected at most 600"; fail=1; fi
done
(( fail == 0 )) && echo "run/ and check/ read no actor; files under 600 lines"
exit $fail
