#include "ecsim/scenario/windows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "ecsim/net/link_config.hpp"
#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::scenario {

namespace {

// When a fault that ends by another one (a crash by a restart of the same
// node, a partition by a heal) stops being in force: the first such fault
// after `index`, else nothing.
std::optional<sim::Time> ended_by(const Scenario& sc, size_t index, Fault::Kind ender, uint32_t node,
                                  sim::Time end) {
  for (size_t j = index + 1; j < sc.faults.size(); ++j) {
    const Fault& g = sc.faults[j];
    if (g.kind != ender) continue;
    if (ender == Fault::Kind::kHeal) return std::min(g.at, end);
    for (uint32_t n : resolve(sc.topology, g.target.text)) {
      if (n == node) return std::min(g.at, end);
    }
  }
  return std::nullopt;
}

sim::Time window_end(const Scenario& sc, size_t index, sim::Time end, Unrestarted unrestarted) {
  const Fault& f = sc.faults[index];
  switch (f.kind) {
    case Fault::Kind::kCrash: {
      if (f.for_duration) return std::min(f.at + *f.for_duration, end);
      sim::Time last = f.at;  // until the last of its nodes is back
      for (uint32_t n : resolve(sc.topology, f.target.text)) {
        const std::optional<sim::Time> back = ended_by(sc, index, Fault::Kind::kRestart, n, end);
        last = std::max(last, back ? *back : unrestarted == Unrestarted::kAtCrash ? f.at : end);
      }
      return last;
    }
    case Fault::Kind::kPartition: {
      // Until its `for` ends or the first heal after it, whichever is first
      // (a heal ends every partition in force; none comes back).
      const sim::Time healed = ended_by(sc, index, Fault::Kind::kHeal, 0, end).value_or(end);
      return f.for_duration ? std::min(f.at + *f.for_duration, healed) : healed;
    }
    case Fault::Kind::kRestart:
    case Fault::Kind::kHeal:
    case Fault::Kind::kAtPoint:
    case Fault::Kind::kDsmSet:
    case Fault::Kind::kDsmGet:
    case Fault::Kind::kBilling:
    case Fault::Kind::kTwopcVoteNo:
      ECSIM_ASSERT(false);  // the end of a fault, or no known time: no window (fault_windows skips them)
      return end;
    default:  // link faults and byzantine behaviour: their window, else to the end
      return f.for_duration ? std::min(f.at + *f.for_duration, end) : end;
  }
}

// fault_windows, of the outages only when `outages_only` (a Byzantine
// fault ends no other fault's window, so skipping it changes no other).
std::vector<sim::TimeWindow> windows_of(const Scenario& sc, sim::Time end, sim::Duration margin,
                                        Unrestarted unrestarted, bool outages_only) {
  ECSIM_ASSERT(margin.ns >= 0);
  std::vector<sim::TimeWindow> out;
  for (size_t i = 0; i < sc.faults.size(); ++i) {
    const Fault& f = sc.faults[i];
    if (f.at >= end) continue;
    const sim::Time from = f.at;
    // A restart or a heal ends a fault; it has no window of its own. An
    // at_point fault's time is not known before the run: it has none either.
    if (!(outages_only ? is_outage(f) : has_window(f))) continue;
    const sim::Time to = window_end(sc, i, end, unrestarted);
    const sim::Time to_margin = to.ns > end.ns - margin.ns ? end : to + margin;
    out.push_back({from, std::max(from, to_margin)});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const sim::TimeWindow& a, const sim::TimeWindow& b) { return a.from < b.from; });
  for (const sim::TimeWindow& w : out) ECSIM_ASSERT(w.from <= w.to && w.to <= end);
  return out;
}

}  // namespace

std::vector<sim::TimeWindow> fault_windows(const Scenario& sc, sim::Time end, sim::Duration margin,
                                           Unrestarted unrestarted) {
  return windows_of(sc, end, margin, unrestarted, false);
}

