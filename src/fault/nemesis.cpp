#include "ecsim/fault/nemesis.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ecsim/fault/byzantine.hpp"
#include "ecsim/tiers/actions.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::fault {

using scenario::Fault;
using sim::Record;
using sim::RecordType;

namespace {

// The nemesis's events: b = 0 applies a scheduled fault, 1 reverts it (the
// end of its `for`), 2 applies an at_point cut that fired.
constexpr uint64_t kApplyCut = 2;

std::vector<net::NodeId> resolve(const scenario::Topology& t, const scenario::Selector& s) {
  std::vector<uint32_t> nodes = scenario::resolve(t, s.text);
  ECSIM_ASSERT(!nodes.empty());  // the loader refuses selectors that match nothing
  return nodes;
}

bool is_link_fault(Fault::Kind k) {
  return k == Fault::Kind::kDrop || k == Fault::Kind::kDelay || k == Fault::Kind::kDuplicate ||
         k == Fault::Kind::kReorder;
}

}  // namespace

std::vector<std::pair<net::NodeId, net::NodeId>> links_between(const scenario::Topology& t,
                                                               const scenario::Selector (&between)[2]) {
  const auto a = resolve(t, between[0]);
  const auto b = resolve(t, between[1]);
  std::vector<std::pair<net::NodeId, net::NodeId>> out;
  for (net::NodeId x : a) {
    for (net::NodeId y : b) {
      if (x == y) continue;
      out.emplace_back(x, y);
      out.emplace_back(y, x);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

Nemesis::Nemesis(sim::Simulator& sim, node::Cluster& cluster, net::Network& network, const scenario::Scenario& sc,
                 sim::Time end)
    : sim_(sim), cluster_(cluster), network_(network), sc_(sc), end_(end) {
  const size_t n = sc.faults.size();
  targets_.resize(n);
  crashed_by_.resize(n);
  links_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Fault& f = sc.faults[i];
    if (f.kind == Fault::Kind::kCrash || f.kind == Fault::Kind::kRestart || f.kind == Fault::Kind::kByzantine ||
        f.kind == Fault::Kind::kAtPoint || scenario::is_action(f.kind)) {
      targets_[i] = resolve(sc.topology, f.target);
    }
    if (f.kind == Fault::Kind::kAtPoint) {
      ECSIM_ASSERT(targets_[i].size() == 1 && f.nth >= 1);  // the loader checks
      arms_.push_back(PointArm{static_cast<uint32_t>(i), targets_[i][0], f.point, f.nth});
    }
    if (is_link_fault(f.kind)) links_[i] = links_between(sc.topology, f.between);
  }
}

Nemesis::~Nemesis() {
  if (hooked_) proto::set_point_hook(nullptr);
}

void Nemesis::start() {
  ECSIM_ASSERT(handler_ == 0);
  handler_ = sim_.add_handler(&Nemesis::on_event, this);
  for (uint32_t i = 0; i < sc_.faults.size(); ++i) {
    const Fault& f = sc_.faults[i];
    if (f.kind == Fault::Kind::kByzantine) ECSIM_ASSERT(byzantine_ != nullptr);
    if (scenario::is_action(f.kind)) ECSIM_ASSERT(actions_ != nullptr);
    if (f.kind == Fault::Kind::kAtPoint) continue;  // armed below: it acts at a reach, not at a time
    if (f.after_event) {  // applied by the run between two events (apply_pinned)
      pinned_.push_back(i);
      continue;
    }
    if (f.at > end_) continue;
    sim_.schedule(f.at, handler_, i, 0);
    if (f.for_duration && f.at + *f.for_duration <= end_) sim_.schedule(f.at + *f.for_duration, handler_, i, 1);
  }
  if (!arms_.empty()) {
    proto::set_point_hook(this);
    hooked_ = true;
  }
  std::stable_sort(pinned_.begin(), pinned_.end(), [this](uint32_t a, uint32_t b) {
    return *sc_.faults[a].after_event < *sc_.faults[b].after_event;
  });
  pinned_at_.assign(pinned_.size(), sim::Time{-1});
}

std::optional<uint64_t> Nemesis::next_pinned() const {
  if (pinned_next_ >= pinned_.size()) return std::nullopt;
  return *sc_.faults[pinned_[pinned_next_]].after_event;
}

// Like a scheduled fault's event, but run between events `events` and
// `events` + 1, outside any handler; its `for` is an event as usual.
void Nemesis::apply_pinned(uint64_t events) {
  ECSIM_ASSERT(handler_ != 0);
  while (pinned_next_ < pinned_.size() && *sc_.faults[pinned_[pinned_next_]].after_event == events) {
    const uint32_t index = pinned_[pinned_next_];
    const Fault& f = sc_.faults[index];
    const sim::Time now = sim_.now();
    pinned_at_[pinned_next_++] = now;
    sim_.trace().record(Record{now.ns, RecordType::kFault, static_cast<uint16_t>(f.kind), 0, 0, 0, index, 1});
    apply(index);
    ++applied_;
    if (f.for_duration && now + *f.for_duration <= end_) sim_.schedule(now + *f.for_duration, handler_, index, 1);
    report_health(now);
  }
  ECSIM_ASSERT(pinned_next_ >= pinned_.size() || *sc_.faults[pinned_[pinned_next_]].after_event > events);
}

std::vector<std::string> Nemesis::pinned_problems() const {
  std::vector<std::string> out;
  for (size_t k = 0; k < pinned_.size(); ++k) {
    const Fault& f = sc_.faults[pinned_[k]];
    const std::string where = fmt::format("fault {} (line {})", pinned_[k] + 1, f.mark.line);
    if (pinned_at_[k].ns < 0) {
      out.push_back(fmt::format("{}: the run never reached event {}", where, *f.after_event));
    } else if (pinned_at_[k] != f.at) {
      out.push_back(fmt::format("{}: event {} ran at {}, the entry says at {}", where, *f.after_event,
                                sim::format_time(pinned_at_[k]), sim::format_time(f.at)));
    }
  }
  return out;
}

bool Nemesis::on_reach(net::NodeId node, proto::Point p) {
  ECSIM_ASSERT(cluster_.is_up(node) && !cluster_.halted(node));
  for (PointArm& arm : arms_) {
    if (arm.fired || arm.node != node || arm.point != p) continue;
    if (++arm.reached < arm.nth) continue;
    return fire(arm);
  }
  return false;
}

// The nth reach. `do: crash`: the node stops here and crashes when its
// handler returns (true). `do: cut`: the node's handler goes on (false) and
// the node is partitioned from every other node by an event at this same
// time, once the handler has returned (a partition resets the connections
// of the node's actor, which must not happen inside its handler); what the
// handler sends after the point is in flight on a link the cut then resets,
// so it is lost.
bool Nemesis::fire(PointArm& arm) {
  ECSIM_ASSERT(arm.reached == arm.nth && !arm.fired);
  arm.fired = true;
  const Fault& f = sc_.faults[arm.index];
  const sim::Time now = sim_.now();
  sim_.trace().record(Record{now.ns, RecordType::kFault, static_cast<uint16_t>(f.kind), arm.node, 0,
                             static_cast<uint32_t>(arm.point), arm.index, 1});
  ++applied_;
  // The cut's event first: a `for` as short as 1ns still ends it after.
  if (f.action == Fault::PointAction::kCut) sim_.schedule(now, handler_, arm.index, kApplyCut);
  if (f.for_duration && now + *f.for_duration <= end_) sim_.schedule(now + *f.for_duration, handler_, arm.index, 1);
  if (f.action == Fault::PointAction::kCut) return false;
  ECSIM_ASSERT(f.action == Fault::PointAction::kCrash);
  crash_log_.emplace_back(arm.node, now);
  cluster_.halt(arm.node);
  return true;
}

void Nemesis::on_event(void* self, const sim::Event& e) {
  auto& m = *static_cast<Nemesis*>(self);
  const bool is_revert = e.b == 1;
  const uint32_t index = static_cast<uint32_t>(e.a);
  ECSIM_ASSERT(index < m.sc_.faults.size());
  const Fault& f = m.sc_.faults[index];
  if (e.b == kApplyCut) {  // an at_point cut that fired (traced at its reach)
    m.active_partitions_.push_back(index);
    m.recompute_partition();
    m.report_health(sim::Time{e.time_ns});
    return;
  }
  m.sim_.trace().record(Record{e.time_ns, RecordType::kFault, static_cast<uint16_t>(f.kind), 0, 0, 0, e.a,
                               is_revert ? 0u : 1u});
  if (is_revert) {
    m.revert(index);
  } else {
    m.apply(index);
    ++m.applied_;
  }
  m.report_health(sim::Time{e.time_ns});
}

bool Nemesis::crash(net::NodeId n) {
  if (!cluster_.is_up(n)) return false;
  crash_log_.emplace_back(n, sim_.now());
  cluster_.crash(n);
  return true;
}

void Nemesis::restart(net::NodeId n) {
  if (!cluster_.is_up(n)) cluster_.restart(n);
}

namespace {
// A billing action as the operation a client would send: the subscriber
// who asks is the one whose money or number moves (the receiver of a top-up).
// The scenario's operations are the workload's writes, in the same order.
static_assert(static_cast<int>(Fault::BillingOp::kDebit) == static_cast<int>(workload::BillingKind::kDebit) &&
              static_cast<int>(Fault::BillingOp::kTransfer) == static_cast<int>(workload::BillingKind::kTransfer) &&
              static_cast<int>(Fault::BillingOp::kTopUp) == static_cast<int>(workload::BillingKind::kTopUp) &&
              static_cast<int>(Fault::BillingOp::kPort) == static_cast<int>(workload::BillingKind::kPort));

workload::BillingOp billing_op(const Fault& f) {
  workload::BillingOp op;
  op.kind = static_cast<workload::BillingKind>(f.op);
  op.from = f.from;
  op.to = f.to;
  op.amount = f.amount;
  op.number = f.number;
  op.subscriber = f.op == Fault::BillingOp::kTopUp ? f.to : f.from;
  return op;
}
}  // namespace

void Nemesis::apply(uint32_t index) {
  const Fault& f = sc_.faults[index];
  switch (f.kind) {
    case Fault::Kind::kCrash:
      crashed_by_[index].clear();
      for (net::NodeId n : targets_[index]) {
        if (crash(n)) crashed_by_[index].push_back(n);
      }
      return;
    case Fault::Kind::kRestart:
      for (net::NodeId n : targets_[index]) restart(n);
      return;
    case Fault::Kind::kPartition:
      active_partitions_.push_back(index);
      recompute_partition();
      return;
    case Fault::Kind::kHeal:
      // Ends every partition in force; they do not come back on their own.
      active_partitions_.clear();
      recompute_partition();
      return;
    case Fault::Kind::kByzantine:
      byzantine_->begin(index, targets_[index]);
      return;
    case Fault::Kind::kAtPoint:  // never scheduled: it fires at its reach (fire)
      ECSIM_ASSERT(false);
      return;
    case Fault::Kind::kDsmSet:
      actions_->dsm_set(targets_[index][0], f.key, f.value);
      return;
    case Fault::Kind::kDsmGet:
      actions_->dsm_get(targets_[index][0], f.key);
      return;
    case Fault::Kind::kBilling:
      actions_->billing(targets_[index][0], billing_op(f), billing_timeout_);
      return;
    case Fault::Kind::kTwopcVoteNo:
      actions_->twopc_vote_no(targets_[index][0], f.count);
      return;
    default:
      ECSIM_ASSERT(is_link_fault(f.kind));
      active_links_.push_back(index);
      recompute_links(index);
      return;
  }
}

void Nemesis::revert(uint32_t index) {
  const Fault& f = sc_.faults[index];
  switch (f.kind) {
    case Fault::Kind::kAtPoint:
      if (f.action == Fault::PointAction::kCrash) {
        restart(targets_[index][0]);
        return;
      }
      [[fallthrough]];  // a cut ends like a partition
    case Fault::Kind::kPartition: {
      auto it = std::find(active_partitions_.begin(), active_partitions_.end(), index);
      if (it == active_partitions_.end()) return;  // a heal ended it already
      active_partitions_.erase(it);
      recompute_partition();
      return;
    }
    case Fault::Kind::kCrash:  // `crash ... for D`: the nodes it took down come back
      for (net::NodeId n : crashed_by_[index]) restart(n);
      return;
    case Fault::Kind::kRestart:
    case Fault::Kind::kHeal:  // the loader allows no `for` on a restart or a heal
      ECSIM_ASSERT(false);
      return;
    case Fault::Kind::kByzantine:
      byzantine_->end(index);
      return;
    default: {
      ECSIM_ASSERT(is_link_fault(f.kind));
      auto it = std::find(active_links_.begin(), active_links_.end(), index);
      ECSIM_ASSERT(it != active_links_.end());  // each link fault reverts once, after it began
      active_links_.erase(it);
      recompute_links(index);
      return;
    }
  }
}

// Re-derives every link fault `index` covers from its base and the faults in
// force now.
void Nemesis::recompute_links(uint32_t index) {
  for (const Link& link : links_[index]) {
    auto [it, inserted] = base_.try_emplace(link, net::LinkConfig{});
    if (inserted) it->second = network_.link_config(link.first, link.second);
    network_.set_link(link.first, link.second, compose(link));
  }
}

net::LinkConfig Nemesis::compose(const Link& link) const {
  auto it = base_.find(link);
  ECSIM_ASSERT(it != base_.end());
  net::LinkConfig c = it->second;
  for (uint32_t i : active_links_) {
    if (!std::binary_search(links_[i].begin(), links_[i].end(), link)) continue;
    const Fault& f = sc_.faults[i];
    switch (f.kind) {
      case Fault::Kind::kDrop: c.drop_ppm = f.ppm; break;
      case Fault::Kind::kDuplicate: c.duplicate_ppm = f.ppm; break;
      case Fault::Kind::kDelay: c.latency = f.latency; break;
      case Fault::Kind::kReorder: c.reorder = true; break;
      default: ECSIM_ASSERT(false);
    }
  }
  return c;
}

// Two nodes share a group when every active partition puts them in the same
// group: a node's group is the tuple of its groups, numbered in node order.
void Nemesis::recompute_partition() {
  const size_t n = cluster_.size();
  std::vector<std::vector<uint32_t>> key(n);
  for (uint32_t p : active_partitions_) {
    const std::vector<uint32_t> g = partition_groups(sc_.faults[p]);
    for (size_t node = 0; node < n; ++node) key[node].push_back(g[node]);
  }
  std::map<std::vector<uint32_t>, uint32_t> ids;
  std::vector<uint32_t> group(n, 0);
  for (size_t node = 0; node < n; ++node) {
    group[node] = ids.try_emplace(key[node], static_cast<uint32_t>(ids.size())).first->second;
  }
  cluster_.set_partition(group);
}

// Group ids 1..G for the listed groups; "*" takes every node not listed in
// another group; nodes in no group share group 0.
std::vector<uint32_t> partition_groups(const scenario::Topology& t, const Fault& f, size_t nodes) {
  std::vector<uint32_t> group(nodes, 0);
  if (f.kind == Fault::Kind::kAtPoint) {  // a cut: its node alone in group 1
    ECSIM_ASSERT(f.action == Fault::PointAction::kCut);
    for (net::NodeId node : resolve(t, f.target)) group[node] = 1;
    return group;
  }
  ECSIM_ASSERT(f.kind == Fault::Kind::kPartition);
  std::vector<bool> listed(nodes, false);
  uint32_t star_group = 0;
  for (uint32_t g = 0; g < f.groups.size(); ++g) {
    for (const scenario::Selector& s : f.groups[g]) {
      if (s.text == "*" && f.groups[g].size() == 1) {
        star_group = g + 1;
        continue;
      }
      for (net::NodeId node : resolve(t, s)) {
        group[node] = g + 1;
        listed[node] = true;
      }
    }
  }
  if (star_group != 0) {
    for (size_t node = 0; node < nodes; ++node) {
      if (!listed[node]) group[node] = star_group;
    }
  }
  return group;
}

std::vector<uint32_t> Nemesis::partition_groups(const Fault& f) const {
  return fault::partition_groups(sc_.topology, f, cluster_.size());
}

bool Nemesis::network_healed() const { return active_links_.empty() && active_partitions_.empty(); }

void Nemesis::report_health(sim::Time at) {
  const bool now = network_healed();
  if (now == healthy_) return;
  healthy_ = now;
  if (health_) health_(now, at);
}

}  // namespace ecsim::fault
