// The invariants a scenario's `expect.invariants` may name: one registry for
// the loader (which names exist, which need the three-tier model) and the
// judge (run/runner.cpp judges exactly the ones a scenario lists).
// docs/scenarios.md describes each.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
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

// Empty when `i` can have something to judge in `sc` as written; otherwise
// what it lacks ("a crash of a cloud node ..."). Each rule names what the
// invariant's checker counts, so that a scenario refused here is one whose
// verdict could only be "nothing to judge":
//   durability   a crash (of a cloud node that restarts before the end of
//                the run, on the three tiers, whose replicas' log replays
//                it judges);
//   catch_up     a crash of a cloud node that restarts before the end;
//   convergence  DSM writes (a requests workload with dsm_set in its mix, or
//                a dsm_set action);
//   exactly_once messages through msgq: DSM writes, or the edge billing
//                cache's invalidations (a billing workload with a cache and
//                an operation that writes);
//   acknowledged_writes  writes (write in some requests workload's mix);
//   edge_isolation  writes, or a Byzantine edge node writing to cloud;
//   at_most_once calls to core (a session check, read or write; billing);
//   tokens       requests with a bad token (bad_tokens above 0).
// Clients with bad_tokens: 100% write and call nothing. An at_point crash
// with `for` counts as one that restarts (its point may be reached); one
// without never restarts.
// REQUIRES: the faults' selectors resolve.
std::string_view missing_for(Invariant i, const Scenario& sc);
// Whether the loader accepts invariant `i` in `sc` expecting `quiescence`:
// nothing is missing_for it, and for convergence the network can be whole
// for `quiescence` before the end (convergence_unjudgeable in
// scenario/windows.hpp). What generated scenarios draw from.
bool judgeable(Invariant i, const Scenario& sc, sim::Duration quiescence);
// Some requests workload has clients whose requests are not all refused
// for a bad token (`past_edge`: and that send some past the edge, a session
// check, a read or a write, which go through core to cloud; DSM operations
// stay at the edge). The figures judged over such requests (served ratio,
// core and cloud latencies) need them.
bool clients_admitted(const Scenario& sc, bool past_edge);
// Some request can count in the served ratio: a ping workload, or clients
// not all refused (refused requests are left out of the ratio).
bool served_ratio_countable(const Scenario& sc);
// What keeps `expect.billing.KEY` (served_ratio_min, latency_p99,
// read_latency_p99, recovers_within) from being judged in `sc`, as the tail
// of an error after the key ("in a scenario without a billing workload,
// expected ..."), or a whole message starting "expect." (recovers_within
// with no second to judge); empty when nothing does. The latencies need
// operations of their kind: a transaction (a mix that writes, or a billing
// action), a read; recovers_within a fault window and a second after it.
// `within`: billing.recovers_within's value, which sets its deadline.
std::string billing_expect_missing(const Scenario& sc, std::string_view key, sim::Duration within = sim::seconds(1));
// A latency bound that could never fail (`key`: latency_p99.ping,
// latency_p99.edge, latency_p99.core, billing.latency_p99,
// billing.read_latency_p99): every operation of its clients counts at most
// at their timeout (a failure at it, one unanswered at the end at its
// age), so a bound at or above the longest timeout of those clients holds
// whatever happens. The whole message, or "" when the bound can fail.
std::string latency_bound_refusal(const Scenario& sc, std::string_view key, sim::Duration bound);
// The first thing wrong with `sc.expect.billing` as a whole (a key missing
// its operations, a ratio outside 0..1, a latency outside (0, 24h]), as an
// error message; empty when nothing is. For scenarios built in C++.
std::string billing_expect_refusal(const Scenario& sc);
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
