// The viewer's state of a run at one cursor position: which nodes are up,
// the messages in flight, the partitions in force, each node's latest
// load sample and running counters. It is a plain copyable value built only
// by applying trace records in order (apply()), so a copy taken at record N
// is a checkpoint: restoring it and applying records N.. gives exactly the
// state that applying every record from the start gives. No ImGui here
// (DESIGN.md, "Viewer").
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/sim/trace.hpp"

namespace ecsim::viz {

// A node's tier, in the scenario's order (scenario::Tier).
enum class Tier : uint8_t { kEdge = 0, kCore = 1, kCloud = 2 };
inline constexpr size_t kTiers = 3;
const char* tier_name(Tier t);  // "edge", "core", "cloud"

// One message between send and its deliver or drop.
struct InFlight {
  uint32_t from = 0;
  uint32_t to = 0;
  uint32_t kind = 0;
  int64_t sent_ns = 0;
  // Its send record's index: the Timeline knows when it ends (deliver or
  // drop) once the run got that far. Not kept here, so a checkpoint taken
  // before its end is known equals a state rebuilt later.
  uint64_t send_index = 0;
  bool operator==(const InFlight&) const = default;
};

// A message that was dropped recently (kept for drawing where it died).
struct RecentDrop {
  uint32_t from = 0;
  uint32_t to = 0;
  uint16_t reason = 0;  // sim::DropReason
  int64_t at_ns = 0;
  bool operator==(const RecentDrop&) const = default;
};

struct NodeState {
  bool up = true;
  uint32_t incarnation = 0;
  int64_t down_since_ns = -1;  // -1: up
  // The latest `load` sample (every simulated second).
  uint32_t cpu_permille = 0;
  uint32_t memory_permille = 0;
  uint32_t queue_length = 0;
  uint32_t connections = 0;
  uint32_t response_us = 0;
  uint64_t sent = 0;       // messages sent
  uint64_t received = 0;   // messages delivered to it
  uint64_t dropped = 0;    // messages to it dropped
  uint64_t faults = 0;     // fault records naming it, crashes included
  uint32_t last_phase = 0;  // the type of its last protocol-phase record (0: none)
  bool operator==(const NodeState&) const = default;
};

// Counters over the whole run up to the cursor.
struct Counters {
  uint64_t sends = 0;
  uint64_t delivers = 0;
  uint64_t drops = 0;
  uint64_t duplicates = 0;
  uint64_t crashes = 0;
  uint64_t restarts = 0;
  uint64_t faults = 0;
  uint64_t failures = 0;  // critical records: failed requests, timeouts, limits
  uint64_t phases = 0;    // protocol-phase records (2PC, rehydration, suspicion)
  bool operator==(const Counters&) const = default;
};

struct ViewState {
  static constexpr size_t kRecentDropsMax = 64;

  uint64_t applied = 0;  // records applied: the cursor's event index
  int64_t now_ns = 0;    // the time of the last record applied
  std::vector<NodeState> nodes;
  std::map<uint64_t, InFlight> in_flight;  // by message id
  std::vector<RecentDrop> recent_drops;    // oldest first, at most kRecentDropsMax
  // The scenario's faults (by index) in force that may cut links: the
  // partitions and the at_point faults (a cut, or a crash: Timeline::link_cut
  // tells them apart), in the order they applied; a heal empties it. The
  // links they cut come from the scenario (Timeline::link_cut): drawn from
  // the drops seen, a link that carried nothing looked whole.
  std::vector<uint32_t> partitions;
  Counters counters;

  explicit ViewState(size_t node_count = 0) : nodes(node_count) {}
  bool operator==(const ViewState&) const = default;

  // Applies the next record, the one at index `applied` of the viewer's
  // records. REQUIRES: records come in trace order.
  void apply(const sim::Record& r);
  // An estimate of the bytes this value holds (checkpoint accounting).
  size_t bytes() const;
  // What a std::map node costs beside its value, in these estimates: about
  // four words of links and colour.
  static constexpr size_t kMapNodeOverhead = 4 * sizeof(void*);
  // A 64-bit digest of the whole value (tests: two states are the same).
  uint64_t digest() const;
  uint32_t up_count(const std::vector<Tier>& tiers, Tier t) const;
};

}  // namespace ecsim::viz
