#include "ecsim/tiers/tier_node.hpp"

#include "ecsim/proto/visit.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace ecsim::tiers {

namespace {
constexpr uint8_t kRouteStorage = 1;
constexpr uint8_t kRouteDsm = 2;
constexpr uint8_t kRouteEdge = 3;
constexpr uint64_t kEdgeAuthDone = 1;   // edge timer: token verified, go on
constexpr uint64_t kEdgeCoreTimeout = 2;  // edge timer: core did not answer
constexpr uint64_t kEdgeServed = 3;       // edge timer: the request's edge service ended
constexpr uint64_t kEdgeSnapshot = 4;     // edge timer: persist the hot-key snapshot
constexpr uint64_t kEdgeRehydrateTimeout = 5;  // edge timer: a rehydration read went unanswered
constexpr uint64_t kSnapshotsPerDecay = 10;
constexpr std::string_view kBootEntry = "boot";
constexpr std::string_view kHotPrefix = "hot1";

std::string encode_hot(const std::vector<uint64_t>& keys) {
  std::string out(kHotPrefix);
  out.reserve(kHotPrefix.size() + 8 * keys.size());
  for (uint64_t k : keys) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((k >> (8 * i)) & 0xff));
  }
  return out;
}

// The keys of the last hot-key snapshot on `disk`, hottest first.
std::vector<uint64_t> last_hot_snapshot(const node::Disk& disk) {
  for (size_t i = disk.length(); i-- > 0;) {
    const std::string& e = disk.entry(i);
    if (e.size() < kHotPrefix.size() || std::string_view(e).substr(0, kHotPrefix.size()) != kHotPrefix) continue;
    if ((e.size() - kHotPrefix.size()) % 8 != 0) continue;
    std::vector<uint64_t> keys;
    for (size_t p = kHotPrefix.size(); p < e.size(); p += 8) {
      uint64_t k = 0;
      for (int b = 0; b < 8; ++b) k |= uint64_t{static_cast<unsigned char>(e[p + b])} << (8 * b);
      keys.push_back(k);
    }
    return keys;
  }
  return {};
}
constexpr int kEdgeTagShift = 56;

}  // namespace

// The sans-IO surface of each protocol, bound to this node's Context.
template <class M, Kind K, uint8_t R>
class ProtoEnv final : public proto::Env<M> {
 public:
  ProtoEnv(TierNode& node, node::Context& ctx) : node_(node), ctx_(ctx) {}
  sim::Time now() const override { return ctx_.now(); }
  net::NodeId self() const override { return ctx_.self(); }
  void send(net::NodeId dst, M message, uint32_t size_bytes) override {
    node_.send(ctx_, dst, K, Payload{std::move(message)}, size_bytes);
  }
  proto::TimerId set_timer(sim::Duration after, uint64_t tag) override { return node_.set_timer(ctx_, R, after, tag); }
  bool cancel_timer(proto::TimerId id) override { return node_.cancel_timer(ctx_, id); }
  sim::Rng& rng() override { return ctx_.rng(); }
  void trace(const sim::Record& r) override { ctx_.trace().record(r); }

 private:
  TierNode& node_;
  node::Context& ctx_;
};

// Cloud replicas see their disk through this.
class NodeStorageIo final : public proto::storage::StorageIo {
 public:
  explicit NodeStorageIo(node::Context& ctx) : ctx_(ctx) {}
  node::Disk& disk() override { return ctx_.disk(); }
  void sync(uint64_t tag) override { ctx_.sync(tag); }

 private:
  node::Context& ctx_;
};

struct TierNode::Envs {
  Envs(TierNode& n, node::Context& ctx) : storage(n, ctx), dsm(n, ctx), io(ctx) {}
  ProtoEnv<proto::storage::Message, kKindStorage, kRouteStorage> storage;
  ProtoEnv<proto::dsm::Message, kKindDsm, kRouteDsm> dsm;
  NodeStorageIo io;
};

uint32_t wire_size_bytes(const EdgeCoreMessage& m) {
  // {"jsonrpc":"2.0","method":"core.read","params":{"key":K},"id":I} with
  // 20-digit keys and values at most: a fixed estimate per kind keeps this
  // off the hot path.
  return std::visit(proto::Overloaded{[](const CoreRead&) -> uint32_t { return 72; },
                               [](const CoreWrite&) -> uint32_t { return 96; },
                               [](const CoreReply&) -> uint32_t { return 110; }},
                    m);
}

