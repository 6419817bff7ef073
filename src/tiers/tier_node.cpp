#include "ecsim/tiers/tier_node.hpp"

#include "ecsim/net/connection.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/proto/visit.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace ecsim::tiers {

namespace {
constexpr uint8_t kRouteStorage = 1;
constexpr uint8_t kRouteDsm = 2;
constexpr uint8_t kRouteEdge = 3;
constexpr uint8_t kRouteRpc = 4;
constexpr uint8_t kRouteMsgq = 5;
// Connection families (net/connection.hpp): each protocol's connections.
constexpr uint32_t kConnRpc = 1;
constexpr uint32_t kConnStorage = 2;
constexpr uint32_t kConnMsgq = 3;
constexpr uint32_t kConnDsm = 4;
uint64_t storage_connection(const proto::storage::Message& m);
constexpr uint64_t kEdgeAuthDone = 1;   // edge timer: token verified, go on
constexpr uint64_t kEdgeServed = 3;       // edge timer: the request's edge service ended
constexpr uint64_t kEdgeSnapshot = 4;     // edge timer: persist the hot-key snapshot
constexpr uint64_t kEdgeSuspectEnd = 6;   // edge timer: a suspected core is tried again
// Core answers with this when a request's body is not a read or a write.
constexpr uint16_t kCodeBadRequest = static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst) + 2;
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

// The sans-IO surface of each protocol, bound to this node's Context: its
// timers come back on route R, and `Send` puts its messages on the wire
// (storage as they are; DSM UPDATEs through msgq; RPC and msgq messages with
// the bodies their handles name). Once the node stopped at a protocol point
// (proto/points.hpp), sends and trace records are refused: nothing after the
// point leaves the node. Timers are still set (the crash that follows at
// once cancels them), so that the protocols' own bookkeeping stays valid.
template <class M, uint8_t R, void (TierNode::*Send)(node::Context&, net::NodeId, M, uint32_t)>
class ProtoEnv final : public proto::Env<M> {
 public:
  ProtoEnv(TierNode& node, node::Context& ctx) : node_(node), ctx_(ctx) {}
  sim::Time now() const override { return ctx_.now(); }
  net::NodeId self() const override { return ctx_.self(); }
  void send(net::NodeId dst, M message, uint32_t size_bytes) override {
    if (ctx_.halted()) return;
    (node_.*Send)(ctx_, dst, std::move(message), size_bytes);
  }
  proto::TimerId set_timer(sim::Duration after, uint64_t tag) override { return node_.set_timer(ctx_, R, after, tag); }
  bool cancel_timer(proto::TimerId id) override { return node_.cancel_timer(ctx_, id); }
  sim::Rng& rng() override { return ctx_.rng(); }
  void trace(const sim::Record& r) override {
    if (!ctx_.halted()) ctx_.trace().record(r);
  }

 private:
  TierNode& node_;
  node::Context& ctx_;
};

// Cloud replicas see their disk through this.
class NodeStorageIo final : public proto::storage::StorageIo {
 public:
  explicit NodeStorageIo(node::Context& ctx) : ctx_(ctx) {}
  node::Disk& disk() override { return ctx_.disk(); }
  void sync(uint64_t tag) override {
    if (!ctx_.halted()) ctx_.sync(tag);
  }

 private:
  node::Context& ctx_;
};

struct TierNode::Envs {
  Envs(TierNode& n, node::Context& ctx) : storage(n, ctx), dsm(n, ctx), rpc(n, ctx), msgq(n, ctx), io(ctx) {}
  ProtoEnv<proto::storage::Message, kRouteStorage, &TierNode::send_storage> storage;
  ProtoEnv<proto::dsm::Message, kRouteDsm, &TierNode::send_dsm> dsm;
  ProtoEnv<proto::rpc::Message, kRouteRpc, &TierNode::send_rpc> rpc;
  ProtoEnv<proto::msgq::Message, kRouteMsgq, &TierNode::send_msgq> msgq;
  NodeStorageIo io;
};

