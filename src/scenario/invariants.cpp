#include "ecsim/scenario/invariants.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "ecsim/net/link_config.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/validate.hpp"
#include "ecsim/scenario/windows.hpp"

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

namespace {

// A crash of some node `wanted` accepts, restarted before the end of the run
// (`restarts`) or not. An at_point crash counts as one that may happen
// (whether and when its point is reached is known only in the run), and as
// restarted when it has its own `for`.
bool has_crash(const Scenario& sc, bool restarts, bool (*wanted)(const Topology&, uint32_t)) {
  const sim::Time end = sim::Time{0} + sc.duration;
  for (const Fault& f : sc.faults) {
    if (f.kind == Fault::Kind::kAtPoint && f.action != Fault::PointAction::kCrash) continue;  // a cut
    if (f.kind != Fault::Kind::kCrash && f.kind != Fault::Kind::kAtPoint) continue;
    for (const uint32_t n : resolve(sc.topology, f.target.text)) {
      if (!wanted(sc.topology, n)) continue;
      // An at_point crash restarts only by its own `for` (a timed restart
      // of its node is refused: the loader cannot know it is down then).
      if (!restarts || (f.kind == Fault::Kind::kAtPoint && f.for_duration)) return true;
      if (f.kind == Fault::Kind::kAtPoint) continue;
      // Back before the end, not at it: a restart at the end has no time
      // left to catch up or be judged in.
      if (f.for_duration && f.at + *f.for_duration < end) return true;
      // Restarted by a `restart` fault after the crash, within the run.
      for (const Fault& r : sc.faults) {
        if (r.kind != Fault::Kind::kRestart || r.at < f.at || r.at >= end) continue;
        const std::vector<uint32_t> back = resolve(sc.topology, r.target.text);
        if (std::find(back.begin(), back.end(), n) != back.end()) return true;
      }
    }
  }
  return false;
}

bool any_node(const Topology&, uint32_t) { return true; }
bool cloud_node(const Topology& t, uint32_t n) { return node_tier(t, n) == Tier::kCloud; }

bool any_requests(const Scenario& sc, bool (*pred)(const RequestWorkload&)) {
  return std::any_of(sc.requests.begin(), sc.requests.end(), pred);
}

// Clients whose every request carries a bad token are refused at the edge:
// they write nothing (and execute nothing at core).
bool writes(const Scenario& sc) {
  return any_requests(sc, [](const RequestWorkload& w) { return w.mix_write > 0 && w.bad_token_ppm < net::kPpmOne; });
}

bool has_fault(const Scenario& sc, Fault::Kind kind) {
  return std::any_of(sc.faults.begin(), sc.faults.end(), [kind](const Fault& f) { return f.kind == kind; });
}

// Clients' DSM SETs, or a `dsm_set` action.
bool dsm_writes(const Scenario& sc) {
  return any_requests(sc,
                      [](const RequestWorkload& w) { return w.mix_dsm_set > 0 && w.bad_token_ppm < net::kPpmOne; }) ||
         has_fault(sc, Fault::Kind::kDsmSet);
}

}  // namespace