TierNode::TierNode(World& world, net::NodeId self)
    : world_(world), self_(self), role_(world.role(self)), clock_(self) {}

TierNode::~TierNode() = default;

void TierNode::on_start(node::Context& ctx) {
  world_.node_started(self_, ctx.now());
  envs_ = std::make_unique<Envs>(*this, ctx);
  std::vector<net::NodeId> peers;
  for (net::NodeId n = 0; n < ctx.node_count(); ++n) {
    if (n != self_) peers.push_back(n);
  }
  dsm_ = std::make_unique<proto::dsm::Replica>(self_, proto::dsm::Config{peers, world_.params().dsm_anti_entropy});
  dsm_->start(envs_->dsm);
  proto::storage::ClientConfig client;
  client.replicas = world_.nodes(Role::kCloud);
  client.timeout = world_.params().storage_timeout;
  client.retries_max = world_.params().storage_retries_max;
  switch (role_) {
    case Role::kEdge:
      // A restarted edge starts cold: its cache was volatile.
      cache_ = std::make_unique<EdgeCache>(world_.params().cache_capacity);
      guard_ = std::make_unique<proto::auth::Guard>(world_.params().secret);
      edge_start(ctx);
      break;
    case Role::kCore:
      client.incarnation = static_cast<uint32_t>(ctx.disk().length());
      ctx.disk().append("boot");  // the incarnation counter survives restarts
      reader_ = std::make_unique<proto::storage::QuorumReader>(client);
      writer_ = std::make_unique<proto::storage::QuorumWriter>(client);
      break;
    case Role::kCloud: {
      proto::storage::ReplicaConfig rc;
      for (net::NodeId n : world_.nodes(Role::kCloud)) {
        if (n != self_) rc.peers.push_back(n);
      }
      rc.core_nodes = world_.nodes(Role::kCore);
      replica_ = std::make_unique<proto::storage::Replica>(self_, rc);
      replica_->recover(envs_->storage, envs_->io);
      cloud_progress(ctx);
      break;
    }
  }
}

void TierNode::send(node::Context& ctx, net::NodeId dst, Kind kind, Payload payload, uint32_t size_bytes) {
  Carried c{std::move(payload), clock_.on_send()};
  const uint64_t hash = proto::vclock::hash(c.clock);
  const uint64_t handle = world_.pool().put(std::move(c));
  const uint64_t id = ctx.send(dst, kind, size_bytes, handle);
  ctx.trace().record(sim::Record{ctx.now().ns, proto::vclock::kRecordClockSend, 0, self_, dst, kind, id, hash});
}

void TierNode::on_message(node::Context& ctx, const net::Envelope& m) {
  const Carried& c = world_.pool().get(m.payload);
  clock_.on_receive(c.clock);
  ctx.trace().record(sim::Record{ctx.now().ns, proto::vclock::kRecordClockRecv, 0, self_, m.src, m.kind, m.id,
                                 proto::vclock::hash(clock_.clock())});
  // Copy out before releasing: handlers may send, which can reuse the slot.
  const Payload p = c.payload;
  world_.pool().release(m.payload);
  dispatch(ctx, m.src, p);
}

void TierNode::dispatch(node::Context& ctx, net::NodeId from, const Payload& p) {
  std::visit(proto::Overloaded{
                 [&](const EdgeCoreMessage& m) {
                   if (const auto* r = std::get_if<CoreReply>(&m)) {
                     if (role_ == Role::kEdge) edge_reply(ctx, *r);
                   } else if (role_ == Role::kCore) {
                     core_request(ctx, from, m);
                   }
                 },
                 [&](const proto::storage::Message& m) {
                   if (role_ == Role::kCloud) {
                     replica_->on_message(envs_->storage, envs_->io, from, m);
                     cloud_progress(ctx);
                   } else if (role_ == Role::kCore) {
                     if (const auto* a = std::get_if<proto::storage::WriteAck>(&m)) writer_->on_ack(envs_->storage, from, *a);
                     if (const auto* r = std::get_if<proto::storage::ReadResp>(&m)) reader_->on_resp(envs_->storage, from, *r);
                     core_completions(ctx);
                   }
                   // Anything else (an edge node hearing storage traffic) is ignored.
                 },
                 [&](const proto::dsm::Message& m) { dsm_->on_message(envs_->dsm, from, m); },
             },
             p);
}