uint32_t body_size_bytes(const CoreBody& b) {
  using proto::decimal_digits;
  return std::visit(proto::Overloaded{
                        [](std::monostate) -> uint32_t { return 0; },
                        // {"key":K}
                        [](const CoreRead& r) -> uint32_t { return 8 + decimal_digits(r.key); },
                        // {"key":K,"value":V}
                        [](const CoreWrite& w) -> uint32_t {
                          return 17 + decimal_digits(w.key) + decimal_digits(w.value);
                        },
                        // {"found":true,"value":V,"version":[C,W]}
                        [](const CoreReply& r) -> uint32_t {
                          return (r.found ? 26 : 27) + decimal_digits(r.value) + decimal_digits(r.version.counter) +
                                 decimal_digits(r.version.writer);
                        }},
                    b);
}

TierNode::TierNode(World& world, net::NodeId self)
    : world_(world), self_(self), role_(world.role(self)), clock_(self) {}

TierNode::~TierNode() {
  // A crash (or the end of the run) takes the node's counters and
  // connections with it: they move to the World.
  world_.add_rpc(rpc_client_ ? rpc_client_->counters() : proto::rpc::ClientCounters{},
                 rpc_server_ ? rpc_server_->counters() : proto::rpc::ServerCounters{});
  world_.add_msgq(msgq_sender_ ? msgq_sender_->counters() : proto::msgq::SenderCounters{},
                  msgq_receiver_ ? msgq_receiver_->counters() : proto::msgq::ReceiverCounters{});
  if (replica_ != nullptr) world_.add_replica_refusals(replica_->counters().refused);
  if (role_ == Role::kEdge) {
    const auto& cores = world_.nodes(Role::kCore);
    for (size_t i = 0; i < conns_reported_.size(); ++i) world_.connections_changed(cores[i], -int64_t{conns_reported_[i]});
  }
}

// A crashed or cut-off core: the edge's calls on its connections fail at
// once (and retry) instead of waiting out their timeouts.
// A core crashed or was cut off: the edge's calls on its connections fail
// at once, and so do new calls to it -- until it restarts after a crash
// (connecting to a host whose process is down is refused at once), or for
// `core_suspect` after a partition (then it is tried again) -- each going
// to the next core instead of waiting out a timeout there.
void TierNode::on_connections_reset(node::Context& ctx, net::NodeId peer, bool crashed) {
  if (rpc_client_ == nullptr || world_.role(peer) != Role::kCore) return;
  rpc_client_->reset_connections(peer);
  suspect_core(ctx, core_index(peer), crashed);
  edge_rpc_done(ctx);
}

void TierNode::on_peer_restarted(node::Context& ctx, net::NodeId peer) {
  if (rpc_client_ == nullptr || world_.role(peer) != Role::kCore) return;
  const uint32_t index = core_index(peer);
  if (suspect_timer_[index] != 0) cancel_timer(ctx, suspect_timer_[index]);
  core_trusted_again(index);
}

uint32_t TierNode::core_index(net::NodeId core) const {
  const auto& cores = world_.nodes(Role::kCore);
  return static_cast<uint32_t>(std::find(cores.begin(), cores.end(), core) - cores.begin());
}

void TierNode::suspect_core(node::Context& ctx, uint32_t index, bool until_restart) {
  rpc_client_->set_reachable(world_.nodes(Role::kCore)[index], false);
  if (suspect_timer_[index] != 0) cancel_timer(ctx, suspect_timer_[index]);
  suspect_timer_[index] = 0;
  if (!until_restart) {
    suspect_timer_[index] =
        set_timer(ctx, kRouteEdge, world_.params().core_suspect, (kEdgeSuspectEnd << kEdgeTagShift) | index);
  }
  world_.core_suspected(ctx.trace(), ctx.now(), self_, world_.nodes(Role::kCore)[index], until_restart);
}

void TierNode::core_trusted_again(uint32_t index) {
  rpc_client_->set_reachable(world_.nodes(Role::kCore)[index], true);
  suspect_timer_[index] = 0;
}

