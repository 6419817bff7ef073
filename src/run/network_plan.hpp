// The scenario's network and faults as the billing termination verdict reads
// them (check/reachability.hpp): each link's base drop rate and latency tail,
// and what each fault does to which links. Private to src/run/.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ecsim/check/reachability.hpp"
#include "ecsim/net/link_config.hpp"
#include "ecsim/scenario/scenario.hpp"

namespace ecsim::run {

// The base link of each ordered pair of tiers, [from * kTierCount + to]: the
// built-in setting with the scenario's `network.default` on top. What the
// run configures its network with (Run::Impl::configure_links) and the plan
// starts from, so the two cannot drift apart.
std::vector<net::LinkConfig> tier_pair_links(const scenario::Scenario& sc);
// Each node's tier, as a link class.
std::vector<uint8_t> link_classes(const scenario::Scenario& sc, size_t nodes);

// REQUIRES: `sc` is validated; `nodes` is its node count.
check::NetworkPlan network_plan(const scenario::Scenario& sc, size_t nodes);

}  // namespace ecsim::run