proto::TimerId TierNode::set_timer(node::Context& ctx, uint8_t route, sim::Duration after, uint64_t tag) {
  uint32_t slot;
  if (!free_routes_.empty()) {
    slot = free_routes_.back();
    free_routes_.pop_back();
  } else {
    slot = static_cast<uint32_t>(routes_.size());
    routes_.emplace_back();
  }
  const proto::TimerId id = ctx.set_timer(after, slot);
  routes_[slot] = Route{route, tag, id};
  route_of_[id] = slot;
  return id;
}

bool TierNode::cancel_timer(node::Context& ctx, proto::TimerId id) {
  auto it = route_of_.find(id);
  if (it == route_of_.end() || !ctx.cancel_timer(id)) return false;
  free_routes_.push_back(it->second);
  route_of_.erase(it);
  return true;
}

void TierNode::on_timer(node::Context& ctx, uint64_t tag) {
  ECSIM_ASSERT(tag < routes_.size());
  const Route r = routes_[tag];
  route_of_.erase(r.id);
  free_routes_.push_back(static_cast<uint32_t>(tag));
  switch (r.route) {
    case kRouteStorage:
      if (role_ == Role::kCloud) {
        replica_->on_timer(envs_->storage, envs_->io, r.tag);
        cloud_progress(ctx);
      } else if (proto::storage::is_writer_tag(r.tag)) {
        writer_->on_timer(envs_->storage, r.tag);
        core_completions(ctx);
      } else {
        reader_->on_timer(envs_->storage, r.tag);
        core_completions(ctx);
      }
      return;
    case kRouteDsm:
      dsm_->on_timer(envs_->dsm, r.tag);
      return;
    case kRouteEdge: {
      const uint64_t req = r.tag & ((uint64_t{1} << kEdgeTagShift) - 1);
      if ((r.tag >> kEdgeTagShift) == kEdgeAuthDone) edge_admitted(ctx, req);
      if ((r.tag >> kEdgeTagShift) == kEdgeCoreTimeout) edge_timeout(ctx, req);
      if ((r.tag >> kEdgeTagShift) == kEdgeServed) edge_served(ctx, req);
      if ((r.tag >> kEdgeTagShift) == kEdgeSnapshot) edge_snapshot(ctx);
      if ((r.tag >> kEdgeTagShift) == kEdgeRehydrateTimeout) rehydrate_timeout(ctx, req);
      return;
    }
  }
  ECSIM_ASSERT(false);
}

void TierNode::on_sync(node::Context& ctx, uint64_t tag) {
  if (replica_ != nullptr) {
    replica_->on_sync_done(envs_->storage, envs_->io, tag);
    cloud_progress(ctx);
  }
}

// The replica's catch-up, reported once per incarnation (for the summary).
void TierNode::cloud_progress(node::Context&) {
  if (caught_up_reported_ || !replica_->caught_up()) return;
  caught_up_reported_ = true;
  world_.cloud_caught_up(self_, replica_->caught_up_at());
}

// --- edge --------------------------------------------------------------------

namespace {
proto::auth::Operation operation_of(workload::RequestKind k) {
  switch (k) {
    case workload::RequestKind::kSessionCheck: return proto::auth::Operation::kSessionCheck;
    case workload::RequestKind::kWrite:
    case workload::RequestKind::kDsmSet: return proto::auth::Operation::kWrite;
    default: return proto::auth::Operation::kRead;
  }
}
}  // namespace

// A client's request waits for an edge core (the load model), then its token
// is verified before anything else; the verification's cost is charged as a
// delay before the request goes on (refused requests answer after it too).
void TierNode::on_client_request(node::Context& ctx, ClientRequest request) {
  ECSIM_ASSERT(role_ == Role::kEdge);
  sim::Time start = ctx.now();
  if (node::LoadModel* load = ctx.load_model()) {
    const node::LoadModel::Admission a = load->admit(ctx.now(), kKindClient);
    if (!a.accepted) {
      world_.client_done(request, Outcome::kFailed, ServedBy::kEdge, ctx.now());  // overloaded
      return;
    }
    start = a.done;
  }
  if (start > ctx.now()) {
    const uint64_t id = next_edge_req_++;
    edge_pending_[id] = EdgePending{std::move(request), 0, 0};
    set_timer(ctx, kRouteEdge, start - ctx.now(), (kEdgeServed << kEdgeTagShift) | id);
    return;
  }
  edge_check_token(ctx, std::move(request));
}

