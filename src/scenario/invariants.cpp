#include "ecsim/scenario/invariants.hpp"

#include <algorithm>
#include <array>

#include "ecsim/scenario/selector.hpp"

namespace ecsim::scenario {

namespace {
constexpr std::array<InvariantInfo, 9> kInvariants{{
    {Invariant::kDurability, "durability", false},
    {Invariant::kCausality, "causality", true},
    {Invariant::kConvergence, "convergence", true},
    {Invariant::kEdgeIsolation, "edge_isolation", true},
    {Invariant::kExactlyOnce, "exactly_once", true},
    {Invariant::kAcknowledgedWrites, "acknowledged_writes", true},
    {Invariant::kCatchUp, "catch_up", true},
    {Invariant::kAtMostOnce, "at_most_once", true},
    {Invariant::kTokens, "tokens", true},
}};
}  // namespace

std::span<const InvariantInfo> invariants() { return kInvariants; }

std::string_view missing_for(Invariant i, const std::vector<Fault>& faults, const Topology& topology, bool tiers) {
  const bool cloud_only = i == Invariant::kCatchUp || (i == Invariant::kDurability && tiers);
  if (i != Invariant::kCatchUp && i != Invariant::kDurability) return {};
  for (const Fault& f : faults) {
    // A crash at a protocol point crashes its node too (if the point is reached).
    if (f.kind != Fault::Kind::kCrash && f.kind != Fault::Kind::kAtPoint) continue;
    if (f.kind == Fault::Kind::kAtPoint && f.action != Fault::PointAction::kCrash) continue;  // a cut
    for (uint32_t n : resolve(topology, f.target.text)) {
      if (!cloud_only || node_tier(topology, n) == Tier::kCloud) return {};
    }
  }
  return cloud_only ? "a crash of a cloud node in the schedule (its restart is what it judges)"
                    : "a crash in the schedule (what survives one is what it judges)";
}

bool has_window(const Fault& f) {
  return f.kind != Fault::Kind::kRestart && f.kind != Fault::Kind::kHeal && f.kind != Fault::Kind::kAtPoint &&
         !is_action(f.kind);
}

bool is_outage(const Fault& f) { return has_window(f) && f.kind != Fault::Kind::kByzantine; }

bool has_fault_window(const std::vector<Fault>& faults) {
  return std::any_of(faults.begin(), faults.end(), [](const Fault& f) { return is_outage(f); });
}

bool has_point_crash(const std::vector<Fault>& faults) {
  return std::any_of(faults.begin(), faults.end(), [](const Fault& f) { return f.kind == Fault::Kind::kAtPoint; });
}

std::optional<Invariant> invariant_by_name(std::string_view name) {
  for (const InvariantInfo& i : kInvariants) {
    if (i.name == name) return i.id;
  }
  return std::nullopt;
}

std::string_view invariant_name(Invariant i) { return kInvariants[static_cast<size_t>(i)].name; }

}  // namespace ecsim::scenario
