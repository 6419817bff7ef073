// The spans of simulated time in which a scenario's faults are in force, as
// the schedule says (a crash until the node's restart, a partition until its
// heal or its `for` ends, a link fault for its window; a window with no end
// runs to the end of the run). Latency expectations with `outside_faults`
// leave out the requests begun inside one of these windows or within the
// margin after it. An at_point fault's window is known only when its point
// fires: point_window reads it from the fault's trace record. And whether
// `recovers_within`, judged in the whole seconds after the last outage
// window, has any second to judge.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::scenario {

// Where the window of a crash never restarted ends: at the end of the run
// (the latency expectations' `outside_faults`: the node stays down), or when
// the crash happens (`recovers_within`: what is left must recover without it).
enum class Unrestarted { kToEnd, kAtCrash };

// Every fault's window, each end extended by `margin` (capped at `end`),
// sorted by start. Windows may overlap; a fault at or after `end` has none.
// REQUIRES: margin >= 0.
std::vector<sim::TimeWindow> fault_windows(const Scenario& sc, sim::Time end, sim::Duration margin,
                                           Unrestarted unrestarted = Unrestarted::kToEnd);

// The window of the at_point fault whose firing `r` records (a `fault`
// record with the at_point code and b = 1): from the reach to its `for`
// restart, or when it has none (the node stays down) to `end` (kToEnd) or
// the reach itself (kAtCrash, as fault_windows ends a timed crash never
// restarted), extended by `margin` and capped at `end`. A `do: cut` ends at
// its `for` or the first heal after the reach, whichever is first, else at
// `end`, whatever `unrestarted` says (a cut is a partition, not a crash).
// Nothing for any other record. The run feeds it every record; a request begun inside the window starts after
// the record, so adding the window then classifies every request as a
// window known before the run would.
std::optional<sim::TimeWindow> point_window(const Scenario& sc, const sim::Record& r, sim::Time end,
                                            sim::Duration margin, Unrestarted unrestarted = Unrestarted::kToEnd);

// The outage windows `recovers_within` judges, as fault_windows with no
// margin: Byzantine behaviour left out (an attack, not an outage), a crash
// never restarted ending when it happens.
std::vector<sim::TimeWindow> outage_windows(const Scenario& sc, sim::Time end);

// When the schedule's last outage window ends, as `recovers_within` judges
// it (Byzantine behaviour is an attack, not an outage; a crash never
// restarted ends its window when it happens); nothing without a timed
// outage. An at_point crash's window can only end later.
std::optional<sim::Time> last_outage_end(const Scenario& sc);

// When the schedule's first outage window begins; nothing without a timed
// outage.
std::optional<sim::Time> first_outage_start(const Scenario& sc);

// The fewest requests the clients must be expected to send in the seconds
// `recovers_within` judges: their count is Poisson, and P(none) = e^-20.
inline constexpr int kRecoveryRequestsMin = 20;
// ... and in the seconds that measure the level: with fewer than 50 settled
// there (run/recovery.hpp), a level of 100 % cannot tell a lasting drop to
// 87 % from chance; 100 expected leave 50 a Poisson tail of about 1e-7.
inline constexpr int kRecoveryLevelMin = 100;

// Whose served ratio recovers: the requests workloads' clients
// (`recovers_within`) or the billing workloads' (`billing.recovers_within`,
// every operation with a good token, since billing clients send no bad ones).
// Each workload is judged on its own: its level, its timeout, its `until`
// (run/recovery.hpp).
enum class RecoveryClients : uint8_t { kRequests, kBilling };

// One workload whose clients' served ratio recovers_within judges, as the
// scenario gives it (billing clients send no bad token).
struct JudgedWorkload {
  const Selector* at = nullptr;  // into the scenario: it must outlive this
  uint64_t rate_per_s = 0;
  std::optional<sim::Duration> until;
  uint32_t bad_token_ppm = 0;
  sim::Duration timeout{0};
};
std::vector<JudgedWorkload> recovery_workloads(const Scenario& sc, RecoveryClients clients);
// How verdicts and refusals name the `index`-th (from 0): "requests
// workload 2 (at edge-2)".
std::string recovery_workload_label(RecoveryClients clients, size_t index, const JudgedWorkload& w);

// Why `recovers_within` can never judge `sc` when its last outage window
// ends at `last_end`: it judges the whole seconds after that end, before the
// end of the run less a workload's timeout, in which its requests settle, so
// some workload needs such seconds, and clients (its rate, nodes, `until`
// and good tokens) expected to send at least kRecoveryRequestsMin requests
// in them. "" when one has; whether requests do settle there is known only
// by running. With several workloads, each one's reason, named.
// And a second at or after the deadline, `within` after the last window's
// end: before it, a ratio not yet back may still be back in time.
std::string recovery_unjudgeable(const Scenario& sc, sim::Time last_end, sim::Duration within,
                                 RecoveryClients clients = RecoveryClients::kRequests);
// Why the level `recovers_within` recovers to cannot be measured in `sc`
// when its first outage window begins at `first_fault`: every workload (of
// those that recovery_unjudgeable at `last_end` finds judgeable, when given)
// is expected to send fewer than kRecoveryLevelMin in the seconds that
// measure its level (run/recovery.hpp). "" when one is not.
std::string recovery_level_unjudgeable(const Scenario& sc, sim::Time first_fault,
                                       RecoveryClients clients = RecoveryClients::kRequests,
                                       std::optional<sim::Time> last_end = std::nullopt,
                                       sim::Duration within = sim::seconds(1));

// Whether `sc` must expect recovers_within (validate refuses it without):
// a requests workload, a timed outage, a second left to judge after the
// last one's deadline at the shortest recovers_within (1 s), and no fault at a protocol point (it may fire as late as the
// end, leaving no second to judge: such a scenario may expect it, and need
// not).
bool recovers_within_required(const Scenario& sc);

// The loader's one-line refusal of `expect.recovers_within` in `sc` when it
// can never be judged (without the file:line:column), else "": for client
// requests, no requests workload or no fault window at all; then when its
// outages leave nothing to judge: its timed outages, or without any, its
// faults at protocol points as if the earliest ending of them fired at once;
// `within`: the expectation's value, which sets the deadline.
std::string recovers_within_refusal(const Scenario& sc, RecoveryClients clients = RecoveryClients::kRequests,
                                   sim::Duration within = sim::seconds(1));
// `preferred` where its deadline leaves client requests a second to judge
// in `sc`, else 1 s (which does wherever recovers_within_required): the
// value a generated or fitted scenario writes.
sim::Duration recovers_within_fitting(const Scenario& sc, sim::Duration preferred);

// Why `convergence` can never be judged in `sc` with `quiescence`, without
// the file:line:column: it compares the replicas only after the network has
// been whole for `quiescence` before the end, and a timed partition or link
// fault (drop, delay, duplicate, reorder) still in force then rules that out
// whatever the run does. A partition ends at its `for` or at the first heal
// at or after its start, whichever comes first; at_point cuts, whose time
// only the run knows, are left out. Nor can a quiescence as long as the
// run. "" when neither.
std::string convergence_unjudgeable(const Scenario& sc, sim::Duration quiescence);

}  // namespace ecsim::scenario