void TierNode::edge_served(node::Context& ctx, uint64_t edge_req) {
  auto it = edge_pending_.find(edge_req);
  ECSIM_ASSERT(it != edge_pending_.end());
  ClientRequest request = std::move(it->second.request);
  edge_pending_.erase(it);
  edge_check_token(ctx, std::move(request));
}

void TierNode::edge_check_token(node::Context& ctx, ClientRequest request) {
  const proto::auth::Decision d =
      guard_->check(envs_->dsm, request.token, operation_of(request.kind), request.subscriber);
  if (!d.ok()) {
    ++world_.refusals[static_cast<size_t>(d.reason)];
    world_.client_done(request, Outcome::kRefused, ServedBy::kEdge, ctx.now() + d.cost);
    return;
  }
  const uint64_t id = next_edge_req_++;
  edge_pending_[id] = EdgePending{std::move(request), 0, 0};
  set_timer(ctx, kRouteEdge, d.cost, (kEdgeAuthDone << kEdgeTagShift) | id);
}

void TierNode::edge_admitted(node::Context& ctx, uint64_t edge_req) {
  auto it = edge_pending_.find(edge_req);
  ECSIM_ASSERT(it != edge_pending_.end());
  const ClientRequest& r = it->second.request;
  // With a load model the edge's own work was served in its queue already.
  const sim::Time done = ctx.load_model() != nullptr ? ctx.now() : ctx.now() + world_.params().edge_service;
  switch (r.kind) {
    case workload::RequestKind::kDsmSet: {
      const bool ok = dsm_->set(envs_->dsm, r.key, r.value);
      world_.client_done(r, ok ? Outcome::kOk : Outcome::kFailed, ServedBy::kEdge, done);
      edge_pending_.erase(it);
      return;
    }
    case workload::RequestKind::kDsmGet:
      dsm_->get(r.key);
      world_.client_done(r, Outcome::kOk, ServedBy::kEdge, done);
      edge_pending_.erase(it);
      return;
    case workload::RequestKind::kSessionCheck:
    case workload::RequestKind::kRead:
      // Entries older than the TTL are refetched: that bounds how stale a
      // weakly consistent edge read can be.
      hot_->touch(r.key);
      if (auto hit = cache_->get(r.key, ctx.now()); hit && ctx.now() - hit->stored_at <= world_.params().cache_ttl) {
        ++world_.hits;
        world_.edge_lookup(self_, true, ctx.now());
        world_.staleness().on_read(r.key, hit->version, ctx.now());
        world_.client_done(r, Outcome::kOk, ServedBy::kEdge, done);
        edge_pending_.erase(it);
        return;
      }
      ++world_.misses;
      world_.edge_lookup(self_, false, ctx.now());
      break;
    case workload::RequestKind::kWrite:
      break;
  }
  edge_send_to_core(ctx, edge_req);
}

// Round robin over core nodes for first attempts; a retry goes to the core
// after the one that did not answer.
void TierNode::edge_send_to_core(node::Context& ctx, uint64_t edge_req) {
  EdgePending& p = edge_pending_.at(edge_req);
  const auto& cores = world_.nodes(Role::kCore);
  p.core_index = p.attempts == 0 ? next_core_++ % static_cast<uint32_t>(cores.size())
                                 : (p.core_index + 1) % static_cast<uint32_t>(cores.size());
  const net::NodeId core = cores[p.core_index];
  ++p.attempts;
  EdgeCoreMessage m;
  if (p.request.kind == workload::RequestKind::kWrite) {
    m = CoreWrite{edge_req, p.request.key, p.request.value};
  } else {
    m = CoreRead{edge_req, p.request.key};
  }
  const uint32_t size = wire_size_bytes(m);
  send(ctx, core, kKindEdgeCore, Payload{std::move(m)}, size);
  p.timer = set_timer(ctx, kRouteEdge, world_.params().core_timeout, (kEdgeCoreTimeout << kEdgeTagShift) | edge_req);
}

void TierNode::edge_timeout(node::Context& ctx, uint64_t edge_req) {
  auto it = edge_pending_.find(edge_req);
  if (it == edge_pending_.end()) return;
  if (it->second.attempts < world_.params().core_attempts_max) {
    edge_send_to_core(ctx, edge_req);
    return;
  }
  world_.client_done(it->second.request, Outcome::kFailed, ServedBy::kCore, ctx.now());
  edge_pending_.erase(it);
}

