// The invariants a scenario's `expect.invariants` may name: one registry for
// the loader (which names exist, which need the three-tier model) and the
// judge (run/runner.cpp judges exactly the ones a scenario lists).
// docs/scenarios.md describes each.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ecsim::scenario {

enum class Invariant : uint8_t {
  kDurability,
  kCausality,
  kConvergence,
  kEdgeIsolation,
  kExactlyOnce,
  kAcknowledgedWrites,
  kCatchUp,
  kAtMostOnce,
  kTokens,
};

struct InvariantInfo {
  Invariant id;
  std::string_view name;
  bool tiers_only;  // needs a `requests` workload (the three-tier model)
};

std::span<const InvariantInfo> invariants();
std::optional<Invariant> invariant_by_name(std::string_view name);
std::string_view invariant_name(Invariant i);

}  // namespace ecsim::scenario