uint32_t TierNode::open_connections() const {
  if (rpc_client_ != nullptr) return static_cast<uint32_t>(rpc_client_->open_connections());
  return role_ == Role::kCore ? world_.connections_to(self_) : 0;
}

void TierNode::on_start(node::Context& ctx) {
  envs_ = std::make_unique<Envs>(*this, ctx);
  std::vector<net::NodeId> peers;
  for (net::NodeId n = 0; n < ctx.node_count(); ++n) {
    if (n != self_) peers.push_back(n);
  }
  msgq_sender_ = std::make_unique<proto::msgq::Sender>(envs_->msgq, world_.params().msgq_sender(ctx.incarnation()));
  msgq_receiver_ = std::make_unique<proto::msgq::Receiver>(envs_->msgq, proto::msgq::ReceiverConfig{});
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
      {
        proto::rpc::ClientConfig rc;
        rc.pool_size_max = world_.params().rpc_pool_size;
        rc.incarnation = ctx.incarnation();
        rc.orphan_handshake_timeout = world_.params().rpc_handshake_timeout;
        if (world_.params().recovery) {
          const TierParams& tp = world_.params();
          rc.retry_budget = true;
          rc.retry_budget_permille = tp.retry_budget_permille;
          rc.retry_budget_max = tp.retry_budget_max;
          rc.connect_rate_per_s = tp.connect_rate_per_s;
          rc.connect_burst = tp.rpc_pool_size;
          rc.queue_max = tp.rpc_queue_max;
          rc.lifo_when_congested = true;
          rc.jitter_seed = ctx.rng().next_u64();  // the client's own stream for its retries' jitter
        }
        rpc_client_ = std::make_unique<proto::rpc::Client>(envs_->rpc, rc);
        for (net::NodeId core : world_.nodes(Role::kCore)) {
          rpc_client_->set_tls(core, ctx.link(core).tls);
          rpc_client_->prewarm(core, world_.params().rpc_pool_warm);
        }
        conns_reported_.assign(world_.nodes(Role::kCore).size(), 0);
        suspect_timer_.assign(world_.nodes(Role::kCore).size(), 0);
      }
      edge_start(ctx);
      break;
    case Role::kCore:
      client.incarnation = static_cast<uint32_t>(ctx.disk().length());
      ctx.disk().append("boot");  // the incarnation counter survives restarts
      reader_ = std::make_unique<proto::storage::QuorumReader>(client);
      writer_ = std::make_unique<proto::storage::QuorumWriter>(client);
      rpc_server_ = std::make_unique<proto::rpc::Server>(envs_->rpc, proto::rpc::ServerConfig{});
      replies_.assign(proto::rpc::ServerConfig{}.cache_max, ReplySlot{});
      break;
    case Role::kCloud: {
      proto::storage::ReplicaConfig rc;
      for (net::NodeId n : world_.nodes(Role::kCloud)) {
        if (n != self_) rc.peers.push_back(n);
      }
      rc.core_nodes = world_.nodes(Role::kCore);
      replica_ = std::make_unique<proto::storage::Replica>(self_, rc);
      replica_->recover(envs_->storage, envs_->io);
      break;
    }
  }
}

void TierNode::send(node::Context& ctx, net::NodeId dst, Kind kind, Payload payload, uint32_t size_bytes,
                    uint64_t conn) {
  // A full payload pool refuses the body (counted and traced as a reach of
  // tiers.payloads): the message is not sent, before the clock ticks, so to
  // the protocol it is lost on the way like any dropped message.
  if (world_.pool().full()) [[unlikely]] {
    world_.pool().refuse(self_);
    return;
  }
  Carried c{std::move(payload), world_.spare_clock()};
  clock_.on_send(c.clock);
  const uint64_t hash = proto::vclock::hash(c.clock);
  const std::optional<uint64_t> stored = world_.pool().put(std::move(c), self_);
  ECSIM_ASSERT(stored.has_value());  // full() was checked above
  const uint64_t handle = *stored;
  const uint64_t id = ctx.send(dst, kind, size_bytes, handle, conn);
  ctx.trace().record(sim::Record{ctx.now().ns, proto::vclock::kRecordClockSend, 0, self_, dst, kind, id, hash});
}

