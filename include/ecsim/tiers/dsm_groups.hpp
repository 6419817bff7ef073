// DSM groups (docs/model.md, "Scale"): the distributed shared memory is
// replicated within groups of at most kDsmGroupMax nodes, not across the
// whole cluster, so a DSM write costs one update per group peer and an
// anti-entropy round one digest per group peer, whatever the cluster's
// size. The nodes 0..n-1 (edge, then core, then cloud, as the topology
// numbers them) form ceil(n / kDsmGroupMax) groups of consecutive ids whose
// sizes differ by at most one; a cluster of kDsmGroupMax nodes or fewer is
// one group, as it was before groups existed. Only replicas of one group
// must converge (check/convergence.hpp).
#pragma once
#include <cstdint>
#include <vector>

#include "ecsim/sim/assert.hpp"

namespace ecsim::tiers {

inline constexpr uint32_t kDsmGroupMax = 8;

// REQUIRES: nodes > 0.
inline uint32_t dsm_group_count(uint32_t nodes) {
  ECSIM_ASSERT(nodes > 0);
  return (nodes + kDsmGroupMax - 1) / kDsmGroupMax;
}

// The group of `node`. REQUIRES: node < nodes.
inline uint32_t dsm_group_of(uint32_t node, uint32_t nodes) {
  ECSIM_ASSERT(node < nodes);
  const uint32_t groups = dsm_group_count(nodes);
  const uint32_t base = nodes / groups;   // the smaller size
  const uint32_t larger = nodes % groups;  // the first `larger` groups hold base + 1
  const uint32_t in_larger = larger * (base + 1);
  return node < in_larger ? node / (base + 1) : larger + (node - in_larger) / base;
}

// Every node's group, by node id.
inline std::vector<uint32_t> dsm_groups(uint32_t nodes) {
  std::vector<uint32_t> out(nodes);
  for (uint32_t n = 0; n < nodes; ++n) out[n] = dsm_group_of(n, nodes);
  return out;
}

}  // namespace ecsim::tiers