std::optional<sim::TimeWindow> point_window(const Scenario& sc, const sim::Record& r, sim::Time end,
                                            sim::Duration margin, Unrestarted unrestarted) {
  ECSIM_ASSERT(margin.ns >= 0);
  if (r.type != sim::RecordType::kFault || r.code != static_cast<uint16_t>(Fault::Kind::kAtPoint) || r.b != 1) {
    return std::nullopt;
  }
  ECSIM_ASSERT(r.a < sc.faults.size() && sc.faults[r.a].kind == Fault::Kind::kAtPoint);
  const Fault& f = sc.faults[r.a];
  const sim::Time from{r.time_ns};
  if (from >= end) return std::nullopt;
  sim::Time open_end = unrestarted == Unrestarted::kAtCrash ? from : end;
  if (f.action == Fault::PointAction::kCut) {
    // A cut lasts, like a partition, until its `for` ends or the first
    // heal after it, else to the end.
    open_end = end;
    for (const Fault& h : sc.faults) {
      if (h.kind == Fault::Kind::kHeal && h.at >= from && h.at < open_end) open_end = h.at;
    }
  }
  const sim::Time for_end = f.for_duration ? std::min(from + *f.for_duration, end) : open_end;
  const sim::Time to = f.action == Fault::PointAction::kCut ? std::min(for_end, open_end) : for_end;
  const sim::Time to_margin = to.ns > end.ns - margin.ns ? end : to + margin;
  ECSIM_ASSERT(from <= to_margin && to_margin <= end);
  return sim::TimeWindow{from, to_margin};
}

std::vector<sim::TimeWindow> outage_windows(const Scenario& sc, sim::Time end) {
  return windows_of(sc, end, sim::Duration{0}, Unrestarted::kAtCrash, true);
}

std::optional<sim::Time> last_outage_end(const Scenario& sc) {
  std::optional<sim::Time> last;
  for (const sim::TimeWindow& w : outage_windows(sc, sim::Time{0} + sc.duration)) {
    last = std::max(last.value_or(w.to), w.to);
  }
  return last;
}

std::optional<sim::Time> first_outage_start(const Scenario& sc) {
  std::optional<sim::Time> first;
  for (const sim::TimeWindow& w : outage_windows(sc, sim::Time{0} + sc.duration)) {
    first = std::min(first.value_or(w.from), w.from);
  }
  return first;
}

std::vector<JudgedWorkload> recovery_workloads(const Scenario& sc, RecoveryClients clients) {
  std::vector<JudgedWorkload> out;
  if (clients == RecoveryClients::kBilling) {
    for (const BillingWorkload& w : sc.billing) out.push_back({&w.at, w.rate_per_s, w.until, 0, w.timeout});
  } else {
    for (const RequestWorkload& w : sc.requests) {
      out.push_back({&w.at, w.rate_per_s, w.until, w.bad_token_ppm, w.timeout});
    }
  }
  return out;
}

std::string recovery_workload_label(RecoveryClients clients, size_t index, const JudgedWorkload& w) {
  return fmt::format("{} workload {} (at {})", clients == RecoveryClients::kBilling ? "billing" : "requests",
                     index + 1, w.at->text);
}