void TierNode::on_message(node::Context& ctx, const net::Envelope& m) {
  // Taken out of the pool (moved, unless a duplicate still holds it) before
  // the handlers run: they may send, which can reuse the slot.
  Carried c = world_.pool().take(m.payload);
  clock_.on_receive(c.clock);
  ctx.trace().record(sim::Record{ctx.now().ns, proto::vclock::kRecordClockRecv, 0, self_, m.src, m.kind, m.id,
                                 proto::vclock::hash(clock_.clock())});
  world_.recycle_clock(std::move(c.clock));
  dispatch(ctx, m.src, c.payload);
}

void TierNode::dispatch(node::Context& ctx, net::NodeId from, const Payload& p) {
  std::visit(proto::Overloaded{
                 [&](const EdgeCoreMessage& m) {
                   if (role_ == Role::kEdge) edge_rpc(ctx, from, m);
                   if (role_ == Role::kCore) core_request(ctx, from, m);
                 },
                 [&](const proto::storage::Message& m) {
                   if (role_ == Role::kCloud) {
                     replica_->on_message(envs_->storage, envs_->io, from, m);
                   } else if (role_ == Role::kCore) {
                     if (const auto* a = std::get_if<proto::storage::WriteAck>(&m)) writer_->on_ack(envs_->storage, from, *a);
                     if (const auto* r = std::get_if<proto::storage::ReadResp>(&m)) reader_->on_resp(envs_->storage, from, *r);
                     core_completions(ctx);
                   }
                   // Anything else (an edge node hearing storage traffic) is ignored.
                 },
                 [&](const proto::dsm::Message& m) { dsm_->on_message(envs_->dsm, from, m); },
                 [&](const DsmQueued& q) { dsm_queued(ctx, from, q); },
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
  if (id == node::kTimerRefused) [[unlikely]] {
    // The node's timer table is full (counted and traced by the cluster): the
    // timer never fires, so it gets no route; the caller's later cancel of
    // this id finds none and returns false.
    free_routes_.push_back(slot);
    return id;
  }
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
    case kRouteMsgq:
      msgq_sender_->on_timer(r.tag);
      msgq_settled();
      return;
    case kRouteRpc:
      rpc_client_->on_timer(r.tag);
      edge_rpc_done(ctx);
      return;
    case kRouteEdge: {
      const uint64_t req = r.tag & ((uint64_t{1} << kEdgeTagShift) - 1);
      if ((r.tag >> kEdgeTagShift) == kEdgeAuthDone) edge_admitted(ctx, req);
      if ((r.tag >> kEdgeTagShift) == kEdgeServed) edge_served(ctx, req);
      if ((r.tag >> kEdgeTagShift) == kEdgeSnapshot) edge_snapshot(ctx);
      if ((r.tag >> kEdgeTagShift) == kEdgeSuspectEnd) core_trusted_again(static_cast<uint32_t>(req));
      return;
    }
  }
  ECSIM_ASSERT(false);
}

void TierNode::on_sync(node::Context&, uint64_t tag) {
  if (replica_ != nullptr) replica_->on_sync_done(envs_->storage, envs_->io, tag);
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
      if (ctx.halted()) return;  // the client is never answered: the node crashes now
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
        world_.read_answered(self_, r.key, hit->version, ctx.now());
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
  edge_rpc_done(ctx);  // a call refused at once (no core reachable) completes now
}

// Round robin over core nodes for first attempts; after an RPC failure the
// request goes to the core after the one that failed.
void TierNode::edge_send_to_core(node::Context&, uint64_t edge_req) {
  EdgePending& p = edge_pending_.at(edge_req);
  const auto& cores = world_.nodes(Role::kCore);
  p.core_index = p.attempts == 0 ? next_core_++ % static_cast<uint32_t>(cores.size())
                                 : (p.core_index + 1) % static_cast<uint32_t>(cores.size());
  if (p.attempts++ == 0) world_.client_forwarded(p.request.id);
  const bool write = p.request.kind == workload::RequestKind::kWrite;
  const CoreBody body = write ? CoreBody{CoreWrite{p.request.key, p.request.value}} : CoreBody{CoreRead{p.request.key}};
  const TierParams& tp = world_.params();
  proto::rpc::CallOptions options;
  options.timeout = tp.core_timeout;
  options.retries_max = tp.core_retries_max;
  p.call_id = rpc_client_->call(cores[p.core_index],
                                write ? proto::rpc::Method::kSubscriberWrite : proto::rpc::Method::kSubscriberRead,
                                edge_req, body_size_bytes(body), options);
  call_req_[p.call_id] = edge_req;
}

// The body of an outgoing RPC message: a request's from the edge request its
// handle names, a response's from the core's reply ring.
CoreBody TierNode::rpc_body(const proto::rpc::Message& m) const {
  if (const auto* q = std::get_if<proto::rpc::Request>(&m)) {
    if (auto it = edge_pending_.find(q->body_handle); it != edge_pending_.end()) {
      const ClientRequest& r = it->second.request;
      if (r.kind == workload::RequestKind::kWrite) return CoreWrite{r.key, r.value};
      return CoreRead{r.key};
    }
    if (auto it = rehydrate_pending_.find(q->body_handle); it != rehydrate_pending_.end()) {
      return CoreRead{it->second.key};
    }
    return std::monostate{};
  }
  if (const auto* r = std::get_if<proto::rpc::Response>(&m); r != nullptr && r->body_handle != 0) {
    const ReplySlot& slot = replies_[r->body_handle % replies_.size()];
    if (slot.handle == r->body_handle) return slot.reply;
  }
  return std::monostate{};
}

// Each RPC connection of the edge's pool (its handshake included) is one
// connection: the client's id, opened by the client.
void TierNode::send_rpc(node::Context& ctx, net::NodeId dst, proto::rpc::Message m, uint32_t size_bytes) {
  CoreBody body = rpc_body(m);
  const bool handshake = std::holds_alternative<proto::rpc::ConnOpen>(m) || std::holds_alternative<proto::rpc::ConnAccept>(m);
  const auto [by_client, conn_id] = std::visit(
      proto::Overloaded{[](const proto::rpc::Request& r) { return std::pair{true, r.conn_id}; },
                        [](const proto::rpc::ConnOpen& r) { return std::pair{true, r.conn_id}; },
                        [](const proto::rpc::Response& r) { return std::pair{false, r.conn_id}; },
                        [](const proto::rpc::ConnAccept& r) { return std::pair{false, r.conn_id}; }},
      m);
  const uint64_t conn = net::connection_id(kConnRpc, by_client, conn_id);
  send(ctx, dst, handshake ? kKindHandshake : kKindEdgeCore, Payload{EdgeCoreMessage{std::move(m), std::move(body)}},
       size_bytes, conn);
}

// Storage calls (quorum reads and writes from core, catch-up between
// replicas, forged writes) model a pool of connections with one call at a
// time each, like the edge's RPC pool: a request and its answer are the
// only messages on their connection, named by the request id.
void TierNode::send_storage(node::Context& ctx, net::NodeId dst, proto::storage::Message m, uint32_t size_bytes) {
  const uint64_t conn = storage_connection(m);
  send(ctx, dst, kKindStorage, Payload{std::move(m)}, size_bytes, conn);
}

namespace {
uint64_t storage_connection(const proto::storage::Message& m) {
  using namespace proto::storage;
  const auto [by_caller, req_id] =
      std::visit(proto::Overloaded{[](const WriteReq& r) { return std::pair{true, r.req_id}; },
                                   [](const ReadReq& r) { return std::pair{true, r.req_id}; },
                                   [](const CatchUpReq& r) { return std::pair{true, r.req_id}; },
                                   [](const WriteAck& r) { return std::pair{false, r.req_id}; },
                                   [](const ReadResp& r) { return std::pair{false, r.req_id}; },
                                   [](const CatchUpResp& r) { return std::pair{false, r.req_id}; }},
                 m);
  return net::connection_id(kConnStorage, by_caller, req_id);
}
}  // namespace

void TierNode::send_dsm(node::Context& ctx, net::NodeId dst, proto::dsm::Message m, uint32_t size_bytes) {
  const auto* u = std::get_if<proto::dsm::Update>(&m);
  if (u == nullptr) {
    // Digests and repairs: one anti-entropy session per pair and direction.
    send(ctx, dst, kKindDsm, Payload{std::move(m)}, size_bytes, net::connection_id(kConnDsm, false, 0));
    return;
  }
  const uint64_t handle = next_update_handle_++;
  queued_updates_.emplace(handle, std::move(*u));
  // Refused when msgq's pending queue is full: that peer then learns the
  // value from anti-entropy instead.
  if (msgq_sender_->send(dst, handle, size_bytes) == 0) queued_updates_.erase(handle);
}

void TierNode::send_msgq(node::Context& ctx, net::NodeId dst, proto::msgq::Message m, uint32_t size_bytes) {
  proto::dsm::Update update;
  if (const auto* d = std::get_if<proto::msgq::Data>(&m)) update = queued_updates_.at(d->body_handle);
  // A msgq channel (sender -> receiver, one per sender incarnation) is one
  // connection: Data from the sender, ACKs back on it.
  const bool data = std::holds_alternative<proto::msgq::Data>(m);
  const uint32_t epoch = data ? std::get<proto::msgq::Data>(m).epoch : std::get<proto::msgq::Ack>(m).epoch;
  const uint64_t conn = net::connection_id(kConnMsgq, data, epoch);
  send(ctx, dst, kKindDsm, Payload{DsmQueued{std::move(m), std::move(update)}}, size_bytes, conn);
}

// A msgq message: Data is handed to the DSM once (duplicates are ACKed and
// dropped by the receiver), an Ack frees the bodies it settles.
void TierNode::dsm_queued(node::Context&, net::NodeId from, const DsmQueued& q) {
  if (const auto* d = std::get_if<proto::msgq::Data>(&q.msg)) {
    if (!msgq_receiver_->on_data(from, *d)) return;
    dsm_->on_message(envs_->dsm, from, proto::dsm::Message{q.update});
    // The point belongs to msgq's receiver, but only its owner sees the
    // delivery end. Nothing follows it in this handler, stopped or not.
    (void)proto::reach(self_, proto::Point::kMsgqReceiverAfterDeliver);
    return;
  }
  msgq_sender_->on_ack(from, std::get<proto::msgq::Ack>(q.msg));
  msgq_settled();
}

void TierNode::msgq_settled() {
  msgq_sender_->take_settled(settled_);
  for (uint64_t handle : settled_) queued_updates_.erase(handle);
}

// An RPC message from core: a response (its body is kept while the client
// handles it) or a handshake step.
void TierNode::edge_rpc(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) {
  if (const auto* r = std::get_if<proto::rpc::Response>(&m.rpc)) {
    if (const auto* reply = std::get_if<CoreReply>(&m.body)) reply_in_.emplace(r->call_id, *reply);
    rpc_client_->on_response(from, *r);
  } else if (const auto* a = std::get_if<proto::rpc::ConnAccept>(&m.rpc)) {
    rpc_client_->on_conn_accept(from, *a);
  }
  edge_rpc_done(ctx);
  reply_in_.reset();
}

// Handles the calls that completed. Handling may start new calls (the next
// core); their completions are picked up by the next round of the loop.
void TierNode::edge_rpc_done(node::Context& ctx) {
  if (draining_ || ctx.halted()) return;  // halted: the node crashes with its calls unanswered
  draining_ = true;
  for (rpc_client_->take_completions(completions_); !completions_.empty();
       rpc_client_->take_completions(completions_)) {
    for (const proto::rpc::Completion& c : completions_) {
      auto it = call_req_.find(c.call_id);
      if (it == call_req_.end() || ctx.halted()) continue;  // halted at a point in rpc::Client
      const uint64_t req = it->second;
      call_req_.erase(it);
      if (edge_pending_.count(req) != 0) {
        edge_reply(ctx, req, c);
      } else {
        rehydrate_reply(ctx, req, c);
      }
    }
  }
  draining_ = false;
  edge_connections_report();
}

// Tells the World how the connections to each core changed (for the cores'
// load samples).
void TierNode::edge_connections_report() {
  const auto& cores = world_.nodes(Role::kCore);
  for (size_t i = 0; i < cores.size(); ++i) {
    const auto open = static_cast<uint32_t>(rpc_client_->open_connections(cores[i]));
    if (open == conns_reported_[i]) continue;
    world_.connections_changed(cores[i], int64_t{open} - int64_t{conns_reported_[i]});
    conns_reported_[i] = open;
  }
}

// An RPC-level failure (the core did not answer, was unreachable, or
// refused): worth trying the next core, if the retry budget allows. An
// application error is the answer. An attempt whose request never went out
// (the core unreachable, the call shed or timed out before it was sent) put
// no work on that core, so moving on from it is free.
bool TierNode::may_try_next_core(const proto::rpc::Completion& c, uint32_t attempts) {
  if (c.ok || c.code >= static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst)) return false;
  if (attempts >= world_.params().core_attempts_max) return false;
  return !c.request_sent || rpc_client_->spend_retry();
}

