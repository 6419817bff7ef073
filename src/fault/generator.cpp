#include "ecsim/fault/generator.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ecsim/proto/points.hpp"
#include "ecsim/proto/msgq.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/rng.hpp"

namespace ecsim::fault {

namespace {

using sim::Duration;
using sim::Time;

struct Draw {
  Time at;
  std::string yaml;
};

// Draws and formats one fault kind at a time; remembers when each node is
// down, so no crash meets a node that is down (the loader refuses that).
class Swarm {
 public:
  Swarm(const scenario::Scenario& sc, uint64_t seed, const SwarmLimits& limits)
      : sc_(sc), rng_(sim::Rng::stream(seed, "swarm")), names_(scenario::node_names(sc.topology)) {
    const int64_t d = sc.duration.ns;
    // After the last fault: a resend of what it dropped (reliable messaging
    // resends after its timeout, and under the recovery rules backs off up
    // to twice that), then the quiescence the verdicts need.
    const sim::Duration timeout = sc.model.resend_timeout.value_or(sim::seconds(5));
    const int64_t resend = sc.model.recovery.value_or(true) ? proto::msgq::resend_timeout_max_for(timeout).ns : timeout.ns;
    const int64_t quiet =
        std::max(d / 1000 * limits.quiet_permille, sc.expect.quiescence.ns + resend + sim::seconds(3).ns);
    first_ = Time{d / 1000 * limits.start_permille};
    last_end_ = Time{d - quiet};
    busy_until_.assign(names_.size(), Time{-1});
    byzantine_.assign(names_.size(), false);
  }

  bool room() const { return last_end_ - first_ >= sim::seconds(1); }
  Time first() const { return first_; }
  Time last_end() const { return last_end_; }

  std::vector<Draw> draw(uint32_t count) {
    const bool tiers = !sc_.requests.empty();
    std::vector<uint64_t> kinds;
    for (uint32_t i = 0; i < count; ++i) kinds.push_back(rng_.below(tiers ? 8 : 7));
    // Crashes first, so a byzantine fault drawn later never lands on a node
    // that one of them takes down.
    std::stable_partition(kinds.begin(), kinds.end(), [](uint64_t k) { return k <= 1; });
    std::vector<Draw> out;
    for (uint64_t kind : kinds) {
      const Time at = time_between(first_, last_end_ - sim::milliseconds(500));
      const Duration window = window_from(at);
      switch (kind) {
        case 0:
        case 1: add_crash(out, at, window); break;
        case 2: out.push_back({at, partition(at, window)}); break;
        case 3: out.push_back({at, link_fault(at, window, "drop", fmt::format("rate: {}%", 5 + rng_.below(46)))}); break;
        case 4: {
          const int64_t lo = 5 + static_cast<int64_t>(rng_.below(45));
          const int64_t hi = lo + 5 + static_cast<int64_t>(rng_.below(150));
          out.push_back({at, link_fault(at, window, "delay",
                                        fmt::format("latency: {{ uniform: [{}ms, {}ms] }}", lo, hi))});
          break;
        }
        case 5:
          out.push_back({at, link_fault(at, window, "duplicate", fmt::format("rate: {}%", 5 + rng_.below(26)))});
          break;
        case 6: out.push_back({at, link_fault(at, window, "reorder", "")}); break;
        default: add_byzantine(out, at, window); break;
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const Draw& a, const Draw& b) { return a.at < b.at; });
    return out;
  }

  // A time in [lo, hi], on a whole millisecond.
  Time time_between(Time lo, Time hi) {
    ECSIM_ASSERT(lo <= hi);
    const int64_t ms = (hi - lo).ns / 1000000;
    return lo + sim::milliseconds(static_cast<int64_t>(rng_.below(static_cast<uint64_t>(ms) + 1)));
  }

  // 0.2 s .. 5 s in steps of 100 ms, ending by last_end_.
  Duration window_from(Time at) {
    const Duration want = sim::milliseconds(200 + 100 * static_cast<int64_t>(rng_.below(49)));
    const Duration room = sim::milliseconds(std::max<int64_t>(100, (last_end_ - at).ns / 100000000 * 100));
    return std::min(want, room);
  }

  bool down_at(uint32_t n, Time at) const {
    for (const Crash& c : crashes_) {
      if (c.node == n && c.from <= at && at <= c.to) return true;
    }
    return false;
  }