void TierNode::edge_reply(node::Context& ctx, const CoreReply& r) {
  auto it = edge_pending_.find(r.req_id);
  if (it == edge_pending_.end()) {
    rehydrate_reply(ctx, r);  // a rehydration read, or late: timed out or retried and answered
    return;
  }
  cancel_timer(ctx, it->second.timer);
  const ClientRequest& q = it->second.request;
  if (r.ok) {
    if (q.kind == workload::RequestKind::kWrite) {
      world_.staleness().on_ack(q.key, Version{r.version.counter, r.version.writer}, ctx.now());
      world_.write_acked(q.key, r.version);
    } else {
      world_.staleness().on_read(q.key, Version{r.version.counter, r.version.writer}, ctx.now());
    }
    if (r.found || q.kind == workload::RequestKind::kWrite) {
      cache_->put(q.key, r.value, Version{r.version.counter, r.version.writer}, ctx.now());
    }
  }
  world_.client_done(q, r.ok ? Outcome::kOk : Outcome::kFailed, ServedBy::kCore, ctx.now());
  edge_pending_.erase(it);
}

// --- edge: hot keys and rehydration -----------------------------------------

void TierNode::edge_start(node::Context& ctx) {
  const TierParams& p = world_.params();
  const size_t k = std::min<size_t>(p.rehydrate_keys, (node::Disk::kEntryBytesMax - kHotPrefix.size()) / 8);
  hot_ = std::make_unique<HotKeys>(std::max<size_t>(4 * k, 1));
  node::Disk& disk = ctx.disk();
  bool restarted = false;
  for (size_t i = 0; i < disk.length() && !restarted; ++i) restarted = disk.entry(i) == kBootEntry;
  disk.append(kBootEntry);
  ctx.sync(0);
  set_timer(ctx, kRouteEdge, p.hot_snapshot_period, kEdgeSnapshot << kEdgeTagShift);
  if (!restarted) return;
  rehydrate_keys_ = last_hot_snapshot(disk);
  if (rehydrate_keys_.size() > k) rehydrate_keys_.resize(k);
  last_snapshot_ = rehydrate_keys_;
  // Seed the sketch so the next snapshot keeps the old order until fresh
  // traffic says otherwise.
  for (size_t i = 0; i < rehydrate_keys_.size(); ++i) hot_->touch(rehydrate_keys_[i], rehydrate_keys_.size() - i);
  rehydrating_ = true;
  world_.rehydration_started(self_, ctx.now(), static_cast<uint32_t>(rehydrate_keys_.size()));
  rehydrate_pump(ctx);
}

void TierNode::edge_snapshot(node::Context& ctx) {
  const TierParams& p = world_.params();
  const size_t k = std::min<size_t>(p.rehydrate_keys, (node::Disk::kEntryBytesMax - kHotPrefix.size()) / 8);
  std::vector<uint64_t> top = hot_->top(k);
  if (!top.empty() && top != last_snapshot_) {
    ctx.disk().append(encode_hot(top));
    ctx.sync(0);
    last_snapshot_ = std::move(top);
  }
  if (++snapshots_ % kSnapshotsPerDecay == 0) hot_->decay();
  set_timer(ctx, kRouteEdge, p.hot_snapshot_period, kEdgeSnapshot << kEdgeTagShift);
}

void TierNode::rehydrate_pump(node::Context& ctx) {
  if (!rehydrating_) return;
  while (rehydrate_pending_.size() < world_.params().rehydrate_outstanding_max &&
         rehydrate_next_ < rehydrate_keys_.size()) {
    const uint64_t id = next_edge_req_++;
    rehydrate_pending_[id] = RehydrateFetch{rehydrate_keys_[rehydrate_next_++], 0, 0, 0};
    rehydrate_send(ctx, id);
  }
  if (rehydrate_pending_.empty() && rehydrate_next_ == rehydrate_keys_.size()) {
    rehydrating_ = false;
    world_.rehydration_done(self_, ctx.now(), rehydrate_fetched_, rehydrate_given_up_);
    rehydrate_keys_ = {};
  }
}

