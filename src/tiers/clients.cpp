#include "ecsim/tiers/clients.hpp"

#include "edge_node.hpp"

namespace ecsim::tiers {

Clients::Clients(sim::Simulator& sim, node::Cluster& cluster, World& world, std::vector<Source> sources)
    : sim_(sim), cluster_(cluster), world_(world), signer_(world.params().secret) {
  for (const Source& s : sources) {
    const std::string& name = cluster.name(s.node);
    generators_.push_back(Generator{s.node, workload::RequestGenerator(s.config, sim.rng(name + "/clients")),
                                    sim.rng(name + "/tokens"), s.until, s.timeout, s.workload});
  }
  arrival_handler_ = sim_.add_handler(&Clients::on_arrival, this);
  world_.set_simulator(&sim_);
}

void Clients::start() {
  for (uint32_t i = 0; i < generators_.size(); ++i) {
    sim_.schedule(sim_.now() + generators_[i].gen.next_gap(), arrival_handler_, i, 0);
  }
}

const std::string& Clients::valid_token(uint64_t subscriber, sim::Time now) {
  namespace auth = proto::auth;
  const sim::Duration lifetime = world_.params().token_lifetime;
  if (tokens_.empty()) tokens_.resize(kTokenCacheSlots);
  CachedToken& c = tokens_[subscriber % kTokenCacheSlots];
  const bool fresh = c.issued_at.ns >= 0 && c.subscriber == subscriber && now >= c.issued_at &&
                     (now - c.issued_at).ns < lifetime.ns / 2;
  if (!fresh) {
    c.subscriber = subscriber;
    c.issued_at = now;
    c.token = signer_.issue(auth::Claims{subscriber, auth::Role::kSubscriber, now, now + lifetime});
  }
  return c.token;
}

std::string Clients::token_for(const workload::Request& r, Generator& g, sim::Time now) {
  namespace auth = proto::auth;
  const TierParams& p = world_.params();
  const auth::Claims claims{r.token_subscriber, auth::Role::kSubscriber, now, now + p.token_lifetime};
  switch (r.bad_token) {
    case workload::BadToken::kForged: return auth::forge(claims, g.rng);
    case workload::BadToken::kExpired: return auth::expire(claims, p.secret, now, g.rng);
    case workload::BadToken::kMalformed: return auth::malform(signer_.issue(claims), g.rng);
    case workload::BadToken::kCrossSubscriber:  // a valid token of another subscriber
    case workload::BadToken::kNone: return valid_token(r.token_subscriber, now);
  }
  return {};
}

void Clients::on_arrival(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<Clients*>(self_ptr);
  Generator& g = self.generators_[e.a];
  const sim::Time now = self.sim_.now();
  if (g.until && now >= *g.until) return;  // this source has stopped
  const workload::Request r = g.gen.next_request();
  ++self.generated_;
  ClientRequest req{r.id | (uint64_t{e.a} << 48), r.kind, r.subscriber, r.key, r.value,
                    self.token_for(r, g, now), now, g.node, now + g.timeout, r.bad_token};
  req.workload = g.workload;
  self.world_.client_started(req);
  if (req.tracked == 0 || !self.cluster_.is_up(g.node)) {
    self.world_.client_done(req, Outcome::kFailed, ServedBy::kEdge, now);
  } else {
    auto* node = static_cast<EdgeNode*>(self.cluster_.actor(g.node));  // clients attach to edge nodes
    node->on_client_request(self.cluster_.context(g.node), std::move(req));
    self.cluster_.settle(g.node);
  }
  self.sim_.schedule(now + g.gen.next_gap(), self.arrival_handler_, e.a, 0);
}

}  // namespace ecsim::tiers
