#include "ecsim/scenario/invariants.hpp"

#include <array>

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

std::optional<Invariant> invariant_by_name(std::string_view name) {
  for (const InvariantInfo& i : kInvariants) {
    if (i.name == name) return i.id;
  }
  return std::nullopt;
}

std::string_view invariant_name(Invariant i) { return kInvariants[static_cast<size_t>(i)].name; }

}  // namespace ecsim::scenario
