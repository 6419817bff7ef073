// Whether two nodes could exchange messages over a run, and how slowly: the
// network as the scenario configures it (a NetworkPlan, built by the run
// from the scenario's `network` and `faults`) followed through the trace's
// fault records (when each fault was applied, reverted, or ended by a heal;
// when an at_point cut fired). It serves the billing
// termination verdict, which may only demand that a participant learns a
// decision from a coordinator it can reach in a bounded time.
//
// A pair is cut off while a partition in force puts them in different
// groups (an at_point cut: its node alone), or while a link between them,
// either direction, drops every message (drop rate 1). Its round-trip tail
// is the sum of both directions' latency tails (latency_tail_ns) as the base
// configuration and the delay faults in force set them, composed as the
// nemesis composes them (the latest fault in force wins), and likewise its
// round-trip delivery over time: the chance that a message and its answer
// both get through, from both directions' drop rates, per spell of one
// setting. It never reads the network itself: only the plan and the trace.
//
// Memory: the plan, and one entry per fault record (a run has few).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "ecsim/net/latency.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

// A latency model's tail: the largest value it can give when it is bounded
// (constant, uniform, pareto with a cap), its 99.99th percentile when it is
// not (normal, lognormal, pareto without a cap), never above the one hour
// at which the network clamps a sample. Computed in double and rounded to
// whole nanoseconds at once. REQUIRES: the model is valid.
int64_t latency_tail_ns(const net::LatencyModel& m);

struct NetworkPlan {
  struct Link {
    uint32_t drop_ppm = 0;
    int64_t tail_ns = 0;  // latency_tail_ns of its latency model
    bool operator==(const Link&) const = default;
  };
  struct Fault {
    enum class Kind : uint8_t { kNone, kPartition, kHeal, kLink };
    Kind kind = Kind::kNone;            // kNone: does nothing to reachability (a crash, a duplicate, ...)
    // kPartition (a partition, or an at_point cut: its node alone): each
    // node's group; two nodes in different groups are cut off.
    std::vector<uint32_t> groups;
    std::vector<std::pair<uint32_t, uint32_t>> links;  // kLink: the directed links it covers, sorted
    std::optional<uint32_t> drop_ppm;   // kLink: the drop rate it sets (a drop fault)
    std::optional<int64_t> tail_ns;     // kLink: the latency tail it sets (a delay fault)
  };
  // Per node its link class (its tier), and per ordered pair of classes the
  // base setting, [from * k + to]; `links` overrides single directed links.
  // An empty plan: every pair reachable, with no tail.
  std::vector<uint8_t> class_of;
  std::vector<Link> class_links;
  std::map<std::pair<uint32_t, uint32_t>, Link> links;
  std::vector<Fault> faults;  // by scenario fault index
};

class Reachability {
 public:
  explicit Reachability(NetworkPlan plan);
  // A kFault record (others are ignored). Records come in trace order.
  void on_fault(const sim::Record& r);

  // A stretch of time [begin_ns, end_ns) over which the pair was in reach
  // with one setting, its round-trip delivery then: (1 - drop x->y) *
  // (1 - drop y->x), 1 on a lossless network, and its round-trip tail.
  struct Spell {
    int64_t begin_ns = 0;
    int64_t end_ns = 0;
    double delivery = 1.0;
    int64_t rtt_tail_ns = 0;
  };
  struct Pair {
    bool cut_at_end = false;         // cut off at `until_ns`
    bool partitioned_at_end = false;  // by a partition then (the network resets their links)
    int64_t reachable_since_ns = 0;   // the end of the last window they were cut off (0: none)
    // The spells in [from_ns, until_ns) while they were in reach, in time
    // order, each non-empty (a cut leaves a gap).
    std::vector<Spell> spells;
  };
  // The pair (x, y) over the run up to `until_ns` (fault records after it
  // are not looked at). REQUIRES: 0 <= from_ns <= until_ns.
  Pair pair(uint32_t x, uint32_t y, int64_t from_ns, int64_t until_ns) const;
  // The one-way latency tail of from -> to as configured, before any fault.
  int64_t base_tail_ns(uint32_t from, uint32_t to) const { return link(State{}, from, to).tail_ns; }

 private:
  using Link = NetworkPlan::Link;
  struct Event {
    int64_t time_ns;
    uint32_t index;  // into plan_.faults
    bool applied;
  };
  struct State {
    std::vector<uint32_t> partitions;  // in force
    std::vector<uint32_t> links;  // link faults in force, in the order applied
  };
  void step(State& s, const Event& e) const;
  Link link(const State& s, uint32_t from, uint32_t to) const;
  bool cut(const State& s, uint32_t x, uint32_t y) const;
  bool partitioned(const State& s, uint32_t x, uint32_t y) const;

  NetworkPlan plan_;
  size_t classes_ = 0;  // link classes: class_links holds classes_ * classes_
  std::vector<Event> events_;
};

}  // namespace ecsim::check