void TierNode::rehydrate_send(node::Context& ctx, uint64_t req) {
  RehydrateFetch& f = rehydrate_pending_.at(req);
  const auto& cores = world_.nodes(Role::kCore);
  f.core_index = f.attempts == 0 ? next_core_++ % static_cast<uint32_t>(cores.size())
                                 : (f.core_index + 1) % static_cast<uint32_t>(cores.size());
  ++f.attempts;
  EdgeCoreMessage m = CoreRead{req, f.key};
  const uint32_t size = wire_size_bytes(m);
  send(ctx, cores[f.core_index], kKindEdgeCore, Payload{std::move(m)}, size);
  f.timer = set_timer(ctx, kRouteEdge, world_.params().core_timeout, (kEdgeRehydrateTimeout << kEdgeTagShift) | req);
}

void TierNode::rehydrate_timeout(node::Context& ctx, uint64_t req) {
  auto it = rehydrate_pending_.find(req);
  if (it == rehydrate_pending_.end()) return;
  if (it->second.attempts < world_.params().core_attempts_max) {
    rehydrate_send(ctx, req);
    return;
  }
  ++rehydrate_given_up_;
  rehydrate_pending_.erase(it);
  rehydrate_pump(ctx);
}

void TierNode::rehydrate_reply(node::Context& ctx, const CoreReply& r) {
  auto it = rehydrate_pending_.find(r.req_id);
  if (it == rehydrate_pending_.end()) return;  // late
  cancel_timer(ctx, it->second.timer);
  if (!r.ok) {
    if (it->second.attempts < world_.params().core_attempts_max) {
      rehydrate_send(ctx, r.req_id);
      return;
    }
    ++rehydrate_given_up_;
  } else {
    ++rehydrate_fetched_;
    if (r.found) cache_->put(it->second.key, r.value, Version{r.version.counter, r.version.writer}, ctx.now());
  }
  rehydrate_pending_.erase(it);
  rehydrate_pump(ctx);
}

// --- core --------------------------------------------------------------------

// Reads are quorum reads. A write first reads the current version, then
// writes counter + 1 under this core's id: two cores racing on a key write
// the same counter and the larger writer id wins everywhere.
void TierNode::core_request(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) {
  if (const auto* r = std::get_if<CoreRead>(&m)) {
    if (auto id = reader_->read(envs_->storage, r->key)) {
      reads_[*id] = CoreOp{from, r->req_id, false, 0};
    } else {
      send(ctx, from, kKindEdgeCore, Payload{EdgeCoreMessage{CoreReply{r->req_id, false, false, 0, {}}}}, 110);
    }
  } else if (const auto* w = std::get_if<CoreWrite>(&m)) {
    if (auto id = reader_->read(envs_->storage, w->key)) {
      reads_[*id] = CoreOp{from, w->req_id, true, w->value};
    } else {
      send(ctx, from, kKindEdgeCore, Payload{EdgeCoreMessage{CoreReply{w->req_id, false, false, 0, {}}}}, 110);
    }
  }
  core_completions(ctx);
}

void TierNode::core_completions(node::Context& ctx) {
  std::vector<proto::storage::ReadCompletion> reads;
  reader_->take_completions(reads);
  for (const auto& c : reads) {
    world_.storage_op_done(c.latency, c.ok);
    auto it = reads_.find(c.req_id);
    if (it == reads_.end()) continue;
    const CoreOp op = it->second;
    reads_.erase(it);
    if (op.write && c.ok) {
      const proto::storage::Version v{c.version.counter + 1, self_};
      if (auto id = writer_->write(envs_->storage, c.key, op.value, v)) {
        writes_[*id] = op;
        continue;
      }
    }
    CoreReply reply{op.edge_req, c.ok && !op.write, c.found, c.value, c.version};
    send(ctx, op.edge, kKindEdgeCore, Payload{EdgeCoreMessage{reply}}, wire_size_bytes(EdgeCoreMessage{reply}));
  }
  std::vector<proto::storage::WriteCompletion> writes;
  writer_->take_completions(writes);
  for (const auto& c : writes) {
    world_.storage_op_done(c.latency, c.ok);
    auto it = writes_.find(c.req_id);
    if (it == writes_.end()) continue;
    const CoreOp op = it->second;
    writes_.erase(it);
    CoreReply reply{op.edge_req, c.ok, true, op.value, c.version};
    send(ctx, op.edge, kKindEdgeCore, Payload{EdgeCoreMessage{reply}}, wire_size_bytes(EdgeCoreMessage{reply}));
  }
}

}  // namespace ecsim::tiers