void TierNode::edge_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c) {
  auto it = edge_pending_.find(edge_req);
  if (it->second.call_id != c.call_id) return;  // a superseded call
  if (may_try_next_core(c, it->second.attempts)) {
    edge_send_to_core(ctx, edge_req);
    return;
  }
  const ClientRequest& q = it->second.request;
  const bool ok = c.ok && reply_in_ && reply_in_->first == c.call_id;
  if (ok) {
    const CoreReply& r = reply_in_->second;
    const Version v{r.version.counter, r.version.writer};
    if (q.kind == workload::RequestKind::kWrite) {
      world_.staleness().on_ack(q.key, v, ctx.now());
      world_.write_acked(q.key, r.version);
    } else {
      world_.read_answered(self_, q.key, v, ctx.now());
    }
    if (r.found || q.kind == workload::RequestKind::kWrite) cache_->put(q.key, r.value, v, ctx.now());
  }
  world_.client_done(q, ok ? Outcome::kOk : Outcome::kFailed, ServedBy::kCore, ctx.now());
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
  edge_rpc_done(ctx);  // may finish fetches and come back here
  if (rehydrating_ && rehydrate_pending_.empty() && rehydrate_next_ == rehydrate_keys_.size()) {
    rehydrating_ = false;
    world_.rehydration_done(self_, ctx.now(), rehydrate_fetched_, rehydrate_given_up_);
    rehydrate_keys_ = {};
  }
}

