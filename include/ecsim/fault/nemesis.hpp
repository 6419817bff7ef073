// The nemesis: applies a scenario's fault schedule to a running cluster and
// its network -- crashes and restarts, partitions and heals, link drop,
// delay, duplicate and reorder faults, each optionally `for` a window -- and
// starts and stops the byzantine strategies (fault/byzantine.hpp).
//
// Faults compose: the settings in force on a link are its base (what the
// scenario's `network` section gave it) plus every link fault active now,
// applied in the order they began, so for each setting the latest active
// fault that sets it wins and reorder is on when the base or any active
// fault turns it on. When a window ends, only that fault's effect goes; the
// link falls back to the base plus the faults still active. Partitions
// compose the same way: two nodes can talk when every active partition puts
// them in the same group. A `heal` ends every partition active at that time
// (they do not come back when their own windows end); a `heal ... for D`
// brings back, at its end, those of them whose windows have not ended.
//
// at_point faults act at a protocol point rather than at a time: while the
// scenario has any, the nemesis is the run's proto::PointHook. Each such
// fault counts its node's reaches of its point over the whole run (across
// the node's restarts) and, at the nth, acts there: a `fault` trace record
// (node = the node, kind = the point), then for `do: crash` the node stops
// (node::Cluster::halt) and crashes as soon as the handler returns, and its
// `for` restarts the node that long after the reach; for `do: cut` the node
// is partitioned from every other node (composed with the partitions in
// force, ended by a `heal` like one) and its `for` ends the cut.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/net/network.hpp"
#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/simulator.hpp"

namespace ecsim::tiers {
class Actions;
}

namespace ecsim::fault {

class Byzantine;

// The directed links between the nodes two selectors match, both
// directions, no self links, sorted. REQUIRES: both selectors resolve.
std::vector<std::pair<net::NodeId, net::NodeId>> links_between(const scenario::Topology& t,
                                                               const scenario::Selector (&between)[2]);

// Each of `nodes` nodes' group under a partition fault, or an at_point cut
// (its node alone in group 1, every other node in group 0): two nodes can
// exchange messages only if every partition in force puts them in the same
// group. REQUIRES: `f` is a partition or an at_point cut; its selectors resolve.
std::vector<uint32_t> partition_groups(const scenario::Topology& t, const scenario::Fault& f, size_t nodes);

class Nemesis final : public proto::PointHook {
 public:
  // REQUIRES: every selector in `sc.faults` resolves (the loader checks).
  Nemesis(sim::Simulator& sim, node::Cluster& cluster, net::Network& network, const scenario::Scenario& sc,
          sim::Time end);
  ~Nemesis() override;
  Nemesis(const Nemesis&) = delete;
  Nemesis& operator=(const Nemesis&) = delete;

  // The byzantine strategies' driver; without one, a byzantine fault in the
  // schedule is an error (the loader allows it only on three-tier runs).
  void set_byzantine(Byzantine* b) { byzantine_ = b; }
  // The one-shot workload actions' driver (dsm_set, dsm_get, billing;
  // tiers/actions.hpp), with `billing_timeout` for billing actions; without
  // one, such an action in the schedule is an error (the loader allows them
  // only on three-tier runs).
  void set_actions(tiers::Actions* a, sim::Duration billing_timeout) {
    actions_ = a;
    billing_timeout_ = billing_timeout;
  }
  // Called after every change of whether the network is healed (no
  // partition and no link fault in force), with the time of the change.
  void on_network_health(std::function<void(bool healed, sim::Time at)> f) { health_ = std::move(f); }
  // Schedules every timed fault at or before `end` and arms the at_point
  // faults (installs the point hook; REQUIRES a proto::PointScope when there
  // are any). Call once, before the run.
  void start();

  uint64_t applied() const { return applied_; }
  // Faults with `after_event` are not scheduled: the run applies them
  // between two events. The event count after which the next one is due
  // (nullopt: none left), and applying every one due after `events` events.
  std::optional<uint64_t> next_pinned() const;
  bool has_pinned() const { return !pinned_.empty(); }
  void apply_pinned(uint64_t events);
  // The pinned faults the run never reached, or reached at another time
  // than their `at`: "fault 3 (line 12): ..." lines; empty when all held.
  std::vector<std::string> pinned_problems() const;
  bool network_healed() const;
  // proto::PointHook
  bool halted(net::NodeId node) const override { return cluster_.halted(node); }
  bool on_reach(net::NodeId node, proto::Point p) override;

  // Every crash applied (by a fault, at a point, or a `for` window's end), in order.
  const std::vector<std::pair<net::NodeId, sim::Time>>& crash_log() const { return crash_log_; }

 private:
  using Link = std::pair<net::NodeId, net::NodeId>;
  // An at_point fault waiting for its reach.
  struct PointArm {
    uint32_t index;  // into sc.faults
    net::NodeId node;
    proto::Point point;
    uint64_t nth;
    uint64_t reached = 0;  // reaches of `point` at `node` so far
    bool fired = false;
  };
  static void on_event(void* self, const sim::Event& e);
  void apply(uint32_t index);
  void revert(uint32_t index);
  bool crash(net::NodeId n);  // false when it was down already (nothing done)
  void restart(net::NodeId n);
  // Link faults.
  void recompute_links(uint32_t index);
  net::LinkConfig compose(const Link& link) const;
  // Partitions.
  void recompute_partition();
  std::vector<uint32_t> partition_groups(const scenario::Fault& f) const;
  void report_health(sim::Time at);
  bool fire(PointArm& arm);  // true: the node stopped here

  sim::Simulator& sim_;
  node::Cluster& cluster_;
  net::Network& network_;
  const scenario::Scenario& sc_;
  sim::Time end_;
  Byzantine* byzantine_ = nullptr;
  tiers::Actions* actions_ = nullptr;
  sim::Duration billing_timeout_{0};
  std::function<void(bool, sim::Time)> health_;
  sim::HandlerId handler_ = 0;
  uint64_t applied_ = 0;
  std::vector<std::vector<net::NodeId>> targets_;  // by fault index: crash, restart, byzantine
  // By fault index, a timed crash's targets it took down: its `for` brings
  // back only those (one already down, by an at_point crash or another
  // crash, stays down as that one decided).
  std::vector<std::vector<net::NodeId>> crashed_by_;
  std::vector<std::vector<Link>> links_;           // by fault index: link faults, sorted
  std::vector<uint32_t> active_links_;             // link faults in force, in the order they began
  std::map<Link, net::LinkConfig> base_;           // each link a fault touched, as it was before
  std::vector<uint32_t> active_partitions_;        // partition faults in force, in the order they began
  bool healthy_ = true;
  std::vector<std::pair<net::NodeId, sim::Time>> crash_log_;
  std::vector<PointArm> arms_;
  std::vector<uint32_t> pinned_;       // fault indices with after_event, by (after_event, index)
  size_t pinned_next_ = 0;             // into pinned_
  std::vector<sim::Time> pinned_at_;   // by position in pinned_: when each was applied (-1: not yet)
  bool hooked_ = false;
};

}  // namespace ecsim::fault
