// The billing checker's termination verdict (check/billing.hpp): a YES
// voter's doubt judged against the bound its links allow.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/check/billing.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::check {

namespace {
// The termination bound grows to this many round-trip latency tails of the
// voter's links to its coordinator: a status query and its answer, each
// possibly behind one slow message sent before it on the same FIFO
// connection, and once more for a resend after a timeout.
constexpr int64_t kTerminationRttMultiple = 4;

// What the delay faults of a doubt add to its bound: each spell whose
// round-trip tail is above the base one counts for its length, at most
// kTerminationRttMultiple of its tails (the round trips it could slow).
// A message a spell slowed and that held back the connection beyond it is
// the stall tracking's business: only messages actually sent count there,
// so a brief window of a huge delay that no 2PC message crossed stretches
// nothing. (The largest tail in force at any time of the doubt, the rule
// before this one, let a 10 ms window of a 1 h delay hide a stuck voter
// for 4 h.)
int64_t slowed_ns(const std::vector<Reachability::Spell>& spells, int64_t base_rtt_ns) {
  ECSIM_ASSERT(base_rtt_ns >= 0);
  int64_t total = 0;
  for (const Reachability::Spell& sp : spells) {
    if (sp.rtt_tail_ns <= base_rtt_ns) continue;
    const int64_t most = sp.rtt_tail_ns > INT64_MAX / (4 * kTerminationRttMultiple)
                             ? INT64_MAX / 4
                             : kTerminationRttMultiple * sp.rtt_tail_ns;
    total = std::min(total + std::min(sp.end_ns - sp.begin_ns, most), INT64_MAX / 4);
  }
  return total;
}
// On a lossy link a voter in doubt asks its coordinator once per query
// interval, and each query and its answer get through together with the
// round trip's delivery chance q (the setting in force when it was sent),
// independently of the others (each message draws its own drop). The bound
// allows as many more intervals as it takes for all those queries to be
// lost with a chance below this: the chance that a correct voter is still
// in doubt for loss alone. The coordinator's decision resends are not
// counted on (they only help).
constexpr double kLossFalseAlarm = 1e-9;
// The allowance saturates here, far beyond any run (the bound plus it stays
// in range): a delivery chance near 0 leaves the voter as good as unjudged.
constexpr int64_t kLossAllowanceNsMax = INT64_MAX / 4;

// The allowance for a doubt over `spells` (the pair in reach, each spell
// one setting): the queries that may all be lost with a chance of at least
// kLossFalseAlarm, counted on the worst spells first (whichever part of the
// doubt the decision was there to be learnt in), rounded up to whole
// intervals. A spell may hold a query more than its length divided by the
// interval (one sent at its start), and a query sent up to a round trip
// before it may have its answer lost in it: each counts for
// floor((length + rtt_tail) / interval) + 1 queries, so many brief spells
// that each happen to take one query are allowed for. A lossless doubt
// allows nothing; one whose every query, over all its spells, may still be
// lost allows at least as long as the doubt lasted; a brief spell of heavy
// loss in a long doubt allows about one interval.
//
// The counts come from std::log1p, which is not promised to round the same
// on every C library: a quotient within a few ulps of a whole number could
// give one interval more or fewer elsewhere (never on this platform from
// one run to the next).
int64_t loss_allowance_ns(std::vector<Reachability::Spell> spells, int64_t interval_ns) {
  ECSIM_ASSERT(interval_ns > 0);
  // Worst first; among equals by time, so the sums' order is fixed.
  std::sort(spells.begin(), spells.end(),
            [](const Reachability::Spell& a, const Reachability::Spell& b) {
              return a.delivery != b.delivery ? a.delivery < b.delivery : a.begin_ns < b.begin_ns;
            });
  const double interval = static_cast<double>(interval_ns);
  double budget = std::log(kLossFalseAlarm);  // what the lost queries' log-chance may reach, < 0
  double intervals = 0.0;
  for (const Reachability::Spell& sp : spells) {
    ECSIM_ASSERT(sp.end_ns > sp.begin_ns);
    if (sp.delivery >= 1.0) break;  // lossless from here on: one query is enough
    // Cut off: never in a spell, but never divide by 0 either.
    if (!(sp.delivery > 0.0)) return kLossAllowanceNsMax;
    const double per_query = std::log1p(-sp.delivery);  // < 0
    const double queries = std::floor((static_cast<double>(sp.end_ns - sp.begin_ns) +
                                       static_cast<double>(sp.rtt_tail_ns)) /
                                      interval) +
                           1.0;
    if (queries * per_query <= budget) {
      intervals += budget / per_query;
      budget = 0.0;
      break;
    }
    intervals += queries;
    budget -= queries * per_query;
  }
  const double ns = std::ceil(intervals) * interval;
  const int64_t out = ns >= static_cast<double>(kLossAllowanceNsMax) ? kLossAllowanceNsMax
                                                                     : static_cast<int64_t>(ns);
  ECSIM_ASSERT(out >= 0 && out <= kLossAllowanceNsMax);
  return out;
}
}  // namespace

