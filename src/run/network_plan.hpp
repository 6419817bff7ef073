// The scenario's network and faults as the billing termination verdict reads
// them (check/reachability.hpp): each link's base drop rate and latency tail,
// and what each fault does to which links. Private to src/run/.
#pragma once
#include <cstddef>

#include "ecsim/check/reachability.hpp"
#include "ecsim/scenario/scenario.hpp"

namespace ecsim::run {

// REQUIRES: `sc` is validated; `nodes` is its node count.
check::NetworkPlan network_plan(const scenario::Scenario& sc, size_t nodes);

}  // namespace ecsim::run
