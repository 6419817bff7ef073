#include "ecsim/tiers/world.hpp"

#include <algorithm>

namespace ecsim::tiers {

World::World(std::vector<Role> roles, TierParams params) : roles_(std::move(roles)), params_(std::move(params)) {
  for (net::NodeId n = 0; n < roles_.size(); ++n) by_role_[static_cast<size_t>(roles_[n])].push_back(n);
  ECSIM_ASSERT(!by_role_[0].empty() && !by_role_[1].empty());
  ECSIM_ASSERT(by_role_[2].size() == proto::storage::kReplicas);
  starts_.assign(roles_.size(), 0);
  lookups_.resize(roles_.size());
  conns_in_.assign(roles_.size(), 0);
  offered_.assign(roles_.size(), 0);
  served_.assign(roles_.size(), 0);
}

void World::connections_changed(net::NodeId n, int64_t delta) {
  conns_in_[n] += delta;
  ECSIM_ASSERT(conns_in_[n] >= 0);
}

void World::add_msgq(const proto::msgq::SenderCounters& s, const proto::msgq::ReceiverCounters& r) {
  msgq_sender_ += s;
  msgq_receiver_ += r;
}

void World::add_rpc(const proto::rpc::ClientCounters& c, const proto::rpc::ServerCounters& s) {
  rpc_client_ += c;
  rpc_server_ += s;
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
      lp.service[kKindHandshake] = p.core_handshake_service;
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
  if (at > r.deadline && outcome != Outcome::kFailed) {
    // The client stopped waiting at its timeout; the answer came too late.
    ++answered_late_;
    outcome = Outcome::kFailed;
  }
  switch (outcome) {
    case Outcome::kOk:
      ++f.ok;
      f.latency.add((at - r.start).ns);
      ECSIM_ASSERT(r.edge < served_.size());
      ++served_[r.edge];
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

void World::client_started(const ClientRequest& r) {
  ECSIM_ASSERT(r.edge < offered_.size());
  ++offered_[r.edge];
  outstanding_.emplace(r.id, r.start.ns);
}

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

void World::node_started(net::NodeId n, sim::Time at) {
  if (starts_[n]++ > 0) restarts_.push_back(RestartRecord{n, at, false, sim::Time{0}});
}

void World::cloud_caught_up(net::NodeId n, sim::Time at) {
  for (auto it = restarts_.rbegin(); it != restarts_.rend(); ++it) {
    if (it->node != n) continue;
    if (!it->caught_up && at >= it->at) {
      it->caught_up = true;
      it->caught_up_at = at;
    }
    return;
  }
}

void World::rehydration_started(net::NodeId n, sim::Time at, uint32_t keys) {
  rehydrations_.push_back(RehydrationRecord{n, at, keys, 0, 0, false, sim::Time{0}});
}

void World::rehydration_done(net::NodeId n, sim::Time at, uint32_t fetched, uint32_t given_up) {
  for (auto it = rehydrations_.rbegin(); it != rehydrations_.rend(); ++it) {
    if (it->node != n) continue;
    if (!it->done) {
      it->done = true;
      it->done_at = at;
      it->fetched = fetched;
      it->given_up = given_up;
    }
    return;
  }
}

void World::edge_lookup(net::NodeId n, bool hit, sim::Time at) {
  auto& buckets = lookups_[n];
  const size_t second = static_cast<size_t>(at.ns / sim::seconds(1).ns);
  if (buckets.size() <= second) buckets.resize(second + 1, {0, 0});
  ++buckets[second][hit ? 0 : 1];
}

std::pair<uint64_t, uint64_t> World::edge_lookups(net::NodeId n, sim::Time from, sim::Time to) const {
  const auto& buckets = lookups_[n];
  const int64_t s = sim::seconds(1).ns;
  std::pair<uint64_t, uint64_t> out{0, 0};
  for (int64_t i = std::max<int64_t>(0, from.ns / s); i < to.ns / s && i < static_cast<int64_t>(buckets.size()); ++i) {
    out.first += buckets[static_cast<size_t>(i)][0];
    out.second += buckets[static_cast<size_t>(i)][1];
  }
  return out;
}

void World::write_acked(uint64_t key, proto::storage::Version v) {
  auto [it, inserted] = acked_.emplace(key, v);
  if (!inserted && it->second < v) it->second = v;
}

}  // namespace ecsim::tiers