// 2PC promises a YES voter the decision once it and its coordinator are
// both up and can exchange messages in a bounded time. It blocks while the
// coordinator is down (a coordinator that never comes back leaves its
// voters in doubt, which the reference design accepts), and no protocol
// can tell a voter anything across a partition or a link that drops every
// message: the clock starts once all of these are over, and a voter still
// down or cut off at the end is not judged. Slow links stretch the bound,
// and so do lossy ones. A doubt is judged when it ends (a voter that learnt
// the decision late broke the promise as much as one that never did), or
// at the end of the run.
int64_t BillingChecker::doubt_restarted(const AtNode& n, uint32_t node,
                                        uint32_t coordinator) const {
  const auto since = [&](uint32_t x) {
    const auto it = up_since_.find(x);
    return it == up_since_.end() ? int64_t{0} : it->second;
  };
  return std::max({n.voted_ns, since(node), since(coordinator)});
}

void BillingChecker::judge_doubt(uint64_t txn, uint32_t node, AtNode& n, uint32_t coordinator,
                                 int64_t now_ns, When when) {
  const bool counts = when != When::kInterrupted;  // an interrupted doubt is judged again later
  if (n.overran) {
    // Reported when a crash or a fault came: judged, whatever happened since.
    results_[kTermination].checked += counts ? 1 : 0;
    return;
  }
  if (down_.count(node) != 0 || down_.count(coordinator) != 0) {
    if (counts) ++(when == When::kEnd ? excused_down_ : excused_resolved_);
    return;
  }
  ECSIM_ASSERT(n.voted_ns >= 0 && n.voted_ns <= now_ns);
  ECSIM_ASSERT(coordinator != UINT32_MAX &&
               coordinator != node);  // a YES names the coordinator it answers
  // The tails count from the latest restart on (what was in flight before
  // a crash is gone with the connection); reachable_since_ns does not
  // depend on it.
  const int64_t restarted = doubt_restarted(n, node, coordinator);
  const Reachability::Pair reach = reach_.pair(node, coordinator, restarted, now_ns);
  if (reach.cut_at_end) {
    if (counts) ++(when == When::kEnd ? excused_cut_ : excused_resolved_);
    return;
  }
  const int64_t from = std::max(restarted, reach.reachable_since_ns);
  ECSIM_ASSERT(from <= now_ns);
  // The spells of the doubt's clock, [from, now_ns).
  std::vector<Reachability::Spell> spells;
  for (Reachability::Spell sp : reach.spells) {
    sp.begin_ns = std::max(sp.begin_ns, from);
    if (sp.end_ns > sp.begin_ns) spells.push_back(sp);
  }
  const int64_t base_rtt =
      reach_.base_tail_ns(node, coordinator) + reach_.base_tail_ns(coordinator, node);
  const int64_t lossless_bound = std::max(
      {termination_bound_ns_, kTerminationRttMultiple * base_rtt, slowed_ns(spells, base_rtt)});
  const int64_t before_cut = in_reach_before_ns(reach.spells, node, coordinator, from, base_rtt);
  // Time their link held messages past its base tail is not the voter's to
  // answer for (check/link_stalls.hpp); looked up only when it may matter.
  const int64_t late = now_ns - from + before_cut > lossless_bound
                           ? stalls_.late_ns(node, coordinator, from, now_ns)
                           : 0;
  const int64_t waited = now_ns - from - late + before_cut;
  ECSIM_ASSERT(late >= 0 && before_cut >= 0 && waited <= now_ns - restarted);
  if (waited <= lossless_bound) {
    results_[kTermination].checked += counts ? 1 : 0;
    return;
  }
  const int64_t bound = lossless_bound + loss_allowance_ns(std::move(spells), query_interval_ns_);
  ECSIM_ASSERT(bound >= lossless_bound && lossless_bound >= termination_bound_ns_);
  if (waited <= bound) {
    // Past the bound a lossless link would give, within what the loss
    // allows: nothing was verified, so it is not counted as checked.
    excused_loss_ += counts ? 1 : 0;
    return;
  }
  results_[kTermination].checked += counts ? 1 : 0;
  if (n.overran) return;  // this doubt was reported when it was interrupted
  n.overran = true;
  report_overrun(Overrun{txn, node, coordinator, n.voted_ns, from, late, before_cut, bound}, now_ns,
                 when);
}

