// A sparse vector clock: only the non-zero entries, sorted by node id, so its
// size grows with the nodes a message has heard of, not with the cluster.
// This is the value type carried beside a message; the logic (increment,
// merge, happens-before) lives in proto/vclock.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "ecsim/net/envelope.hpp"

namespace ecsim::net {

struct VectorClock {
  // (node, counter) with counter > 0, strictly ascending by node.
  std::vector<std::pair<NodeId, uint64_t>> entries;

  uint64_t get(NodeId node) const {
    for (const auto& [n, c] : entries) {
      if (n == node) return c;
      if (n > node) break;
    }
    return 0;
  }
  bool operator==(const VectorClock&) const = default;
};

}  // namespace ecsim::net