  // A tier with nodes, or one node.
  std::string tier_or_node() {
    const auto tier = static_cast<scenario::Tier>(rng_.below(3));
    if (rng_.below(2) == 0 && sc_.topology.count(tier) > 0) return scenario::tier_name(tier);
    return names_[rng_.below(names_.size())];
  }

  static std::string quoted(const std::string& s) { return s == "*" ? "\"*\"" : s; }

  // A node down over [at, at + window], strictly after its last window, so
  // no two faults meet it at one instant.
  void add_crash(std::vector<Draw>& out, Time at, Duration window) {
    const uint32_t n = static_cast<uint32_t>(rng_.below(names_.size()));
    if (busy_until_[n] >= at) return;
    busy_until_[n] = at + window;
    crashes_.push_back({n, at, at + window});
    out.push_back({at, fmt::format("{{ at: {}, crash: {}, for: {} }}", sim::format_time(at), names_[n],
                                   sim::format_duration(window))});
  }

  // A crash at a protocol point, from its own stream `r` (so the mix drawn
  // before it stays the same): a node no other fault of the mix crashes or
  // makes byzantine (the loader cannot see when a point fires, so it could
  // not refuse a timed fault meeting the node down), one of the points its
  // tier runs, a small nth, and two times in three a restart after 0.2 s ..
  // 3 s. A point the run never reaches often enough does nothing.
  std::string point_crash(sim::Rng& r) const {
    std::vector<uint32_t> free;
    for (uint32_t n = 0; n < names_.size(); ++n) {
      if (busy_until_[n] < Time{0} && !byzantine_[n]) free.push_back(n);
    }
    if (free.empty()) return "";
    const uint32_t n = free[r.below(free.size())];
    const auto tier_bit = static_cast<uint8_t>(1u << static_cast<uint8_t>(scenario::node_tier(sc_.topology, n)));
    std::vector<std::string_view> reached;
    for (const proto::PointInfo& p : proto::points()) {
      // 2PC runs only with a billing workload; leaving its points out
      // otherwise keeps the draws of every other scenario as they were.
      const bool runs = !sc_.billing.empty() || proto::point_protocol(p.name) != "twopc";
      if ((p.tiers & tier_bit) != 0 && runs) reached.push_back(p.name);
    }
    ECSIM_ASSERT(!reached.empty());  // every tier runs some protocol with points
    const std::string_view point = reached[r.below(reached.size())];
    const uint64_t nth = 1 + r.below(5);
    std::string restart;
    if (r.below(3) != 0) {
      const Duration back_after = sim::milliseconds(200 + 100 * static_cast<int64_t>(r.below(29)));
      restart = fmt::format(", for: {}", sim::format_duration(back_after));
    }
    return fmt::format("{{ at_point: {}, node: {}, nth: {}, do: crash{} }}", point, names_[n], nth, restart);
  }

  // One more crash, of a cloud node, from its own stream `r` (so the mix
  // drawn before it stays the same): the invariants that judge a cloud
  // replica's restart (durability, catch_up) then have one on most seeds.
  void add_cloud_crash(std::vector<Draw>& out, sim::Rng& r) {
    const auto clouds = scenario::resolve(sc_.topology, "cloud");
    const uint32_t n = clouds[r.below(clouds.size())];
    const int64_t span_ms = (last_end_ - sim::milliseconds(500) - first_).ns / 1000000;
    const Time at = first_ + sim::milliseconds(static_cast<int64_t>(r.below(static_cast<uint64_t>(span_ms) + 1)));
    const Duration want = sim::milliseconds(200 + 100 * static_cast<int64_t>(r.below(49)));
    const Duration window = std::min(want, sim::milliseconds((last_end_ - at).ns / 100000000 * 100));
    if (busy_until_[n] >= at || window.ns <= 0) return;
    busy_until_[n] = at + window;
    crashes_.push_back({n, at, at + window});
    out.push_back({at, fmt::format("{{ at: {}, crash: {}, for: {} }}", sim::format_time(at), names_[n],
                                   sim::format_duration(window))});
    std::stable_sort(out.begin(), out.end(), [](const Draw& a, const Draw& b) { return a.at < b.at; });
  }

  void add_byzantine(std::vector<Draw>& out, Time at, Duration window) {
    const auto edges = scenario::resolve(sc_.topology, "edge");
    const uint32_t n = edges[rng_.below(edges.size())];
    if (down_at(n, at)) return;  // the loader refuses a fault on a node that is down then
    byzantine_[n] = true;
    out.push_back({at, fmt::format("{{ at: {}, byzantine: {}, strategy: cloud_direct_write, rate: {}/s, for: {} }}",
                                   sim::format_time(at), names_[n], 10 + rng_.below(91),
                                   sim::format_duration(window))});
  }