void TierNode::rehydrate_send(node::Context&, uint64_t req) {
  RehydrateFetch& f = rehydrate_pending_.at(req);
  const auto& cores = world_.nodes(Role::kCore);
  f.core_index = f.attempts == 0 ? next_core_++ % static_cast<uint32_t>(cores.size())
                                 : (f.core_index + 1) % static_cast<uint32_t>(cores.size());
  ++f.attempts;
  const TierParams& tp = world_.params();
  proto::rpc::CallOptions options;
  options.timeout = tp.core_timeout;
  options.retries_max = tp.core_retries_max;
  f.call_id = rpc_client_->call(cores[f.core_index], proto::rpc::Method::kRehydrate, req,
                                body_size_bytes(CoreRead{f.key}), options);
  call_req_[f.call_id] = req;
}

void TierNode::rehydrate_reply(node::Context& ctx, uint64_t req, const proto::rpc::Completion& c) {
  auto it = rehydrate_pending_.find(req);
  if (it == rehydrate_pending_.end() || it->second.call_id != c.call_id) return;
  const bool ok = c.ok && reply_in_ && reply_in_->first == c.call_id;
  if (!ok) {
    const bool free = !c.request_sent;
    if (it->second.attempts < world_.params().core_attempts_max && (free || rpc_client_->spend_retry())) {
      rehydrate_send(ctx, req);
      return;
    }
    ++rehydrate_given_up_;
  } else {
    ++rehydrate_fetched_;
    const CoreReply& r = reply_in_->second;
    if (r.found) cache_->put(it->second.key, r.value, Version{r.version.counter, r.version.writer}, ctx.now());
  }
  rehydrate_pending_.erase(it);
  rehydrate_pump(ctx);
}

