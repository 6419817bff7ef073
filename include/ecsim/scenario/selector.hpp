// Node naming and node selectors. Nodes are numbered edge-1..edge-E,
// core-1..core-C, cloud-1..cloud-K in that order; NodeId is that index.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/scenario/scenario.hpp"

namespace ecsim::scenario {

inline constexpr int kNodesPerTierMax = 100;

std::vector<std::string> node_names(const Topology& topology);
Tier node_tier(const Topology& topology, uint32_t node);

// Glob match with '*' (any run) and '?' (one character).
bool glob_match(std::string_view pattern, std::string_view text);

// The nodes a selector names, ascending. Empty when it matches none.
// "edge" | "core" | "cloud" select a tier; "*" every node; otherwise a name
// or a glob over names.
std::vector<uint32_t> resolve(const Topology& topology, std::string_view selector);

}  // namespace ecsim::scenario
