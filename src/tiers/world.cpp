#include "ecsim/tiers/world.hpp"

namespace ecsim::tiers {

World::World(std::vector<Role> roles, TierParams params) : roles_(std::move(roles)), params_(std::move(params)) {
  for (net::NodeId n = 0; n < roles_.size(); ++n) by_role_[static_cast<size_t>(roles_[n])].push_back(n);
  ECSIM_ASSERT(!by_role_[0].empty() && !by_role_[1].empty());
  ECSIM_ASSERT(by_role_[2].size() == proto::storage::kReplicas);
}

node::LoadProfile load_profile(Role r, const TierParams& p) {
  node::LoadProfile lp;
  lp.queue_max = p.queue_max;
  lp.service[kKindDsm] = p.dsm_service;
  switch (r) {
    case Role::kEdge:
      lp.cores = p.edge_cores;
      lp.service[kKindClient] = p.edge_request_service;
      break;
    case Role::kCore:
      lp.cores = p.core_cores;
      lp.service[kKindEdgeCore] = p.core_request_service;
      lp.service[kKindStorage] = p.core_storage_service;
      break;
    case Role::kCloud:
      lp.cores = p.cloud_cores;
      lp.service[kKindStorage] = p.cloud_storage_service;
      break;
  }
  return lp;
}

void World::on_discard(const net::Envelope& e) { pool_.release(e.payload); }
void World::on_copy(const net::Envelope& e) { pool_.retain(e.payload); }

void World::client_done(const ClientRequest& r, Outcome outcome, ServedBy by, sim::Time at) {
  TierFigures& f = figures_[static_cast<size_t>(by)];
  ++f.requests;
  switch (outcome) {
    case Outcome::kOk:
      ++f.ok;
      f.latency.add((at - r.start).ns);
      break;
    case Outcome::kRefused:
      ++f.refused;
      break;
    case Outcome::kFailed:
      ++f.failed;
      break;
  }
  outstanding_.erase(r.id);
}

void World::storage_op_done(sim::Duration latency, bool ok) {
  ++cloud_.requests;
  if (ok) {
    ++cloud_.ok;
    cloud_.latency.add(latency.ns);
  } else {
    ++cloud_.failed;
  }
}

void World::client_started(const ClientRequest& r) { outstanding_.emplace(r.id, r.start.ns); }

void World::finish(sim::Time end, sim::Duration timeout) {
  // Requests lost inside a crashed edge node never answer: past the client's
  // timeout they failed; younger ones are left unsettled.
  for (const auto& [id, start_ns] : outstanding_) {
    if (start_ns + timeout.ns <= end.ns) {
      ++lost_;
    } else {
      ++unsettled_;
    }
  }
  outstanding_.clear();
}

}  // namespace ecsim::tiers
