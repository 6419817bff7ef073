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

// Topology limits. In all, at most the network's 2048 nodes
// (net::Network::kNodesMax). With vector clocks on (the default), at most
// kNodesWithClocksMax: a clock of one entry per node rides on every message
// and each node keeps one per DSM key, so their memory grows with the square
// of the cluster; larger clusters run with `model: { vector_clocks: false }`
// (docs/model.md, "Scale").
inline constexpr int kNodesPerTierMax = 1000;
inline constexpr int kNodesMax = 2048;
inline constexpr int kNodesWithClocksMax = 300;

std::vector<std::string> node_names(const Topology& topology);
Tier node_tier(const Topology& topology, uint32_t node);

// Glob match with '*' (any run) and '?' (one character).
bool glob_match(std::string_view pattern, std::string_view text);

// The nodes a selector names, ascending. Empty when it matches none.
// "edge" | "core" | "cloud" select a tier; "*" every node; otherwise a name
// or a glob over names.
std::vector<uint32_t> resolve(const Topology& topology, std::string_view selector);

}  // namespace ecsim::scenario
