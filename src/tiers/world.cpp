#include "ecsim/tiers/world.hpp"

#include <algorithm>

#include "ecsim/workload/overdue.hpp"

namespace ecsim::tiers {

World::World(std::vector<Role> roles, TierParams params) : roles_(std::move(roles)), params_(std::move(params)) {
  for (net::NodeId n = 0; n < roles_.size(); ++n) by_role_[static_cast<size_t>(roles_[n])].push_back(n);
  ECSIM_ASSERT(!by_role_[0].empty() && !by_role_[1].empty());
  ECSIM_ASSERT(!by_role_[2].empty() && by_role_[2].size() % proto::storage::kReplicas == 0);
  lookups_.resize(roles_.size());
  conns_in_.assign(roles_.size(), 0);
  offered_.assign(roles_.size(), 0);
  served_.assign(roles_.size(), 0);
}

proto::msgq::SenderConfig TierParams::msgq_sender(uint32_t epoch) const {
  proto::msgq::SenderConfig mq;
  mq.resend_timeout = dsm_resend_timeout;
  mq.window_max = dsm_window;
  mq.backoff = recovery;
  mq.jitter = recovery;
  mq.resend_timeout_max = recovery ? proto::msgq::resend_timeout_max_for(dsm_resend_timeout) : dsm_resend_timeout;
  mq.epoch = epoch;
  ECSIM_ASSERT(mq.resend_timeout.ns > 0 && mq.resend_timeout <= mq.resend_timeout_max);
  return mq;
}

void World::connections_changed(net::NodeId n, int64_t delta) {
  conns_in_[n] += delta;
  ECSIM_ASSERT(conns_in_[n] >= 0);
}

void World::core_suspected(sim::Trace& trace, sim::Time now, net::NodeId edge, net::NodeId core,
                           bool until_restart) {
  ECSIM_ASSERT(roles_[edge] == Role::kEdge && roles_[core] == Role::kCore);
  ++cores_suspected_;
  trace.record(sim::Record{now.ns, kRecordCoreSuspected, static_cast<uint16_t>(until_restart ? 1 : 2), edge, core,
                           0, cores_suspected_, 0});
}

void World::add_msgq(const proto::msgq::SenderCounters& s, const proto::msgq::ReceiverCounters& r) {
  msgq_sender_ += s;
  msgq_receiver_ += r;
}

void World::add_replica_refusals(const std::array<uint64_t, proto::storage::kRefusalKinds>& refused) {
  for (size_t i = 0; i < refused.size(); ++i) replica_refused_[i] += refused[i];
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

sim::Duration TierParams::service_wait_max(Role r) const { return load_profile(r, *this).wait_max(); }

void World::on_discard(const net::Envelope& e) { pool_.release(e.payload); }
void World::on_copy(const net::Envelope& e) { pool_.retain(e.payload); }

void World::trace(sim::RecordType type, uint16_t code, net::NodeId node, uint32_t kind, uint64_t a, uint64_t b) {
  if (sim_ != nullptr) sim_->trace().record(sim::Record{sim_->now().ns, type, code, node, 0, kind, a, b});
}

void World::read_answered(net::NodeId n, uint64_t key, Version version, sim::Time at) {
  const ReadStaleness s = staleness_.on_read(key, version, at);
  if (!s.stale) return;
  ECSIM_ASSERT(s.versions_behind >= 1 && s.time_behind.ns >= 0);
  trace(kRecordStaleRead, 0, n, static_cast<uint32_t>(std::min<uint64_t>(s.versions_behind, UINT32_MAX)), key,
        static_cast<uint64_t>(s.time_behind.ns));
}

void World::client_done(const ClientRequest& r, Outcome outcome, ServedBy by, sim::Time at) {
  TierFigures& f = figures_[static_cast<size_t>(by)];
  ++f.requests;
  bool late = false;
  if (at > r.deadline && outcome != Outcome::kFailed) {
    // The client stopped waiting at its timeout; the answer came too late.
    ++answered_late_;
    outcome = Outcome::kFailed;
    late = true;
  }
  if (r.bad_token != workload::BadToken::kNone && sim_ != nullptr) {
    sim_->trace().record(sim::Record{sim_->now().ns, kRecordClientBadToken, static_cast<uint16_t>(outcome), r.edge,
                                     0, static_cast<uint32_t>(r.bad_token), r.id, r.subscriber});
  }
  // A failure counts at the time the client gave up: its timeout.
  const sim::Time gave_up = r.deadline == sim::Time::max() ? at : r.deadline;
  const ClientEnd end = late ? ClientEnd::kLate : static_cast<ClientEnd>(outcome);
  const sim::Time counted_at = outcome == Outcome::kFailed ? gave_up : at;
  trace(kRecordClientEnd, static_cast<uint16_t>(end), r.edge, static_cast<uint32_t>(by), r.id,
        static_cast<uint64_t>((counted_at - r.start).ns));
  switch (outcome) {
    case Outcome::kOk:
      ++f.ok;
      ECSIM_ASSERT(r.edge < served_.size());
      ++served_[r.edge];
      account(f, r.start, (at - r.start).ns, true);
      count_second(r.workload, r.start, true);
      break;
    case Outcome::kRefused:
      ++f.refused;
      account(f, r.start, (at - r.start).ns, false);
      break;
    case Outcome::kFailed:
      ++f.failed;
      account(f, r.start, (gave_up - r.start).ns, false);
      count_second(r.workload, r.start, false);
      break;
  }
  if (r.tracked != 0) {
    const bool ended = outstanding_.release(r.tracked);
    ECSIM_ASSERT(ended);  // a request ends once
  }
}

void World::count_second(uint32_t workload, sim::Time start, bool ok) {
  ECSIM_ASSERT(start.ns >= 0);
  if (workload >= by_second_.size()) by_second_.resize(size_t{workload} + 1);
  workload::count_second(by_second_[workload], start.ns, ok);
}

void World::account(TierFigures& f, sim::Time start, int64_t latency_ns, bool ok) {
  ECSIM_ASSERT(latency_ns >= 0);
  f.latency.add(latency_ns);
  if (ok) f.latency_ok.add(latency_ns);
  if (excluded(start)) {
    ++f.excluded;
  } else {
    f.judged.add(latency_ns);
  }
}

bool World::excluded(sim::Time start) const {
  if (excluded_windows_.empty()) return false;
  // The last window that begins at or before `start`; windows may overlap,
  // so an earlier, longer one may still cover it.
  auto it = std::upper_bound(excluded_windows_.begin(), excluded_windows_.end(), start,
                             [](sim::Time t, const sim::TimeWindow& w) { return t < w.from; });
  for (; it != excluded_windows_.begin(); --it) {
    if (start < std::prev(it)->to) return true;
  }
  return false;
}

void World::exclude_windows(std::vector<sim::TimeWindow> windows) {
  ECSIM_ASSERT(outstanding_.empty() && figures_[0].requests == 0 && figures_[1].requests == 0);
  ECSIM_ASSERT(std::is_sorted(windows.begin(), windows.end(),
                              [](const sim::TimeWindow& a, const sim::TimeWindow& b) { return a.from < b.from; }));
  excluded_windows_ = std::move(windows);
}

void World::exclude_window(sim::TimeWindow w) {
  ECSIM_ASSERT(w.from <= w.to);
  const auto at = std::upper_bound(excluded_windows_.begin(), excluded_windows_.end(), w.from,
                                   [](sim::Time t, const sim::TimeWindow& x) { return t < x.from; });
  excluded_windows_.insert(at, w);
}

void World::client_forwarded(const ClientRequest& r) {
  if (r.tracked == 0) return;
  Outstanding* o = outstanding_.find(r.tracked);
  ECSIM_ASSERT(o != nullptr);  // a request is forwarded before it ends
  o->by = ServedBy::kCore;
}

// Quorum operations at core have no client timeout of their own: a failed
// one counts at the time core gave up on it.
void World::storage_op_done(net::NodeId n, sim::Duration latency, bool ok) {
  ECSIM_ASSERT(latency.ns >= 0);
  trace(kRecordCloudOp, ok ? 1 : 0, n, 0, 0, static_cast<uint64_t>(latency.ns));
  ++cloud_.requests;
  if (ok) {
    ++cloud_.ok;
  } else {
    ++cloud_.failed;
  }
  cloud_.latency.add(latency.ns);
  if (ok) cloud_.latency_ok.add(latency.ns);
  cloud_.judged.add(latency.ns);
}

void World::client_started(ClientRequest& r) {
  ECSIM_ASSERT(r.edge < offered_.size() && r.tracked == 0);
  ++offered_[r.edge];
  trace(kRecordClientStart, 0, r.edge, static_cast<uint32_t>(r.kind), r.id, 0);
  const int64_t deadline_ns = r.deadline == sim::Time::max() ? INT64_MAX : r.deadline.ns;
  r.tracked = outstanding_.acquire(
      Outstanding{r.id, r.start.ns, deadline_ns, ServedBy::kEdge, r.bad_token, r.edge, r.subscriber, r.workload});
}

void World::finish(sim::Time end) {
  // Requests lost inside a crashed node never answer: past the client's
  // timeout they failed and count at it; younger ones are unsettled and
  // count at their age now, in the row of the tier that had them.
  // In request id order, as the trace has always had them (the pool's order
  // is its slots').
  std::vector<Outstanding> left;
  left.reserve(outstanding_.size());
  outstanding_.for_each([&left](uint64_t, const Outstanding& o) { left.push_back(o); });
  std::sort(left.begin(), left.end(), [](const Outstanding& a, const Outstanding& b) { return a.id < b.id; });
  int64_t longest_ok = 0;  // the longest any request answered ok took
  for (const TierFigures& f : figures_) longest_ok = std::max(longest_ok, f.latency_ok.max());
  for (const Outstanding& o : left) {
    const uint64_t id = o.id;
    TierFigures& f = figures_[static_cast<size_t>(o.by)];
    ++f.requests;
    const auto row = static_cast<uint32_t>(o.by);
    const bool failed = o.deadline_ns <= end.ns;
    if (o.bad_token != workload::BadToken::kNone) {
      trace(kRecordClientBadToken, failed ? static_cast<uint16_t>(Outcome::kFailed) : kBadTokenUnsettled, o.edge,
            static_cast<uint32_t>(o.bad_token), id, o.subscriber);
    }
    if (failed) {
      ++lost_;
      ++f.failed;
      ++f.lost;
      account(f, sim::Time{o.start_ns}, o.deadline_ns - o.start_ns, false);
      count_second(o.workload, sim::Time{o.start_ns}, false);
      trace(kRecordClientEnd, static_cast<uint16_t>(ClientEnd::kLost), o.edge, row, id,
            static_cast<uint64_t>(o.deadline_ns - o.start_ns));
    } else {
      ++unsettled_;
      ++f.unsettled;
      if (o.bad_token == workload::BadToken::kNone && workload::overdue(end.ns - o.start_ns, longest_ok)) {
        ++f.overdue;
        count_second(o.workload, sim::Time{o.start_ns}, false);
      } else {
        if (o.workload >= incomplete_from_.size()) incomplete_from_.resize(size_t{o.workload} + 1, INT64_MAX);
        incomplete_from_[o.workload] = std::min(incomplete_from_[o.workload], o.start_ns);
      }
      account(f, sim::Time{o.start_ns}, end.ns - o.start_ns, false);
      trace(kRecordClientEnd, static_cast<uint16_t>(ClientEnd::kUnsettled), o.edge, row, id,
            static_cast<uint64_t>(end.ns - o.start_ns));
    }
  }
  outstanding_.for_each([this](uint64_t slot, const Outstanding&) { outstanding_.release(slot); });
}

void World::rehydration_started(net::NodeId n, sim::Time at, uint32_t keys) {
  rehydrations_.push_back(RehydrationRecord{n, at, keys, 0, 0, false, sim::Time{0}});
  trace(kRecordRehydration, 1, n, 0, keys, 0);
}

void World::rehydration_done(net::NodeId n, sim::Time at, uint32_t fetched, uint32_t given_up) {
  for (auto it = rehydrations_.rbegin(); it != rehydrations_.rend(); ++it) {
    if (it->node != n) continue;
    if (!it->done) {
      it->done = true;
      it->done_at = at;
      it->fetched = fetched;
      it->given_up = given_up;
      trace(kRecordRehydration, 2, n, 0, fetched, given_up);
    }
    return;
  }
}

void World::edge_lookup(net::NodeId n, bool hit, sim::Time at) {
  auto& buckets = lookups_[n];
  const size_t second = static_cast<size_t>(at.ns / sim::seconds(1).ns);
  if (buckets.size() <= second) buckets.resize(second + 1, {0, 0});
  ++buckets[second][hit ? 0 : 1];
  trace(kRecordEdgeLookup, hit ? 1 : 0, n, 0, 0, 0);
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
  if (inserted) acked_bytes_.set_entries(acked_.size());
}

std::vector<net::NodeId> home_cores(const std::vector<net::NodeId>& cores, size_t edge_index, size_t edges) {
  ECSIM_ASSERT(!cores.empty() && edges > 0 && edge_index < edges);
  if (cores.size() <= kHomeCoresMax) return cores;
  const size_t first = edge_index * cores.size() / edges;
  std::vector<net::NodeId> home;
  for (size_t i = 0; i < kHomeCoresMax; ++i) home.push_back(cores[(first + i) % cores.size()]);
  return home;
}

namespace {
size_t clock_heap(const net::VectorClock& c) { return c.entries.capacity() * sizeof(c.entries[0]); }

size_t dsm_heap(const proto::dsm::Message& m) {
  return std::visit(proto::Overloaded{
                        [](const proto::dsm::Update& u) { return clock_heap(u.clock); },
                        [](const proto::dsm::Digest& d) { return d.entries.capacity() * sizeof(d.entries[0]); },
                        [](const proto::dsm::Repair& r) {
                          size_t bytes = r.entries.capacity() * sizeof(r.entries[0]) +
                                         r.pull.capacity() * sizeof(uint64_t);
                          for (const proto::dsm::Update& u : r.entries) bytes += clock_heap(u.clock);
                          return bytes;
                        },
                    },
                    m);
}
}  // namespace

size_t heap_bytes(const Carried& c) {
  size_t bytes = clock_heap(c.clock);
  if (const auto* dsm = std::get_if<proto::dsm::Message>(&c.payload)) {
    bytes += dsm_heap(*dsm);
  } else if (const auto* queued = std::get_if<DsmQueued>(&c.payload)) {
    bytes += clock_heap(queued->update.clock);
  } else if (const auto* storage = std::get_if<proto::storage::Message>(&c.payload)) {
    if (const auto* batch = std::get_if<proto::storage::CatchUpResp>(storage)) {
      bytes += batch->entries.capacity() * sizeof(batch->entries[0]);
    }
  }
  return bytes;
}

}  // namespace ecsim::tiers
