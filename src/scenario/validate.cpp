// validate(Scenario): the checks every scenario passes before it runs,
// whether the YAML loader built it or C++ code did (see validate.hpp). The
// loader refuses most of these as it reads, pointing at the exact key; here
// they are checked again on the value, so a scenario built in C++ cannot
// reach an assertion in the model either.
#include "ecsim/scenario/validate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/net/link_config.hpp"
#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/windows.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::scenario {

namespace {

using sim::Duration;

Mark pick(Mark first, Mark fallback) { return first.line > 0 ? first : fallback; }

class Validator {
 public:
  explicit Validator(const Scenario& sc) : sc_(sc), names_(node_names(sc.topology)) {}

  void check() {
    scenario_fields();
    links();
    pings();
    requests();
    billing();
    for (size_t i = 0; i < sc_.faults.size(); ++i) fault(i, sc_.faults[i]);
    node_states();
    expectations();
    model();
  }

 private:
  [[noreturn]] void fail(Mark m, const std::string& message) const {
    const std::string file = sc_.file.empty() ? "<scenario>" : sc_.file;
    std::string line = m.line > 0 ? fmt::format("{}:{}:{}: {}", file, m.line, std::max(m.column, 1), message)
                                  : fmt::format("{}: {}", file, message);
    std::replace_if(line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    throw LoadError(line);
  }

  // The nodes a selector names; an empty selection is an error.
  std::vector<uint32_t> nodes(const Selector& s, Mark owner, std::string_view what) const {
    std::vector<uint32_t> out = resolve(sc_.topology, s.text);
    if (out.empty()) {
      fail(pick(s.mark, owner), fmt::format("{} selects no node with '{}', expected a node name, tier, glob or '*'",
                                           what, s.text));
    }
    return out;
  }

  void in_range(Mark m, std::string_view what, uint64_t v, uint64_t lo, uint64_t hi) const {
    if (v < lo || v > hi) fail(m, fmt::format("{} is {}, expected {}..{}", what, v, lo, hi));
  }
  // A duration in (lo, hi], or [lo, hi] when lo_inclusive.
  void in_range(Mark m, std::string_view what, Duration d, Duration lo, bool lo_inclusive, Duration hi) const {
    if ((lo_inclusive ? d >= lo : d > lo) && d <= hi) return;
    fail(m, fmt::format("{} is {}, expected a duration {} {} and at most {}", what, sim::format_duration(d),
                        lo_inclusive ? "from" : "above", sim::format_duration(lo), sim::format_duration(hi)));
  }

  void latency(Mark m, std::string_view what, const net::LatencyModel& model) const {
    if (const std::string why = model.validate(); !why.empty()) {
      fail(m, fmt::format("{} is not a valid latency model ({})", what, why));
    }
  }

  void link_patch(Mark m, std::string_view what, const LinkPatch& p) const {
    if (p.latency) latency(m, fmt::format("{} latency", what), *p.latency);
    if (p.drop_ppm) in_range(m, fmt::format("{} drop (ppm)", what), *p.drop_ppm, 0, net::kPpmOne);
    if (p.duplicate_ppm) in_range(m, fmt::format("{} duplicate (ppm)", what), *p.duplicate_ppm, 0, net::kPpmOne);
  }

  // Links join two different nodes: a pair of selectors that names only a
  // node and itself applies to nothing.
  void two_ends(const Selector (&between)[2], Mark owner, std::string_view what) const {
    const std::vector<uint32_t> a = nodes(between[0], owner, what);
    const std::vector<uint32_t> b = nodes(between[1], owner, what);
    for (uint32_t x : a) {
      for (uint32_t y : b) {
        if (x != y) return;
      }
    }
    fail(pick(between[0].mark, owner),
         fmt::format("{} is between {} and itself only, expected two different nodes (a node has no link to itself)",
                     what, names_[a[0]]));
  }

  void scenario_fields() const {
    if (sc_.name.empty() || sc_.name.size() > kNameBytesMax) {
      fail({}, fmt::format("name has {} bytes, expected a name of 1..{} bytes", sc_.name.size(), kNameBytesMax));
    }
    in_range({}, "duration", sc_.duration, Duration{0}, false, kScenarioDurationMax);
    if (sc_.memory_max) in_range({}, "memory_max (bytes)", *sc_.memory_max, kMemoryMaxMin, kMemoryMaxMax);
    const Topology& t = sc_.topology;
    for (int tier = 0; tier < kTierCount; ++tier) {
      const int n = t.count(static_cast<Tier>(tier));
      if (n < 1 || n > kNodesPerTierMax) {
        fail({}, fmt::format("topology.{} is {}, expected 1..{}", tier_name(static_cast<Tier>(tier)), n,
                             kNodesPerTierMax));
      }
    }
    if (const std::string why = topology_size_problem(sc_); !why.empty()) fail({}, why);
  }

  void links() const {
    link_patch({}, "network.default", sc_.network.defaults);
    for (size_t i = 0; i < sc_.network.overrides.size(); ++i) {
      const LinkOverride& o = sc_.network.overrides[i];
      const std::string what = fmt::format("network.links[{}]", i);
      two_ends(o.between, o.between[0].mark, what);
      link_patch(o.between[0].mark, what, o.patch);
    }
  }

  void pings() const {
    for (size_t i = 0; i < sc_.workload.size(); ++i) {
      const Workload& w = sc_.workload[i];
      const std::string what = fmt::format("ping workload {}", i + 1);
      const std::vector<uint32_t> from = nodes(w.from, w.mark, what);
      const std::vector<uint32_t> to = nodes(w.to, w.mark, what);
      in_range(w.mark, what + " rate (per second)", w.rate_per_s, 1, kRatePerSecondMax);
      in_range(w.mark, what + " size (bytes)", w.size_bytes, 1, kSizeBytesMax);
      in_range(w.mark, what + " timeout", w.timeout, Duration{0}, false, kTimeoutMax);
      // A sender whose only target is itself would send nothing.
      for (uint32_t src : from) {
        if (std::any_of(to.begin(), to.end(), [src](uint32_t t) { return t != src; })) continue;
        fail(pick(w.to.mark, w.mark),
             fmt::format("{} from '{}' to '{}': {} would ping only itself, expected a 'to' with another node", what,
                         w.from.text, w.to.text, names_[src]));
      }
    }
  }

  void requests() const {
    if (sc_.requests.empty()) return;
    const Mark first = sc_.requests[0].mark;
    if (!sc_.workload.empty()) {
      fail(first, "ping and requests workloads in one scenario, expected workloads of one kind per scenario");
    }
    if (sc_.topology.cloud % kCloudNodesForRequests != 0) {
      fail(first, fmt::format("a requests workload with {} cloud nodes (topology.cloud), expected a multiple of {} "
                              "(every record lives on a group of three cloud replicas with a 2-of-3 write quorum)",
                              sc_.topology.cloud, kCloudNodesForRequests));
    }
    for (size_t i = 0; i < sc_.requests.size(); ++i) {
      const RequestWorkload& w = sc_.requests[i];
      const std::string what = fmt::format("requests workload {}", i + 1);
      edge_only(w.at, w.mark, what);
      in_range(w.mark, what + " rate (per second)", w.rate_per_s, 1, kRatePerSecondMax);
      in_range(w.mark, what + " subscribers", w.subscribers, 1, kSubscribersMax);
      if (!(w.zipf == 0.0 || (w.zipf >= 0.01 && w.zipf <= 5.0))) {
        fail(w.mark, fmt::format("{} zipf is {}, expected 0 (uniform) or 0.01..5", what, w.zipf));
      }
      in_range(w.mark, what + " records", w.records_per_subscriber, 1, kRecordsPerSubscriberMax);
      const uint64_t weights[] = {w.mix_session_check, w.mix_read, w.mix_write, w.mix_dsm_set, w.mix_dsm_get};
      uint64_t sum = 0;
      for (uint64_t weight : weights) {
        in_range(w.mark, what + " mix weight", weight, 0, kMixWeightMax);
        sum += weight;
      }
      if (sum == 0) fail(w.mark, fmt::format("{} mix has all weights 0, expected at least one above 0", what));
      in_range(w.mark, what + " bad_tokens (ppm)", w.bad_token_ppm, 0, net::kPpmOne);
      if (w.bad_token_ppm > 0 && w.subscribers < 2) {
        fail(w.mark, fmt::format("{} has bad_tokens with a single subscriber, expected 0 (a cross-subscriber "
                                 "bad token needs a second subscriber)",
                                 what));
      }
      in_range(w.mark, what + " timeout", w.timeout, Duration{0}, false, kTimeoutMax);
      in_range(w.mark, what + " dsm_keys", w.dsm_keys, 1, kDsmKeysMax);
      if (w.until) in_range(w.mark, what + " until", *w.until, Duration{0}, false, kScenarioDurationMax);
    }
  }

  // Clients enter at the edge: every node `at` selects must be an edge node.
  void edge_only(const Selector& at, Mark owner, const std::string& what) const {
    for (uint32_t n : nodes(at, owner, what)) {
      const Tier tier = node_tier(sc_.topology, n);
      if (tier == Tier::kEdge) continue;
      fail(pick(at.mark, owner),
           fmt::format("{} at '{}' includes {} (a {} node), expected edge nodes only (clients enter at the edge)",
                       what, at.text, names_[n], tier_name(tier)));
    }
  }

  // A billing workload rides on the three tiers, which a requests workload
  // builds: billing alone is refused rather than run without them.
  void billing() const {
    for (size_t i = 0; i < sc_.billing.size(); ++i) {
      const BillingWorkload& w = sc_.billing[i];
      const std::string what = fmt::format("billing workload {}", i + 1);
      if (sc_.requests.empty()) {
        fail(w.mark, fmt::format("{} without a requests workload, expected a requests workload beside it "
                                 "(the three tiers carry billing; a low rate will do)", what));
      }
      edge_only(w.at, w.mark, what);
      in_range(w.mark, what + " rate (per second)", w.rate_per_s, 1, kRatePerSecondMax);
      in_range(w.mark, what + " subscribers", w.subscribers, 2, kBillingSubscribersMax);
      in_range(w.mark, what + " numbers", w.numbers_per_subscriber, 1, kBillingNumbersPerSubscriberMax);
      in_range(w.mark, what + " subscribers times numbers", w.subscribers * w.numbers_per_subscriber, 2,
               kBillingNumbersMax);
      if (w.initial_balance < 0 || w.initial_balance > kBillingBalanceMax) {
        fail(w.mark, fmt::format("{} balance is {}, expected 0 to {}", what, w.initial_balance, kBillingBalanceMax));
      }
      if (w.amount_min < 1 || w.amount_max < w.amount_min || w.amount_max > kBillingBalanceMax) {
        fail(w.mark, fmt::format("{} amount is [{}, {}], expected 1 <= lo <= hi <= {}", what, w.amount_min,
                                 w.amount_max, kBillingBalanceMax));
      }
      const uint64_t weights[] = {w.mix_debit, w.mix_transfer, w.mix_top_up, w.mix_port, w.mix_balance,
                                  w.mix_number_owner};
      uint64_t sum = 0;
      for (uint64_t weight : weights) {
        in_range(w.mark, what + " mix weight", weight, 0, kMixWeightMax);
        sum += weight;
      }
      if (sum == 0) fail(w.mark, fmt::format("{} mix has all weights 0, expected at least one above 0", what));
      in_range(w.mark, what + " timeout", w.timeout, Duration{0}, false, kTimeoutMax);
      if (w.until) in_range(w.mark, what + " until", *w.until, Duration{0}, false, kScenarioDurationMax);
      in_range(w.mark, what + " cache entries", w.cache_entries, 0, kBillingCacheEntriesMax);
      const BillingWorkload& first = sc_.billing[0];
      if (w.subscribers != first.subscribers || w.numbers_per_subscriber != first.numbers_per_subscriber ||
          w.initial_balance != first.initial_balance || w.cache_entries != first.cache_entries ||
          w.cache_staleness_max != first.cache_staleness_max) {
        fail(w.mark, fmt::format("{} has subscribers, numbers or balance unlike billing workload 1's, expected "
                                 "one billing domain per scenario (the same three values, and the same cache)", what));
      }
    }
  }

  void fault(size_t i, const Fault& f) const {
    const std::string what = fmt::format("fault {}", i + 1);
    if (i > 0 && f.at < sc_.faults[i - 1].at) fail(f.mark, fmt::format("{} is out of time order", what));
    if (f.kind != Fault::Kind::kAtPoint && (f.at.ns < 0 || f.at.ns >= sc_.duration.ns)) {
      fail(f.mark, fmt::format("{} at {}, expected a time before the end of the scenario ({})", what,
                               sim::format_time(f.at), sim::format_duration(sc_.duration)));
    }
    if (f.after_event && (f.kind == Fault::Kind::kAtPoint || *f.after_event > kAfterEventMax)) {
      fail(f.mark, fmt::format("{} has after_event {}, expected an integer 0..{} on a timed fault", what,
                               *f.after_event, kAfterEventMax));
    }
    if (f.for_duration) {
      if (f.kind == Fault::Kind::kRestart || f.kind == Fault::Kind::kHeal || is_action(f.kind)) {
        fail(f.mark, fmt::format("{} has 'for' on a restart, heal or workload action, which have nothing to revert", what));
      }
      in_range(f.mark, what + " for", *f.for_duration, Duration{0}, false, kScenarioDurationMax);
    }
    switch (f.kind) {
      case Fault::Kind::kCrash:
      case Fault::Kind::kRestart:
        nodes(f.target, f.mark, what);
        return;
      case Fault::Kind::kHeal:
        return;
      case Fault::Kind::kPartition:
        partition(what, f);
        return;
      case Fault::Kind::kDrop:
      case Fault::Kind::kDuplicate:
        in_range(f.mark, what + " rate (ppm)", f.ppm, 0, net::kPpmOne);
        break;
      case Fault::Kind::kDelay:
        latency(f.mark, what + " latency", f.latency);
        break;
      case Fault::Kind::kReorder:
        break;
      case Fault::Kind::kByzantine:
        byzantine(what, f);
        return;
      case Fault::Kind::kAtPoint:
        at_point(what, f);
        return;
      case Fault::Kind::kDsmSet:
      case Fault::Kind::kDsmGet:
      case Fault::Kind::kBilling:
      case Fault::Kind::kTwopcVoteNo:
        nodes(f.target, f.mark, what);
        return;
    }
    two_ends(f.between, f.mark, what);
  }

  void partition(const std::string& what, const Fault& f) const {
    if (f.groups.size() < 2) fail(f.mark, fmt::format("{} has {} groups, expected two or more", what, f.groups.size()));
    std::vector<int> group_of(names_.size(), -1);
    bool rest = false;
    for (size_t g = 0; g < f.groups.size(); ++g) {
      if (f.groups[g].empty()) fail(f.mark, fmt::format("{} group {} is empty, expected at least one node", what, g));
      if (f.groups[g].size() == 1 && f.groups[g][0].text == "*") {
        if (rest) fail(f.mark, fmt::format("{} has two \"*\" groups, expected one at most", what));
        rest = true;
        continue;
      }
      for (const Selector& s : f.groups[g]) {
        for (uint32_t n : nodes(s, f.mark, what)) {
          if (group_of[n] >= 0 && group_of[n] != static_cast<int>(g)) {
            fail(pick(s.mark, f.mark), fmt::format("node {} is in partition groups {} and {}, expected each node in "
                                                   "one group",
                                                   names_[n], group_of[n], g));
          }
          group_of[n] = static_cast<int>(g);
        }
      }
    }
    if (rest && std::find(group_of.begin(), group_of.end(), -1) == group_of.end()) {
      fail(f.mark, fmt::format("{}: \"*\" group is empty (every node is in another group), expected some node left",
                               what));
    }
  }

  void byzantine(const std::string& what, const Fault& f) const {
    if (sc_.requests.empty()) {
      fail(f.mark, fmt::format("{}: a byzantine fault in a scenario without a requests workload, expected it only "
                               "with the three-tier model",
                               what));
    }
    for (uint32_t n : nodes(f.target, f.mark, what)) {
      const Tier tier = node_tier(sc_.topology, n);
      if (tier != Tier::kEdge) {
        fail(pick(f.target.mark, f.mark), fmt::format("{}: byzantine {} (a {} node), expected edge nodes only", what,
                                                      names_[n], tier_name(tier)));
      }
    }
    in_range(f.mark, what + " rate (per second)", f.rate_per_s, 1, kRatePerSecondMax);
  }

  void at_point(const std::string& what, const Fault& f) const {
    if (sc_.requests.empty()) {
      fail(f.mark, fmt::format("{}: at_point in a scenario without a requests workload, expected it only with the "
                               "three-tier model",
                               what));
    }
    const std::vector<uint32_t> n = nodes(f.target, f.mark, what);
    if (n.size() != 1) {
      fail(pick(f.target.mark, f.mark), fmt::format("{}: '{}' selects {} nodes, expected exactly one", what,
                                                    f.target.text, n.size()));
    }
    const proto::PointInfo& info = proto::point_info(f.point);
    const Tier tier = node_tier(sc_.topology, n[0]);
    uint32_t runs_on = info.tiers;  // cores resend invalidations with the edge billing cache on
    const bool cache = !sc_.billing.empty() && sc_.billing[0].cache_entries > 0;
    if (cache && f.point == proto::Point::kMsgqSenderBeforeResend) runs_on |= 1u << static_cast<unsigned>(Tier::kCore);
    if ((runs_on & (1u << static_cast<unsigned>(tier))) == 0) {
      fail(pick(f.target.mark, f.mark), fmt::format("{}: {} on {} (a {} node), which never runs that code", what,
                                                    info.name, names_[n[0]], tier_name(tier)));
    }
    in_range(f.mark, what + " nth", f.nth, 1, static_cast<uint64_t>(kNthMax));
  }

  // Replays the schedule, tracking which nodes are down, so a crash of a
  // node that is down (or a restart of one that is up) is refused here
  // rather than surfacing as a no-op or an assertion mid-run. A crash with
  // `for: D` restarts the node at `at + D`; another crash or restart of that
  // node at exactly that instant would depend on event order, so it is
  // refused too.
  void node_states() const {
    struct State {
      bool down = false;
      sim::Time crashed_at{0};
      std::optional<sim::Time> auto_restart_at;
    };
    std::vector<State> states(names_.size());
    for (const Fault& f : sc_.faults) {
      const bool byzantine = f.kind == Fault::Kind::kByzantine;
      if (f.kind != Fault::Kind::kCrash && f.kind != Fault::Kind::kRestart && !byzantine) continue;
      const char* action = f.kind == Fault::Kind::kCrash ? "crash" : "restart";
      for (State& s : states) {
        if (s.auto_restart_at && *s.auto_restart_at < f.at) s = State{};
      }
      if (byzantine) {
        // A byzantine node must be up when its fault begins (it may crash
        // later: it sends nothing while it is down).
        for (uint32_t node : resolve(sc_.topology, f.target.text)) {
          const State& s = states[node];
          if (!s.down) continue;
          fail(f.mark,
               fmt::format("byzantine {} at {}, but {} is down (crashed at {}), expected a node that is up",
                           names_[node], sim::format_time(f.at), names_[node], sim::format_time(s.crashed_at)));
        }
        continue;
      }
      for (uint32_t node : resolve(sc_.topology, f.target.text)) {
        State& s = states[node];
        const std::string& n = names_[node];
        const std::string at = sim::format_time(f.at);
        if (s.auto_restart_at) {
          fail(f.mark, fmt::format("{} of {} at {}, but {} restarts by itself at {} (crashed at {} with "
                                   "'for'), expected no {} before it is up again",
                                   action, n, at, n, sim::format_time(*s.auto_restart_at),
                                   sim::format_time(s.crashed_at), action));
        }
        if (f.kind == Fault::Kind::kCrash && s.down) {
          fail(f.mark, fmt::format("crash of {} at {}, but {} is already down (crashed at {}), "
                                   "expected a node that is up",
                                   n, at, n, sim::format_time(s.crashed_at)));
        }
        if (f.kind == Fault::Kind::kRestart && !s.down) {
          fail(f.mark, fmt::format("restart of {} at {}, but {} is already up, expected a node that "
                                   "is down",
                                   n, at, n));
        }
        s.down = f.kind == Fault::Kind::kCrash;
        if (!s.down) continue;
        s.crashed_at = f.at;
        if (f.for_duration) s.auto_restart_at = f.at + *f.for_duration;
      }
    }
  }

  void expectations() const {
    const Expect& e = sc_.expect;
    const Mark m = e.mark;
    const bool tiers = !sc_.requests.empty();
    for (size_t i = 0; i < e.invariants.size(); ++i) {
      const std::string& name = e.invariants[i];
      const std::optional<Invariant> inv = invariant_by_name(name);
      if (!inv) fail(m, fmt::format("unknown invariant '{}' in expect.invariants", name));
      if (std::find(e.invariants.begin(), e.invariants.begin() + static_cast<long>(i), name) !=
          e.invariants.begin() + static_cast<long>(i)) {
        fail(m, fmt::format("invariant '{}' listed twice in expect.invariants, expected each once", name));
      }
      if (invariants()[static_cast<size_t>(*inv)].tiers_only && !tiers) {
        fail(m, fmt::format("invariant '{}' in a scenario without a requests workload, expected it only with the "
                            "three-tier model",
                            name));
      }
      if (const std::string_view why = missing_for(*inv, sc_); !why.empty()) {
        fail(m, fmt::format("invariant '{}' has nothing to judge in this scenario, expected {}", name, why));
      }
      if (*inv == Invariant::kCausality && sc_.model.vector_clocks == false) {
        fail(m, "invariant 'causality' with model.vector_clocks: false (no clock rides on a message, so there is "
                "nothing to judge), expected clocks on or no causality");
      }
    }
    // Without a second to judge after the last outage window it is refused, and not required.
    if (e.recovers_within) {
      if (const std::string why = recovers_within_refusal(sc_, RecoveryClients::kRequests, *e.recovers_within);
          !why.empty()) {
        fail(m, why);
      }
      in_range(m, "expect.recovers_within", *e.recovers_within, sim::seconds(1), true, sim::seconds(3600));
    } else if (recovers_within_required(sc_)) {
      const auto f = std::find_if(sc_.faults.begin(), sc_.faults.end(), [](const Fault& x) { return is_outage(x); });
      // An example whose deadline leaves a second to judge (required means 1 s does).
      fail(f->mark, fmt::format("a fault window in a scenario with a requests workload, but no "
                                "expect.recovers_within, expected one like 'recovers_within: {}' (how soon the served "
                                "ratio must be back after the last fault)",
                                sim::format_duration(recovers_within_fitting(sc_, sim::seconds(5)))));
    }
    if (e.served_ratio_min) {
      if (!(*e.served_ratio_min > 0.0 && *e.served_ratio_min <= 1.0)) {  // 0 could never fail
        fail(m, fmt::format("expect.served_ratio_min is {}, expected a ratio above 0, at most 1", *e.served_ratio_min));
      }
      if (sc_.workload.empty() && sc_.requests.empty()) {
        fail(m, "expect.served_ratio_min in a scenario without a workload, expected a ping or requests workload "
                "whose answers it counts");
      }
    }
    if (e.ping_latency_p99) {
      if (sc_.workload.empty()) {
        fail(m, "expect.latency_p99.ping in a scenario without a ping workload, expected it only with kind: ping "
                "workloads");
      }
      in_range(m, "expect.latency_p99.ping", *e.ping_latency_p99, Duration{0}, false, kScenarioDurationMax);
      if (auto why = latency_bound_refusal(sc_, "latency_p99.ping", *e.ping_latency_p99); !why.empty()) fail(m, why);
    }
    bool tier_latency = false;
    for (int t = 0; t < kTierCount; ++t) {
      if (!e.tier_latency_p99[t]) continue;
      tier_latency = true;
      const std::string what = fmt::format("expect.latency_p99.{}", tier_name(static_cast<Tier>(t)));
      if (!tiers) {
        fail(m, fmt::format("{} in a scenario without a requests workload, expected tier latencies only with the "
                            "three-tier model",
                            what));
      }
      in_range(m, what, *e.tier_latency_p99[t], Duration{0}, false, kScenarioDurationMax);
      const bool timed = static_cast<Tier>(t) != Tier::kCloud;  // cloud: core's quorum operations, not clients'
      const std::string key = what.substr(std::string_view("expect.").size());
      if (auto why = timed ? latency_bound_refusal(sc_, key, *e.tier_latency_p99[t]) : ""; !why.empty()) fail(m, why);
    }
    if (e.latency_outside_faults) {
      if (!tier_latency) {
        fail(m, "expect.latency_p99.outside_faults without a tier latency (edge, core or cloud) beside it, expected "
                "it to qualify one");
      }
      in_range(m, "expect.latency_p99.outside_faults", *e.latency_outside_faults, Duration{0}, true,
               kScenarioDurationMax);
    }
    throughput();
    for (int t = 0; t < kTierCount; ++t) {
      if (!e.utilisation_max[t]) continue;
      const std::string what = fmt::format("expect.utilisation_max.{}", tier_name(static_cast<Tier>(t)));
      if (!tiers) {
        fail(m, fmt::format("{} in a scenario without a requests workload, expected tier utilisation only with "
                            "the three-tier model",
                            what));
      }
      if (!(*e.utilisation_max[t] >= 0.0 && *e.utilisation_max[t] <= 1.0)) {
        fail(m, fmt::format("{} is {}, expected a ratio 0..1", what, *e.utilisation_max[t]));
      }
    }
    in_range(m, "expect.quiescence", e.quiescence, Duration{0}, false, kQuiescenceMax);
    if (const std::string why = billing_expect_refusal(sc_); !why.empty()) fail(m, why);
  }

  // Every node a throughput_min selector names must have clients.
  void throughput() const {
    const Expect& e = sc_.expect;
    if (e.throughput_min.empty()) return;
    if (sc_.requests.empty()) {
      fail(e.mark, "expect.throughput_min in a scenario without a requests workload, expected it only with the "
                   "three-tier model (clients at edge nodes)");
    }
    std::vector<bool> has_clients(names_.size(), false);
    for (const RequestWorkload& w : sc_.requests) {
      for (uint32_t n : resolve(sc_.topology, w.at.text)) has_clients[n] = true;
    }
    for (const ThroughputMin& t : e.throughput_min) {
      for (uint32_t n : nodes(t.nodes, e.mark, "expect.throughput_min")) {
        if (has_clients[n]) continue;
        fail(pick(t.nodes.mark, e.mark), fmt::format("expect.throughput_min selects {}, which has no clients, "
                                                     "expected nodes with clients (in a requests workload's 'at')",
                                                     names_[n]));
      }
      in_range(pick(t.nodes.mark, e.mark), "expect.throughput_min rate (per second)", t.per_s, 1, kRatePerSecondMax);
    }
  }

  void model() const {
    const ModelPatch& p = sc_.model;
    const bool set = p.cache_capacity || p.cache_ttl || p.rpc_timeout || p.rpc_retries || p.rpc_cores_tried ||
                     p.rpc_pool_size || p.rpc_pool_warm || p.rpc_handshake_timeout || p.resend_timeout || p.window ||
                     p.cores[0] || p.cores[1] || p.cores[2] || p.recovery || p.vector_clocks || p.wal_slack;
    if (!set) return;
    const Mark m = p.mark;
    if (sc_.requests.empty()) {
      fail(m, "model sets the three tiers' parameters, but this scenario has no requests workload, expected a "
              "workload of kind requests or no model");
    }
    const Duration zero{0};
    if (p.cache_capacity) in_range(m, "model.edge_cache.capacity", *p.cache_capacity, 1, 10000000);
    if (p.cache_ttl) in_range(m, "model.edge_cache.ttl", *p.cache_ttl, zero, false, sim::seconds(3600));
    if (p.rpc_timeout) in_range(m, "model.rpc.timeout", *p.rpc_timeout, zero, false, sim::seconds(60));
    if (p.rpc_retries) in_range(m, "model.rpc.retries", *p.rpc_retries, 0, 10);
    if (p.rpc_cores_tried) {
      in_range(m, "model.rpc.cores_tried", *p.rpc_cores_tried, 1, static_cast<uint64_t>(sc_.topology.core));
    }
    if (p.rpc_pool_size) in_range(m, "model.rpc.pool_size", *p.rpc_pool_size, 1, 64);
    if (p.rpc_pool_warm) in_range(m, "model.rpc.pool_warm", *p.rpc_pool_warm, 0, p.rpc_pool_size.value_or(32));
    if (p.rpc_handshake_timeout) {
      in_range(m, "model.rpc.handshake_timeout", *p.rpc_handshake_timeout, zero, false, sim::seconds(60));
    }
    if (p.resend_timeout) {
      in_range(m, "model.messaging.resend_timeout", *p.resend_timeout, zero, false, sim::seconds(3600));
      if (p.recovery == false && *p.resend_timeout < kResendTimeoutWithoutBackoffMin) {
        fail(m, fmt::format("model.messaging.resend_timeout is {}, expected at least {} with recovery: false",
                            sim::format_duration(*p.resend_timeout),
                            sim::format_duration(kResendTimeoutWithoutBackoffMin)));
      }
    }
    if (p.window) in_range(m, "model.messaging.window", *p.window, 1, 1024);
    if (p.wal_slack) in_range(m, "model.storage.wal_slack", *p.wal_slack, 0, kWalSlackMax);
    for (int t = 0; t < kTierCount; ++t) {
      if (p.cores[t]) {
        in_range(m, fmt::format("model.cores.{}", tier_name(static_cast<Tier>(t))), *p.cores[t], 1, 256);
      }
    }
  }

  const Scenario& sc_;
  std::vector<std::string> names_;
};

}  // namespace

void validate(const Scenario& sc) { Validator(sc).check(); }

}  // namespace ecsim::scenario