namespace {

// The operations (x kPpmOne x 1 s in ns) a workload's clients are expected
// to send with good tokens in [from, to) (Poisson arrivals: a small count
// may be none; refused requests, a bad token, are left out of the served
// ratio), and the latest they send until (-1: never a good token).
struct Expected {
  unsigned __int128 scaled = 0;
  int64_t sending_until = -1;
};
Expected expected_between(const Scenario& sc, const JudgedWorkload& w, int64_t from, int64_t to) {
  Expected e;
  if (w.bad_token_ppm >= net::kPpmOne) return e;
  const int64_t until = std::min(w.until.value_or(sc.duration).ns, sc.duration.ns);
  e.sending_until = until;
  const int64_t sending_ns = std::min(until, to) - from;
  if (sending_ns <= 0) return e;
  // In integers (requests x 10^6 x 10^9: rate x nodes x good ppm x ns), so
  // that a count of exactly 20 is 20; the double is only for messages.
  e.scaled = static_cast<unsigned __int128>(w.rate_per_s) * resolve(sc.topology, w.at->text).size() *
             (net::kPpmOne - w.bad_token_ppm) * static_cast<uint64_t>(sending_ns);
  return e;
}

// Why the seconds after `last_end` judge nothing of workload `w` ("" when
// they can).
std::string judged_problem(const Scenario& sc, const JudgedWorkload& w, sim::Time last_end, sim::Duration within,
                           bool billing) {
  const int64_t second = sim::seconds(1).ns;
  const int64_t first = (last_end.ns + second - 1) / second * second;  // the first whole second judged
  // The judged seconds end where every operation begun in them has settled
  // (answered, or failed at its timeout) by the end of the run: in the last
  // timeout's worth, the fast failures are in and the slow answers are not.
  const int64_t judged_to = std::max<int64_t>(0, sc.duration.ns - w.timeout.ns) / second * second;
  if (first + second > judged_to) {
    return fmt::format("the last fault window ends at {}, and no whole second follows it before {} (the end of the "
                       "run at {} less the {}clients' timeout of {}, by when all that began in it has settled)",
                       sim::format_time(last_end), sim::format_time(sim::Time{judged_to}),
                       sim::format_time(sim::Time{0} + sc.duration), billing ? "billing " : "",
                       sim::format_duration(w.timeout));
  }
  const Expected judged = expected_between(sc, w, first, judged_to);
  const unsigned __int128 scale = static_cast<unsigned __int128>(net::kPpmOne) * static_cast<uint64_t>(second);
  const char* what = billing ? "operations" : "requests with good tokens";
  if (judged.sending_until < 0) {
    return "every request carries a bad token (bad_tokens: 100%), and refused requests are left out of the served "
           "ratio";
  }
  if (judged.sending_until <= first) {
    return fmt::format("the last fault window ends at {}, and the {}clients stop at {} (the {} workload's until), "
                       "before the first whole second after it, from {}",
                       sim::format_time(last_end), billing ? "billing " : "",
                       sim::format_time(sim::Time{judged.sending_until}), billing ? "billing" : "requests",
                       sim::format_time(sim::Time{first}));
  }
  // Whether the ratio was back in time shows only in a second at or after
  // the deadline (run/recovery.cpp: before it, not yet back is not known).
  const sim::Time deadline_at = last_end + within;
  const int64_t deadline = (deadline_at.ns + second - 1) / second * second;  // the first whole second from it
  const int64_t stop = (judged.sending_until + second - 1) / second * second;
  if (deadline + second > std::min(judged_to, stop)) {
    return fmt::format("the last fault window ends at {}, and the deadline {} later, at {}, leaves no whole second "
                       "to judge{} before {}",
                       sim::format_time(last_end), sim::format_duration(within), sim::format_time(deadline_at),
                       deadline == deadline_at.ns ? "" : fmt::format(" (from {})", sim::format_time(sim::Time{deadline})),
                       stop < judged_to
                           ? fmt::format("the {}clients stop at {} (the {} workload's until)", billing ? "billing " : "",
                                         sim::format_time(sim::Time{judged.sending_until}),
                                         billing ? "billing" : "requests")
                           : fmt::format("{} (the end of the run at {} less the {}clients' timeout of {})",
                                         sim::format_time(sim::Time{judged_to}),
                                         sim::format_time(sim::Time{0} + sc.duration), billing ? "billing " : "",
                                         sim::format_duration(w.timeout)));
  }
  // Those seconds must hold enough requests to show a workload not back:
  // in one cut short by `until` (12s to 12.01s) a single failed request is
  // within chance at any level, and a site down for good passed.
  const Expected after = expected_between(sc, w, deadline, judged_to);
  if (after.scaled < scale * kRecoveryRequestsMin) {
    return fmt::format("the last fault window ends at {}, and the {}clients are expected to send {:.1f} {} in the "
                       "whole seconds from {} to {} (at or after the deadline {} later), fewer than {} (a count that "
                       "small may be 0)",
                       sim::format_time(last_end), billing ? "billing " : "",
                       static_cast<double>(after.scaled) / static_cast<double>(scale), what,
                       sim::format_time(sim::Time{deadline}), sim::format_time(sim::Time{std::min(judged_to, stop)}),
                       sim::format_duration(within), kRecoveryRequestsMin);
  }
  return "";
}

// Why the seconds before `first_fault` measure no level for workload `w`.
std::string level_problem(const Scenario& sc, const JudgedWorkload& w, sim::Time first_fault, bool billing) {
  const int64_t second = sim::seconds(1).ns;
  const unsigned __int128 scale = static_cast<unsigned __int128>(net::kPpmOne) * static_cast<uint64_t>(second);
  const char* what = billing ? "operations" : "requests with good tokens";
  // The level's seconds, as run/recovery.cpp takes them: the whole seconds
  // in the 10 s before the first fault less the timeout (the 10 s before
  // the fault when no whole second lies that early).
  const int64_t settled_by =
      first_fault.ns - w.timeout.ns >= second ? first_fault.ns - w.timeout.ns : first_fault.ns;
  const int64_t level_from = (std::max<int64_t>(0, settled_by - 10 * second) + second - 1) / second * second;
  const int64_t level_to = settled_by / second * second;
  const Expected level = expected_between(sc, w, level_from, std::max(level_from, level_to));
  if (level.scaled < scale * kRecoveryLevelMin) {
    return fmt::format("the first fault window begins at {}, and the {}clients are expected to send {:.1f} {} in the "
                       "whole seconds from {} to {} that measure the level to recover to (up to 10 s before the "
                       "fault less the clients' timeout of {}), fewer than {}: too few to tell a lasting drop from "
                       "chance",
                       sim::format_time(first_fault), billing ? "billing " : "",
                       static_cast<double>(level.scaled) / static_cast<double>(scale), what,
                       sim::format_time(sim::Time{level_from}), sim::format_time(sim::Time{std::max(level_from, level_to)}),
                       sim::format_duration(w.timeout), kRecoveryLevelMin);
  }
  return "";
}

// "" when some workload of `ws` has no problem; else the one workload's
// problem, or each one's, named by its place among them.
std::string unless_one_judged(const std::vector<JudgedWorkload>& ws, const std::vector<std::string>& problems,
                              bool billing) {
  std::string out;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (problems[i].empty()) return "";
    if (ws.size() == 1) return problems[i];
    out += fmt::format("{}{}: {}", out.empty() ? "" : "; ",
                       recovery_workload_label(billing ? RecoveryClients::kBilling : RecoveryClients::kRequests, i,
                                               ws[i]),
                       problems[i]);
  }
  return out;
}

}  // namespace