void BillingChecker::report_overrun(const Overrun& o, int64_t now_ns, When when) {
  const std::string in_reach = fmt::format(
      "{} and its coordinator {} up and in reach of each other since {}{}{}", name_of(o.node),
      name_of(o.coordinator), sim::format_time(sim::Time{o.from_ns}),
      o.late_ns > 0 ? fmt::format(", their link late for {} of it",
                                  sim::format_duration(sim::Duration{o.late_ns}))
                    : "",
      o.before_cut_ns > 0 ? fmt::format(", and {} more before their last cut",
                                        sim::format_duration(sim::Duration{o.before_cut_ns}))
                          : "");
  const std::string who = name_of(o.node);
  const std::string voted = sim::format_time(sim::Time{o.voted_ns});
  const std::string over = sim::format_duration(sim::Duration{o.bound_ns});
  const std::string at = sim::format_time(sim::Time{now_ns});
  switch (when) {
    case When::kEnd:
      violation(
          kTermination,
          fmt::format("{} has held transaction {:#x} in doubt since {} (over {} at the end, {})",
                      who, o.txn, voted, over, in_reach));
      break;
    case When::kLearnt:
      violation(kTermination,
                fmt::format("{} learnt the decision on transaction {:#x} at {}, in doubt since {} "
                            "(over {}, {})",
                            who, o.txn, at, voted, over, in_reach));
      break;
    case When::kInterrupted:
      violation(
          kTermination,
          fmt::format("{} had held transaction {:#x} in doubt since {} for over {} at {}, when "
                      "a crash or a fault came ({})",
                      who, o.txn, voted, over, at, in_reach));
      break;
  }
}

// The doubt's time in reach before the pair's last cut (at `from`) that a
// correct voter could not have let pass: each stretch between cuts, if no
// message was lost or slowed in it (the loss allowance and the slow spells
// are judged on the last stretch only), counts for its length less a
// query interval and 4 base round trips (a query after the heal, and its
// answer), less what the connection held back in it. Without it, cuts of
// a millisecond every few seconds (a `drop` of rate 1, or a partition)
// restarted the clock each time and hid a stuck voter for good.
int64_t BillingChecker::in_reach_before_ns(const std::vector<Reachability::Spell>& spells,
                                           uint32_t node, uint32_t coordinator, int64_t from_ns,
                                           int64_t base_rtt_ns) const {
  const int64_t grace = query_interval_ns_ + kTerminationRttMultiple * base_rtt_ns;
  int64_t total = 0;
  size_t i = 0;
  while (i < spells.size() && spells[i].end_ns <= from_ns) {
    // One stretch: spells that follow each other without a gap (a cut).
    const int64_t begin = spells[i].begin_ns;
    bool clean = true;
    size_t j = i;
    for (; j < spells.size() && spells[j].end_ns <= from_ns &&
           (j == i || spells[j].begin_ns == spells[j - 1].end_ns);
         ++j) {
      clean = clean && spells[j].delivery >= 1.0 && spells[j].rtt_tail_ns <= base_rtt_ns;
    }
    const int64_t end = spells[j - 1].end_ns;
    if (clean && end - begin > grace) {
      total += std::max<int64_t>(
          0, end - begin - grace - stalls_.late_ns(node, coordinator, begin, end));
    }
    i = j;
  }
  ECSIM_ASSERT(total >= 0 && total <= from_ns);
  return total;
}

// A crash or a fault may end a pair's clock (a node down, a cut): a doubt
// that has already overrun its bound is a violation whatever comes next.
void BillingChecker::judge_open_doubts(int64_t now_ns) {
  for (const auto& [txn, node] : open_doubts_) {
    Txn& t = txns_.at(txn);
    AtNode& n = t.nodes.at(node);
    // A trace's records come in time order; a hand-made history's fault
    // record may carry an earlier time than a vote before it.
    if (n.voted_ns < 0 || n.voted_ns > now_ns || n.overran) continue;
    // Not judged now, or not past the smallest bound yet: skip the walk
    // over the faults (the same verdicts: the clock starts no earlier).
    if (down_.count(node) != 0 || down_.count(t.coordinator) != 0) continue;
    if (now_ns - doubt_restarted(n, node, t.coordinator) <= termination_bound_ns_) continue;
    judge_doubt(txn, node, n, t.coordinator, now_ns, When::kInterrupted);
  }
}

}  // namespace ecsim::check