std::string_view missing_for(Invariant i, const Scenario& sc) {
  const bool tiers = !sc.requests.empty();
  switch (i) {
    case Invariant::kDurability:
      if (!tiers) {
        return has_crash(sc, false, any_node) ? "" : "a crash in the schedule (what survives one is what it judges)";
      }
      [[fallthrough]];
    case Invariant::kCatchUp:
      return has_crash(sc, true, cloud_node) ? ""
                                             : "a crash of a cloud node that restarts before the end of the run (its "
                                               "restart is what it judges)";
    case Invariant::kConvergence:
      return dsm_writes(sc) ? ""
                            : "DSM writes (dsm_set in the mix of a requests workload with bad_tokens below 100%, or a "
                              "dsm_set action): the entries it compares";
    case Invariant::kExactlyOnce: {
      // The edge billing cache's invalidations follow committed writes (a
      // debit, transfer, top-up or port, or a billing action).
      const bool billing_actions = has_fault(sc, Fault::Kind::kBilling);
      const bool cache = std::any_of(sc.billing.begin(), sc.billing.end(), [&](const BillingWorkload& b) {
        return b.cache_entries > 0 && (b.mix_debit + b.mix_transfer + b.mix_top_up + b.mix_port > 0 || billing_actions);
      });
      return dsm_writes(sc) || cache ? ""
                                     : "messages through msgq (DSM writes, as for convergence, or a billing workload "
                                       "with its edge cache and operations that write): the deliveries it counts";
    }
    case Invariant::kAcknowledgedWrites:
      return writes(sc) ? ""
                        : "writes (write in the mix of a requests workload with bad_tokens below 100%): the "
                          "acknowledged versions it looks for";
    case Invariant::kEdgeIsolation:
      return writes(sc) || has_fault(sc, Fault::Kind::kByzantine)
                 ? ""
                 : "writes (write in the mix of a requests workload with bad_tokens below 100%) or a Byzantine edge "
                   "node: the writers of cloud versions it checks";
    case Invariant::kTokens:
      return any_requests(sc, [](const RequestWorkload& w) { return w.bad_token_ppm > 0; })
                 ? ""
                 : "requests with a bad token (bad_tokens above 0 in a requests workload): the ones it judges";
    case Invariant::kAtMostOnce:
      // Calls executed at core: a session check, a read or a write, or a
      // billing operation.
      return clients_admitted(sc, true) || !sc.billing.empty()
                 ? ""
                 : "calls to core (session_check, read or write in the mix of a requests workload with bad_tokens "
                   "below 100%, or a billing workload): the executions it counts";
    case Invariant::kCausality:
      return {};
  }
  return {};
}

bool judgeable(Invariant i, const Scenario& sc, sim::Duration quiescence) {
  if (!missing_for(i, sc).empty()) return false;
  return i != Invariant::kConvergence || convergence_unjudgeable(sc, quiescence).empty();
}

bool clients_admitted(const Scenario& sc, bool past_edge) {
  return std::any_of(sc.requests.begin(), sc.requests.end(), [past_edge](const RequestWorkload& w) {
    const bool through = w.mix_session_check + w.mix_read + w.mix_write > 0;
    return w.bad_token_ppm < net::kPpmOne && (through || !past_edge);
  });
}

bool served_ratio_countable(const Scenario& sc) {
  return !sc.workload.empty() || sc.requests.empty() || clients_admitted(sc, false);
}

namespace {
// Whether a billing workload's mix has reads (balance, number_owner), or else
// transactions (debit, transfer, top_up, port).
bool mix_has(const BillingWorkload& w, bool reads) {
  return reads ? w.mix_balance + w.mix_number_owner > 0 : w.mix_debit + w.mix_transfer + w.mix_top_up + w.mix_port > 0;
}
}  // namespace

std::string billing_expect_missing(const Scenario& sc, std::string_view key, sim::Duration within) {
  if (sc.billing.empty()) {
    return fmt::format("in a scenario without a billing workload, expected it only beside a kind: billing workload "
                       "(or no expect.billing.{})",
                       key);
  }
  bool writes = std::any_of(sc.faults.begin(), sc.faults.end(), [](const Fault& f) {
    return f.kind == Fault::Kind::kBilling;
  });
  bool reads = false;
  for (const BillingWorkload& w : sc.billing) {
    writes = writes || mix_has(w, false);
    reads = reads || mix_has(w, true);
  }
  if (key == "latency_p99" && !writes) {
    return "in a scenario whose billing clients send no transaction (debit, transfer, top_up and port all 0 in "
           "every mix, and no billing action), expected a mix that writes or no expect.billing.latency_p99";
  }
  if (key == "read_latency_p99" && !reads) {
    return "in a scenario whose billing clients send no read (balance and number_owner 0 in every mix), expected "
           "a mix that reads or no expect.billing.read_latency_p99";
  }
  if (key == "recovers_within") {
    if (!has_fault_window(sc.faults) && !has_point_crash(sc.faults)) {
      return "in a scenario without a fault window, expected a timed fault or an at_point crash to recover from";
    }
    // The whole message, from "expect.billing.recovers_within can never ...".
    if (std::string why = recovers_within_refusal(sc, RecoveryClients::kBilling, within); !why.empty()) return why;
    // The level to recover to is measured over whole seconds before the
    // first fault; a billing level is not taken as 100 % without one.
    const std::vector<sim::TimeWindow> windows = outage_windows(sc, sim::Time{0} + sc.duration);
    const auto first = std::min_element(windows.begin(), windows.end(), [](const auto& a, const auto& b) {
      return a.from < b.from;
    });
    if (first != windows.end() && first->from < sim::Time{0} + sim::seconds(1)) {
      return fmt::format("in a scenario whose first fault window begins at {}, before a whole second of billing "
                         "operations sets the level to recover to, expected the first fault at 1s or later",
                         sim::format_time(first->from));
    }
  }
  return "";
}

