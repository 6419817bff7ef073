// The Node tab's 2PC lock table in the order it is drawn: the followed
// transaction's rows (it holds the key or waits for it) first, then every
// other row by key -- the whole table, however long (the panel draws only
// the rows in view). No ImGui.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ecsim/tiers/snapshot.hpp"

namespace ecsim::viz {

struct LockRows {
  std::vector<const tiers::LockSnapshot*> rows;  // into the snapshot
  size_t followed = 0;   // the first `followed` rows are the followed transaction's
  uint64_t held = 0;     // rows with a holder
  uint64_t missing = 0;  // rows of the node's table the snapshot did not list (its locks_max)
};

// REQUIRES: `s` outlives the result. followed = 0: none.
LockRows lock_rows(const tiers::NodeSnapshot& s, uint64_t followed);

}  // namespace ecsim::viz