// --- core --------------------------------------------------------------------

// Reads are quorum reads. A write first reads the current version, then
// writes counter + 1 under this core's id: two cores racing on a key write
// the same counter and the larger writer id wins everywhere. The RPC server
// hands out each call once; retries of it are answered from its cache.
void TierNode::core_request(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) {
  if (const auto* o = std::get_if<proto::rpc::ConnOpen>(&m.rpc)) {
    rpc_server_->on_conn_open(from, *o);
    return;
  }
  const auto* q = std::get_if<proto::rpc::Request>(&m.rpc);
  if (q == nullptr) return;
  const std::optional<proto::rpc::Incoming> in = rpc_server_->on_request(from, *q);
  if (!in) return;
  const CoreOp op{from, in->call_id, std::holds_alternative<CoreWrite>(m.body), 0};
  std::optional<uint64_t> id;
  if (const auto* r = std::get_if<CoreRead>(&m.body)) {
    id = reader_->read(envs_->storage, r->key);
    if (id) reads_[*id] = op;
  } else if (const auto* w = std::get_if<CoreWrite>(&m.body)) {
    id = reader_->read(envs_->storage, w->key);
    if (id) reads_[*id] = CoreOp{from, in->call_id, true, w->value};
  } else {
    rpc_server_->respond(from, in->call_id, kCodeBadRequest, 0, 0);
    return;
  }
  if (!id) core_respond(op, false, {});
  core_completions(ctx);
}

