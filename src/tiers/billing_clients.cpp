#include "ecsim/tiers/billing_clients.hpp"

#include <fmt/format.h>

#include "ecsim/sim/assert.hpp"
#include "edge_node.hpp"

namespace ecsim::tiers {

BillingClients::BillingClients(sim::Simulator& sim, node::Cluster& cluster, World& world, Billing& billing,
                               std::vector<Source> sources)
    : sim_(sim), cluster_(cluster), world_(world), billing_(billing), signer_(world.params().secret) {
  ECSIM_ASSERT(sources.size() < (size_t{1} << (64 - kSourceShift)) - 1);
  for (const Source& s : sources) {
    const std::string& name = cluster.name(s.node);
    const std::string stream = s.workload == 0 ? name + "/billing" : fmt::format("{}/billing-{}", name, s.workload + 1);
    generators_.push_back(Generator{s.node, workload::BillingGenerator(s.config, sim.rng(stream)), s.until, s.timeout, s.workload});
  }
  arrival_handler_ = sim_.add_handler(&BillingClients::on_arrival, this);
}

void BillingClients::start() {
  for (uint32_t i = 0; i < generators_.size(); ++i) {
    sim_.schedule(sim_.now() + generators_[i].gen.next_gap(), arrival_handler_, i, 0);
  }
}

void BillingClients::on_arrival(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<BillingClients*>(self_ptr);
  Generator& g = self.generators_[e.a];
  const sim::Time now = self.sim_.now();
  if (g.until && now >= *g.until) return;  // this source has stopped
  BillingRequest r;
  r.op = g.gen.next_op();
  ECSIM_ASSERT(r.op.id < (uint64_t{1} << kSourceShift));
  r.client_txn = (uint64_t{e.a} + 1) << kSourceShift | r.op.id;
  const sim::Duration lifetime = self.world_.params().token_lifetime;
  r.token = self.signer_.issue(
      proto::auth::Claims{r.op.subscriber, proto::auth::Role::kSubscriber, now, now + lifetime});
  r.start = now;
  r.deadline = now + g.timeout;
  r.edge = g.node;
  r.workload = g.workload;
  self.billing_.started(r);
  if (!self.cluster_.is_up(g.node)) {
    self.billing_.failed(r, now);
  } else {
    auto* node = static_cast<EdgeNode*>(self.cluster_.actor(g.node));  // clients attach to edge nodes
    node->on_billing_request(self.cluster_.context(g.node), std::move(r));
    self.cluster_.settle(g.node);
  }
  self.sim_.schedule(now + g.gen.next_gap(), self.arrival_handler_, e.a, 0);
}

}  // namespace ecsim::tiers
