// Random valid scenarios (the swarm generator's sibling): for a seed, the
// YAML text of a whole scenario -- a random topology, the ping model or the
// three-tier model with a requests workload (and in a third of them a
// billing workload: 2PC transactions, now and then the edge billing cache,
// with the 2PC protocol points among the faults), link settings, model
// parameters within their documented ranges (docs/scenarios.md), a fault
// schedule and expectations that can apply to it. Every text loads (the
// generator keeps the loader's rules: no fault on a node that is down,
// invariants only where they have something to judge), and every one must
// run to a verdict, exit 0 or 1: `ecsim run --random-scenario --seed N`
// runs one, `ecsim sweep --random-scenarios --seeds A..B` many
// (tests/sweep/random_scenarios.sh). Runs are kept short (simulated
// seconds, modest rates), so hundreds take minutes.
#pragma once
#include <cstdint>
#include <string>

namespace ecsim::fault {

// The scenario of `seed`, as YAML; the same seed gives the same text.
// Loading it with scenario::load_scenario_text never fails.
std::string random_scenario_text(uint64_t seed);

}  // namespace ecsim::fault