std::string latency_bound_refusal(const Scenario& sc, std::string_view key, sim::Duration bound) {
  sim::Duration longest{0};
  const char* whose = "";
  if (key.starts_with("billing.")) {
    // Only the clients that send the operations judged: reads, or
    // transactions (billing actions too, with the first workload's timeout).
    const bool reads = key == "billing.read_latency_p99";
    for (const BillingWorkload& w : sc.billing) {
      if (mix_has(w, reads)) longest = std::max(longest, w.timeout);
    }
    const bool actions = std::any_of(sc.faults.begin(), sc.faults.end(), [](const Fault& f) {
      return f.kind == Fault::Kind::kBilling;
    });
    if (!reads && actions && !sc.billing.empty()) longest = std::max(longest, sc.billing.front().timeout);
    whose = reads ? "billing clients that read" : "billing clients that write";
  } else if (key == "latency_p99.ping") {
    for (const Workload& w : sc.workload) longest = std::max(longest, w.timeout);
    whose = "ping clients";
  } else {
    for (const RequestWorkload& w : sc.requests) longest = std::max(longest, w.timeout);
    whose = "requests clients";
  }
  if (longest.ns == 0 || bound < longest) return "";
  return fmt::format("expect.{} is {}, not below the longest timeout of the {} ({}): a failure counts at its "
                     "timeout and nothing counts higher, so the p99 could never exceed the bound, expected a bound "
                     "below {}",
                     key, sim::format_duration(bound), whose, sim::format_duration(longest),
                     sim::format_duration(longest));
}

std::string billing_expect_refusal(const Scenario& sc) {
  const BillingExpect& b = sc.expect.billing;
  const std::pair<const char*, bool> keys[] = {{"served_ratio_min", b.served_ratio_min.has_value()},
                                               {"latency_p99", b.latency_p99.has_value()},
                                               {"read_latency_p99", b.read_latency_p99.has_value()},
                                               {"recovers_within", b.recovers_within.has_value()}};
  for (const auto& [key, set] : keys) {
    const sim::Duration within = b.recovers_within.value_or(sim::seconds(1));
    const std::string why = set ? billing_expect_missing(sc, key, within) : "";
    if (why.starts_with("expect.")) return why;
    if (!why.empty()) return fmt::format("expect.billing.{} {}", key, why);
  }
  if (b.recovers_within && (*b.recovers_within < sim::seconds(1) || *b.recovers_within > sim::seconds(3600))) {
    return fmt::format("expect.billing.recovers_within is {}, expected a duration 1s..1h",
                       sim::format_duration(*b.recovers_within));
  }
  if (b.served_ratio_min && !(*b.served_ratio_min > 0.0 && *b.served_ratio_min <= 1.0)) {  // 0 could never fail
    return fmt::format("expect.billing.served_ratio_min is {}, expected a ratio above 0, at most 1",
                       *b.served_ratio_min);
  }
  for (const auto& [key, d] : {std::pair{"latency_p99", b.latency_p99}, {"read_latency_p99", b.read_latency_p99}}) {
    if (d && (d->ns <= 0 || *d > kScenarioDurationMax)) {
      return fmt::format("expect.billing.{} is {}, expected a duration above 0s and at most {}", key,
                         sim::format_duration(*d), sim::format_duration(kScenarioDurationMax));
    }
    if (std::string why = d ? latency_bound_refusal(sc, fmt::format("billing.{}", key), *d) : ""; !why.empty()) {
      return why;
    }
  }
  return "";
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