std::string recovery_unjudgeable(const Scenario& sc, sim::Time last_end, sim::Duration within,
                                 RecoveryClients clients) {
  const bool billing = clients == RecoveryClients::kBilling;
  if (billing && sc.billing.empty()) return "the scenario has no billing workload";
  if (!billing && sc.requests.empty()) return "the scenario has no requests workload";
  const std::vector<JudgedWorkload> ws = recovery_workloads(sc, clients);
  std::vector<std::string> problems;
  for (const JudgedWorkload& w : ws) problems.push_back(judged_problem(sc, w, last_end, within, billing));
  return unless_one_judged(ws, problems, billing);
}

std::string recovery_level_unjudgeable(const Scenario& sc, sim::Time first_fault, RecoveryClients clients,
                                       std::optional<sim::Time> last_end, sim::Duration within) {
  const bool billing = clients == RecoveryClients::kBilling;
  const std::vector<JudgedWorkload> ws = recovery_workloads(sc, clients);
  // Each workload's reason: its judged seconds' when it has none to judge,
  // else its level's.
  std::vector<std::string> problems;
  bool any_judged = false;
  for (const JudgedWorkload& w : ws) {
    std::string why = last_end ? judged_problem(sc, w, *last_end, within, billing) : "";
    if (why.empty()) {
      any_judged = true;
      why = level_problem(sc, w, first_fault, billing);
    }
    problems.push_back(std::move(why));
  }
  return any_judged ? unless_one_judged(ws, problems, billing) : "";
}

namespace {

// How early a fault at a protocol point can end its window in a run that
// judges it, taken as if it fired at 1 s: as the first fault, earlier
// leaves no whole second before it to measure the level (run/recovery.cpp),
// and the verdict has nothing to judge. A crash with `for` D ends at 1 s + D,
// one without at its reach (1 s), a cut at its `for` or the first heal from
// 1 s (the end of the run with neither). The earliest of them; nothing
// without one. (Taken as firing at 0 before 2026-12-07: a crash that could
// only end at 2 s or later had a deadline allowed one second too late.)
std::optional<sim::Time> earliest_point_end(const Scenario& sc) {
  const sim::Time end = sim::Time{0} + sc.duration;
  const sim::Time fired = std::min(end, sim::Time{0} + sim::seconds(1));
  std::optional<sim::Time> first_heal;
  for (const Fault& f : sc.faults) {
    if (f.kind == Fault::Kind::kHeal && f.at >= fired) first_heal = std::min(first_heal.value_or(f.at), f.at);
  }
  std::optional<sim::Time> earliest;
  for (const Fault& f : sc.faults) {
    if (f.kind != Fault::Kind::kAtPoint) continue;
    sim::Time at_least = fired;
    if (f.action == Fault::PointAction::kCut) {
      at_least = std::min(f.for_duration ? fired + *f.for_duration : end, first_heal.value_or(end));
    } else if (f.for_duration) {
      at_least = fired + *f.for_duration;
    }
    earliest = std::min(earliest.value_or(end), std::min(at_least, end));
  }
  return earliest;
}

}  // namespace

bool recovers_within_required(const Scenario& sc) {
  // A fault at a protocol point fires when it is reached, at any time: as
  // late as the last instant, and a crash or cut then ends the last window
  // too late for a second to be judged, whatever the timed schedule.
  if (sc.requests.empty() || !has_fault_window(sc.faults) || has_point_crash(sc.faults)) return false;
  const std::optional<sim::Time> last = last_outage_end(sc);
  return last && recovery_unjudgeable(sc, *last, sim::seconds(1)).empty() &&
         recovery_level_unjudgeable(sc, *first_outage_start(sc), RecoveryClients::kRequests, last, sim::seconds(1)).empty();
}