  std::string partition(Time at, Duration window) {
    return fmt::format("{{ at: {}, partition: [[{}], \"*\"], for: {} }}", sim::format_time(at), tier_or_node(),
                       sim::format_duration(window));
  }

  std::string link_fault(Time at, Duration window, const char* kind, const std::string& arg) {
    const std::string a = rng_.below(3) == 0 ? "*" : tier_or_node();
    const std::string b = rng_.below(3) == 0 ? "*" : tier_or_node();
    std::string between = fmt::format("between: [{}, {}]", quoted(a), quoted(b));
    // Both ends the same single node ("core" and "core-1" with one core
    // node): no link, which the loader refuses; the node's links to all.
    if (a != "*" && b != "*") {
      const auto ends = scenario::resolve(sc_.topology, a);
      if (ends.size() == 1 && ends == scenario::resolve(sc_.topology, b)) {
        between = fmt::format("between: [{}, \"*\"]", quoted(a));
      }
    }
    const std::string body = arg.empty() ? between : between + ", " + arg;
    return fmt::format("{{ at: {}, {}: {{ {} }}, for: {} }}", sim::format_time(at), kind, body,
                       sim::format_duration(window));
  }

  const scenario::Scenario& sc_;
  sim::Rng rng_;
  std::vector<std::string> names_;
  Time first_;
  Time last_end_;
  std::vector<Time> busy_until_;
  std::vector<bool> byzantine_;  // a byzantine fault of the mix acts on the node
  struct Crash {
    uint32_t node;
    Time from, to;
  };
  std::vector<Crash> crashes_;
};

}  // namespace

std::string swarm_no_room(const scenario::Scenario& sc, const SwarmLimits& limits) {
  const Swarm swarm(sc, 0, limits);
  if (swarm.room()) return "";
  // The shortest whole-second duration that leaves room.
  scenario::Scenario longer = sc;
  longer.duration = sim::seconds(1);
  while (longer.duration < sim::seconds(24 * 3600) && !Swarm(longer, 0, limits).room()) {
    longer.duration = longer.duration + sim::seconds(1);
  }
  const sim::Duration quiet = (Time{0} + sc.duration) - swarm.last_end();
  return fmt::format("the scenario's {} leave no second for a fault: faults begin after {} (a tenth of the run) and "
                     "end {} before the end (the quiescence, the longest messaging resend back-off and 3 s, or a "
                     "fifth of the run, whichever is longer), so every seed would run without one; expected a "
                     "duration of at least {}",
                     sim::format_duration(sc.duration), sim::format_time(swarm.first()), sim::format_duration(quiet),
                     sim::format_duration(longer.duration));
}

std::vector<std::string> swarm_faults(const scenario::Scenario& sc, uint64_t seed, const SwarmLimits& limits) {
  ECSIM_ASSERT(limits.faults_max >= 1);
  Swarm swarm(sc, seed, limits);
  std::vector<std::string> out;
  if (!swarm.room()) return out;
  sim::Rng count_rng = sim::Rng::stream(seed, "swarm/count");
  std::vector<Draw> draws = swarm.draw(1 + static_cast<uint32_t>(count_rng.below(limits.faults_max)));
  // Two seeds in three also crash a cloud node when the scenario asks for an
  // invariant that judges one's restart.
  const auto& inv = sc.expect.invariants;
  const bool wants_cloud_restart = !sc.requests.empty() && sc.topology.cloud > 0 &&
                                   (std::find(inv.begin(), inv.end(), "durability") != inv.end() ||
                                    std::find(inv.begin(), inv.end(), "catch_up") != inv.end());
  sim::Rng cloud_rng = sim::Rng::stream(seed, "swarm/cloud");
  if (wants_cloud_restart && cloud_rng.below(3) != 0) swarm.add_cloud_crash(draws, cloud_rng);
  for (Draw& d : draws) out.push_back(std::move(d.yaml));
  // Every other seed of a three-tier run also crashes a node at a protocol
  // point, so the swarm hunts what a crash in the middle of a handler
  // breaks. It comes last: at_point faults have no time to sort by.
  sim::Rng point_rng = sim::Rng::stream(seed, "swarm/point");
  if (!sc.requests.empty() && point_rng.below(2) == 0) {
    if (std::string p = swarm.point_crash(point_rng); !p.empty()) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace ecsim::fault
