// Node naming, node selectors, and the built-in link settings per tier pair.
// Nodes are numbered edge-1..edge-E, core-1..core-C, cloud-1..cloud-K in that
// order; a selector resolves to node ids in ascending order, so whatever
// iterates over its result does so in an order fixed by the topology alone.
#include "ecsim/scenario/selector.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "ecsim/net/latency.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::scenario {

namespace {

constexpr std::array<Tier, kTierCount> kTiers{Tier::kEdge, Tier::kCore, Tier::kCloud};

uint32_t node_count(const Topology& topology) {
  return static_cast<uint32_t>(topology.edge + topology.core + topology.cloud);
}

}  // namespace

const char* tier_name(Tier t) {
  switch (t) {
    case Tier::kEdge:
      return "edge";
    case Tier::kCore:
      return "core";
    case Tier::kCloud:
      return "cloud";
  }
  ECSIM_ASSERT(false && "unknown tier");
  return "";
}

std::vector<std::string> node_names(const Topology& topology) {
  std::vector<std::string> names;
  names.reserve(node_count(topology));
  for (Tier t : kTiers) {
    ECSIM_ASSERT(topology.count(t) >= 0 && topology.count(t) <= kNodesPerTierMax);
    for (int i = 1; i <= topology.count(t); ++i)
      names.push_back(fmt::format("{}-{}", tier_name(t), i));
  }
  return names;
}

Tier node_tier(const Topology& topology, uint32_t node) {
  ECSIM_ASSERT(node < node_count(topology));
  uint32_t first = 0;
  for (Tier t : kTiers) {
    first += static_cast<uint32_t>(topology.count(t));
    if (node < first) return t;
  }
  ECSIM_ASSERT(false && "node beyond the last tier");
  return Tier::kCloud;
}

// Iterative matcher with one backtrack point (the last '*'): linear in the
// common case and at worst |pattern| * |text|, never exponential, so a
// hostile selector cannot stall the loader.
bool glob_match(std::string_view pattern, std::string_view text) {
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;  // position of the last '*' seen
  size_t star_text = 0;                  // text position that '*' resumes from
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::vector<uint32_t> resolve(const Topology& topology, std::string_view selector) {
  const uint32_t total = node_count(topology);
  std::vector<uint32_t> nodes;
  if (selector == "*") {
    for (uint32_t i = 0; i < total; ++i) nodes.push_back(i);
    return nodes;
  }
  for (Tier t : kTiers) {
    if (selector != tier_name(t)) continue;
    for (uint32_t i = 0; i < total; ++i) {
      if (node_tier(topology, i) == t) nodes.push_back(i);
    }
    return nodes;
  }
  const bool is_glob = selector.find_first_of("*?") != std::string_view::npos;
  const std::vector<std::string> names = node_names(topology);
  for (uint32_t i = 0; i < total; ++i) {
    if (is_glob ? glob_match(selector, names[i]) : selector == names[i]) nodes.push_back(i);
  }
  ECSIM_ASSERT(std::is_sorted(nodes.begin(), nodes.end()));
  return nodes;
}

// Lognormal (median, p99) per tier pair: a short hop inside a site, a metro
// hop edge to core, a WAN hop to the cloud. docs/model.md gives the sources.
net::LinkConfig builtin_link_config(Tier a, Tier b) {
  using sim::microseconds;
  using sim::milliseconds;
  struct Pair {
    sim::Duration median;
    sim::Duration p99;
  };
  // Indexed [min tier][max tier]; the lower triangle is never read.
  static constexpr Pair kTable[kTierCount][kTierCount] = {
      {{microseconds(500), milliseconds(2)},
       {milliseconds(2), milliseconds(8)},
       {milliseconds(10), milliseconds(40)}},
      {{}, {microseconds(500), milliseconds(2)}, {milliseconds(5), milliseconds(20)}},
      {{}, {}, {milliseconds(1), milliseconds(4)}},
  };
  const auto lo = static_cast<size_t>(std::min(a, b));
  const auto hi = static_cast<size_t>(std::max(a, b));
  ECSIM_ASSERT(hi < static_cast<size_t>(kTierCount));
  const Pair& pair = kTable[lo][hi];
  ECSIM_ASSERT(pair.median.ns > 0 && pair.p99 > pair.median);
  net::LinkConfig config;
  config.latency = net::LatencyModel::lognormal(pair.median, pair.p99);
  config.drop_ppm = 0;
  config.duplicate_ppm = 0;
  config.reorder = false;
  // Edge sites reach the core data centre over networks they do not own:
  // that traffic is encrypted (docs/model.md). Inside a site or region it is not.
  config.tls = lo == static_cast<size_t>(Tier::kEdge) && hi == static_cast<size_t>(Tier::kCore);
  return config;
}

void apply_patch(net::LinkConfig& config, const LinkPatch& patch) {
  if (patch.latency) config.latency = *patch.latency;
  if (patch.drop_ppm) config.drop_ppm = *patch.drop_ppm;
  if (patch.tls) config.tls = *patch.tls;
  if (patch.duplicate_ppm) config.duplicate_ppm = *patch.duplicate_ppm;
  if (patch.reorder) config.reorder = *patch.reorder;
  ECSIM_ASSERT(config.drop_ppm <= net::kPpmOne && config.duplicate_ppm <= net::kPpmOne);
}

}  // namespace ecsim::scenario