std::string recovers_within_refusal(const Scenario& sc, RecoveryClients clients, sim::Duration within) {
  if (clients == RecoveryClients::kRequests && sc.requests.empty()) {
    return "expect.recovers_within in a scenario without a requests workload, expected it only with the three-tier "
           "model (client requests to measure)";
  }
  if (clients == RecoveryClients::kRequests && !has_fault_window(sc.faults) && !has_point_crash(sc.faults)) {
    return "expect.recovers_within in a scenario without a fault window, expected a timed fault or an at_point "
           "crash to recover from";
  }
  // With timed windows, the last one's end decides: a point that fires can
  // only end later (and one never reached leaves them as they are). Without,
  // only a point that fires gives a window: refused when even the earliest
  // end one could have leaves no second to judge.
  const std::optional<sim::Time> timed = last_outage_end(sc);
  const std::optional<sim::Time> last = timed ? timed : earliest_point_end(sc);
  const std::string why = last ? recovery_unjudgeable(sc, *last, within, clients) : "";
  const char* key = clients == RecoveryClients::kBilling ? "billing.recovers_within" : "recovers_within";
  // The level's seconds are known only by running when a point may fire first.
  if (why.empty() && timed && !has_point_crash(sc.faults)) {
    if (const std::string low = recovery_level_unjudgeable(sc, *first_outage_start(sc), clients, timed, within);
        !low.empty()) {
      return fmt::format("expect.{} can never be judged: {}, expected a later first fault or more {} before it, or "
                         "no expect.{}",
                         key, low, clients == RecoveryClients::kBilling ? "billing operations" : "requests", key);
    }
  }
  if (why.empty()) return why;
  return fmt::format("expect.{} can never be judged: {}, expected {} for a whole second after the last fault window "
                     "and its deadline (a shorter recovers_within, a later until or a longer duration), or no expect.{}",
                     key, why, clients == RecoveryClients::kBilling ? "billing operations" : "requests", key);
}

sim::Duration recovers_within_fitting(const Scenario& sc, sim::Duration preferred) {
  return recovers_within_refusal(sc, RecoveryClients::kRequests, preferred).empty() ? preferred : sim::seconds(1);
}

std::string convergence_unjudgeable(const Scenario& sc, sim::Duration quiescence) {
  const int64_t end = sc.duration.ns;
  if (quiescence.ns >= end) {
    return fmt::format("the quiescence of {} is not shorter than the run ({}): the DSM writes it compares leave no "
                       "quiet that long before the end",
                       sim::format_duration(quiescence), sim::format_duration(sc.duration));
  }
  const int64_t whole_by = end - quiescence.ns;  // the network must be whole from then on
  for (const Fault& f : sc.faults) {
    const bool partition = f.kind == Fault::Kind::kPartition;
    const bool link = f.kind == Fault::Kind::kDrop || f.kind == Fault::Kind::kDelay ||
                      f.kind == Fault::Kind::kDuplicate || f.kind == Fault::Kind::kReorder;
    if ((!partition && !link) || f.at.ns >= end) continue;
    std::optional<int64_t> until;  // when it ends at the earliest
    if (f.for_duration) until = f.at.ns + f.for_duration->ns;
    if (partition) {
      for (const Fault& h : sc.faults) {
        if (h.kind == Fault::Kind::kHeal && h.at.ns >= f.at.ns && (!until || h.at.ns < *until)) until = h.at.ns;
      }
    }
    if (until && *until <= whole_by) continue;
    const char* what = partition                               ? "partition"
                       : f.kind == Fault::Kind::kDrop          ? "drop"
                       : f.kind == Fault::Kind::kDelay         ? "delay"
                       : f.kind == Fault::Kind::kDuplicate     ? "duplicate"
                                                               : "reorder";
    const std::string lasts =
        until ? fmt::format("lasts until {}", sim::format_time(sim::Time{*until}))
              : (partition ? std::string("never ends (no for, and no heal after it)")
                           : std::string("never ends (no for)"));
    return fmt::format("the {} at {} (line {}) {}, and the network must be whole for the quiescence of {} before "
                       "the end at {}",
                       what, sim::format_time(f.at), f.mark.line, lasts, sim::format_duration(quiescence),
                       sim::format_time(sim::Time{end}));
  }
  return "";
}

}  // namespace ecsim::scenario
