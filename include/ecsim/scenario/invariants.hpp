// The invariants a scenario's `expect.invariants` may name: one registry for
// the loader (which names exist, which need the three-tier model) and the
// judge (run/runner.cpp judges exactly the ones a scenario lists).
// docs/scenarios.md describes each.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ecsim/scenario/scenario.hpp"

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

// Empty when `i` can apply to the schedule as written; otherwise what it
// lacks ("a crash of a cloud node"). `durability` needs a crash (of a cloud
// node on the three tiers, whose replicas it judges), `catch_up` a crash of a
// cloud node. REQUIRES: the faults' selectors resolve.
std::string_view missing_for(Invariant i, const std::vector<Fault>& faults, const Topology& topology,
                             bool tiers);
// A fault with a window of simulated time in force (scenario/windows.hpp):
// every fault but a restart, a heal (they end windows) and a fault at a
// protocol point (its time is not known before the run).
bool has_window(const Fault& f);
// A fault with a window that is an outage: every one but Byzantine
// behaviour (an attack the cluster must refuse, not an outage its served
// ratio recovers from).
bool is_outage(const Fault& f);
// Some fault is an outage. A scenario with a requests workload and an
// outage must then expect `recovers_within` (validate refuses it without).
bool has_fault_window(const std::vector<Fault>& faults);
// Some fault is a crash at a protocol point: an outage too, but only if its
// point is reached, at a time known only then. `recovers_within` may judge
// one (its window, once it fired) but is not required for it: a run that
// never reaches the point has no outage, and the verdict nothing to judge.
bool has_point_crash(const std::vector<Fault>& faults);
std::optional<Invariant> invariant_by_name(std::string_view name);
std::string_view invariant_name(Invariant i);

}  // namespace ecsim::scenario
