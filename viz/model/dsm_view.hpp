// The DSM tab's view of one key: what every node's replica holds for it at
// the cursor, rebuilt from the trace's DSM records (proto/dsm.hpp, record
// type 20): a node's own SET and an entry it took from a peer set the value;
// an entry that lost to the local one changes nothing; a crash empties the
// replica (it is volatile) until anti-entropy repairs it. Also the last
// resolutions of the key (which node kept which writer's value), so a
// concurrent write's outcome reads at a glance. Complete for the keys of
// the scenario's dsm_set / dsm_get actions (the Timeline keeps all their DSM
// records); for other keys only conflicts are kept. No ImGui.
//
// Replicas converge within their DSM group (tiers/dsm_groups.hpp: groups of
// at most eight nodes), not across groups: `converged` compares each
// group's replicas among themselves.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "model/timeline.hpp"

namespace ecsim::viz {

struct DsmCell {
  uint64_t value = 0;
  uint32_t writer = 0;  // the node whose write it is
  bool operator==(const DsmCell&) const = default;
};

struct DsmKeyView {
  std::vector<std::optional<DsmCell>> by_node;  // by node id; nullopt: nothing held
  std::vector<uint64_t> resolutions;            // record indices of the key's last DSM records, oldest first
  // In every DSM group, the up replicas holding it hold the same entry, and
  // at least one replica holds it.
  bool converged = false;
};

// REQUIRES: the cursor is within the collected records. Scans every record
// up to the cursor: DsmKeyTracker does it incrementally.
DsmKeyView dsm_key_view(const Timeline& t, uint64_t key, size_t resolutions_max = 12);

// The same view kept up to date as the cursor moves: forwards it applies
// only the records since its last position; backwards (or for another key
// or timeline) it starts again from the first record.
class DsmKeyTracker {
 public:
  explicit DsmKeyTracker(size_t resolutions_max = 12) : resolutions_max_(resolutions_max) {}
  const DsmKeyView& view(const Timeline& t, uint64_t key);
  uint64_t records_scanned() const { return scanned_; }  // work done (tests)

 private:
  void reset(const Timeline& t, uint64_t key);
  size_t resolutions_max_;
  uint64_t timeline_id_ = 0;
  uint64_t key_ = 0;
  uint64_t position_ = 0;  // records applied
  std::deque<uint64_t> recent_;
  DsmKeyView view_;
  uint64_t scanned_ = 0;
};

}  // namespace ecsim::viz
