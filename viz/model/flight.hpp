// The messages in flight, aggregated for large topologies: one group per
// link (from, to) carrying a count and the mean progress of its messages
// along it, or, when there are more busy links than `links_max`, one group
// per tier pair (edge -> core, ...). The topology draws one dot per group,
// sized by its count, instead of one per message (metro.yaml: 28,000 in
// flight). No ImGui here.
#pragma once
#include <cstdint>
#include <vector>

#include "model/view_state.hpp"

namespace ecsim::viz {

class Timeline;
class TxnFollow;

struct FlightGroup {
  uint32_t from = 0;  // a node, or a Tier when FlightGroups::by_tier
  uint32_t to = 0;
  uint32_t count = 0;
  float progress = 0.5f;  // mean fraction of the way from `from` to `to`, 0..1
  bool followed = false;  // carries a message of the followed transaction
};

struct FlightGroups {
  bool by_tier = false;
  std::vector<FlightGroup> groups;  // ordered by (from, to)
  uint64_t messages = 0;            // the sum of the counts: every message in flight
};

// A message's progress along its link at the cursor: 0.5 when its end is
// not known yet (not simulated that far).
float flight_progress(const Timeline& t, const InFlight& m);

// REQUIRES: links_max >= 1. `follow`: may be null.
FlightGroups group_in_flight(const Timeline& t, size_t links_max, const TxnFollow* follow);

}  // namespace ecsim::viz