void TierNode::core_respond(const CoreOp& op, bool ok, const CoreReply& reply) {
  if (!ok) {
    rpc_server_->respond(op.edge, op.call_id, kCodeStorageUnavailable, 0, 0);
    return;
  }
  const uint64_t handle = next_reply_++;
  replies_[handle % replies_.size()] = ReplySlot{handle, reply};
  rpc_server_->respond(op.edge, op.call_id, 0, handle, body_size_bytes(reply));
}

// Stops as soon as the node halts at a protocol point (in rpc::Server).
void TierNode::core_completions(node::Context& ctx) {
  std::vector<proto::storage::ReadCompletion> reads;
  reader_->take_completions(reads);
  for (const auto& c : reads) {
    if (ctx.halted()) return;
    world_.storage_op_done(self_, c.latency, c.ok);
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
    core_respond(op, c.ok && !op.write, CoreReply{c.found, c.value, c.version});
  }
  std::vector<proto::storage::WriteCompletion> writes;
  writer_->take_completions(writes);
  for (const auto& c : writes) {
    if (ctx.halted()) return;
    world_.storage_op_done(self_, c.latency, c.ok);
    auto it = writes_.find(c.req_id);
    if (it == writes_.end()) continue;
    const CoreOp op = it->second;
    writes_.erase(it);
    core_respond(op, c.ok, CoreReply{true, op.value, c.version});
  }
}

void send_forged_write(node::Cluster& cluster, net::NodeId edge, net::NodeId cloud,
                       const proto::storage::WriteReq& req) {
  ECSIM_ASSERT(cluster.is_up(edge));
  auto* node = dynamic_cast<TierNode*>(cluster.actor(edge));
  ECSIM_ASSERT(node != nullptr);
  const proto::storage::Message m{req};
  node->send(cluster.context(edge), cloud, kKindStorage, Payload{m}, proto::storage::wire_size_bytes(m),
             storage_connection(m));
}

const TierNode* tier_node(const node::Cluster& cluster, net::NodeId n) {
  if (!cluster.is_up(n)) return nullptr;
  const auto* node = dynamic_cast<const TierNode*>(cluster.actor(n));
  ECSIM_ASSERT(node != nullptr);  // every node of a three-tier run is a TierNode
  return node;
}

}  // namespace ecsim::tiers
