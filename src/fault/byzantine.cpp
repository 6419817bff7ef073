#include "ecsim/fault/byzantine.hpp"

#include <fmt/format.h>

#include "ecsim/sim/limits.hpp"

#include "ecsim/tiers/tier_node.hpp"
#include "ecsim/workload/requests.hpp"

namespace ecsim::fault {

using scenario::Fault;

Byzantine::Byzantine(sim::Simulator& sim, node::Cluster& cluster, tiers::World& world, const scenario::Scenario& sc,
                     sim::Time end, check::ForgedWrites& forged)
    : sim_(sim), cluster_(cluster), world_(world), sc_(sc), end_(end), forged_(forged) {
  ECSIM_ASSERT(!sc.requests.empty());
  handler_ = sim_.add_handler(&Byzantine::on_event, this);
  active_.assign(sc.faults.size(), 0);
  nodes_.resize(sc.faults.size());
  next_cloud_.assign(cluster.size(), 0);
  for (uint32_t i = 0; i < sc.faults.size(); ++i) rng_.push_back(sim.rng(fmt::format("faults[{}]/byzantine", i)));
}

void Byzantine::begin(uint32_t index, const std::vector<net::NodeId>& nodes) {
  ECSIM_ASSERT(index < active_.size());
  ECSIM_ASSERT(sc_.faults[index].kind == Fault::Kind::kByzantine);
  active_[index] = 1;
  nodes_[index] = nodes;
  round(index);
}

// The next round finds the fault off and stops.
void Byzantine::end(uint32_t index) {
  ECSIM_ASSERT(index < active_.size());
  active_[index] = 0;
}

void Byzantine::on_event(void* self, const sim::Event& e) {
  auto& b = *static_cast<Byzantine*>(self);
  if (b.active_[e.a] != 0) b.round(static_cast<uint32_t>(e.a));
}

void Byzantine::round(uint32_t index) {
  const Fault& f = sc_.faults[index];
  ECSIM_ASSERT(f.strategy == Fault::Strategy::kCloudDirectWrite && f.rate_per_s > 0);
  for (net::NodeId n : nodes_[index]) {
    if (cluster_.is_up(n)) forge_write(index, n);
  }
  const sim::Time next = sim_.now() + sim::nanoseconds(sim::seconds(1).ns / static_cast<int64_t>(f.rate_per_s));
  if (next <= end_) sim_.schedule(next, handler_, index, 0);
}

void Byzantine::forge_write(uint32_t index, net::NodeId edge) {
  ECSIM_ASSERT(world_.role(edge) == tiers::Role::kEdge && cluster_.is_up(edge));
  if (forged_.full()) {
    // The follower holds every forged write it must judge: a run forges at
    // most kWritesMax, and each one not sent is a counted, traced reach.
    ++not_sent_;
    sim::limit_reached(sim::Resource::kForgedWrites, edge);
    return;
  }
  const std::vector<net::NodeId>& clouds = world_.nodes(tiers::Role::kCloud);
  const net::NodeId cloud = clouds[next_cloud_[edge]++ % clouds.size()];
  const scenario::RequestWorkload& w = sc_.requests.front();
  sim::Rng& rng = rng_[index];
  const uint64_t subscriber = 1 + rng.below(w.subscribers);
  const auto record = static_cast<uint32_t>(rng.below(w.records_per_subscriber));
  const uint64_t req_id = ++req_id_;
  const proto::storage::WriteReq req{req_id, workload::subscriber_key(subscriber, record), req_id,
                                     proto::storage::Version{check::kForgedCounterBase + req_id, edge}};
  forged_.forging(edge, cloud, req_id, req.key, sim_.now());
  tiers::send_forged_write(cluster_, edge, cloud, req);
  ECSIM_ASSERT(forged_.bound());  // the send record named the write's message id
}

}  // namespace ecsim::fault
