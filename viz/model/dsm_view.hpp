// The DSM tab's view of one key: what every node's replica holds for it at
// the cursor, rebuilt from the trace's DSM records (proto/dsm.hpp, record
// type 20): a node's own SET and an entry it took from a peer set the value;
// an entry that lost to the local one changes nothing; a crash empties the
// replica (it is volatile) until anti-entropy repairs it. Also the last
// resolutions of the key (which node kept which writer's value), so a
// concurrent write's outcome reads at a glance. Complete for the keys of
// the scenario's dsm_set / dsm_get actions (the Timeline keeps all their DSM
// records); for other keys only conflicts are kept. No ImGui.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/timeline.hpp"

namespace ecsim::viz {

struct DsmCell {
  uint64_t value = 0;
  uint32_t writer = 0;  // the node whose write it is
};

struct DsmKeyView {
  std::vector<std::optional<DsmCell>> by_node;  // by node id; nullopt: nothing held
  std::vector<uint64_t> resolutions;            // record indices of the key's last DSM records, oldest first
  bool converged = false;                       // every up replica holding it holds the same value, and one does
};

// REQUIRES: the cursor is within the collected records.
DsmKeyView dsm_key_view(const Timeline& t, uint64_t key, size_t resolutions_max = 12);

}  // namespace ecsim::viz
