// The node shell shared by the three roles (TierNode): start (the role's own
// start is in edge_node.cpp, core_node.cpp, cloud_node.cpp), sending and
// receiving (payload pool, vector clock, connection ids), dispatch, timers
// and their routes, msgq/DSM plumbing, and the cluster-level helpers.

#include "ecsim/tiers/tier_node.hpp"

#include "cloud_node.hpp"
#include "core_node.hpp"
#include "edge_node.hpp"
#include "tier_node_impl.hpp"

#include "ecsim/net/connection.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/tiers/dsm_groups.hpp"

#include <optional>
#include <utility>
#include <vector>

namespace ecsim::tiers {

namespace {
uint64_t storage_connection(const proto::storage::Message& m);
}  // namespace

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
                        },
                        // {"txn":T,"op":K,"from":F,"to":T,"amount":A,"number":N}
                        [](const BillingCall& c) -> uint32_t {
                          return 46 + decimal_digits(c.client_txn) + decimal_digits(c.kind) + decimal_digits(c.from) +
                                 decimal_digits(c.to) + decimal_digits(c.amount) + decimal_digits(c.number);
                        },
                        // {"outcome":O,"reason":R,"found":true,"value":V}
                        // with a sync point: ,"sync":[E,S,R,T],"cacheable":true
                        [](const BillingReply& r) -> uint32_t {
                          const uint32_t sync = !r.synced ? 0
                                                          : 30 + decimal_digits(r.sync.epoch) +
                                                                decimal_digits(r.sync.inval_seq) +
                                                                decimal_digits(r.sync.refused) +
                                                                decimal_digits(static_cast<uint64_t>(r.sync.at_ns));
                          return (r.found ? 40 : 41) + decimal_digits(r.outcome) + decimal_digits(r.reason) +
                                 decimal_digits(r.value) + sync;
                        }},
                    b);
}

TierNode::TierNode(World& world, net::NodeId self, Billing* billing)
    : world_(world), self_(self), role_(world.role(self)), billing_(billing), clock_(self) {}

TierNode::~TierNode() {
  // A crash (or the end of the run) takes the node's counters with it: they
  // move to the World (the roles' own counters in their destructors).
  world_.add_msgq(msgq_sender_ ? msgq_sender_->counters() : proto::msgq::SenderCounters{},
                  msgq_receiver_ ? msgq_receiver_->counters() : proto::msgq::ReceiverCounters{});
}

void TierNode::on_start(node::Context& ctx) {
  envs_ = std::make_unique<Envs>(*this, ctx);
  // DSM peers: the other nodes of its group (tiers/dsm_groups.hpp).
  std::vector<net::NodeId> peers;
  const auto nodes = static_cast<uint32_t>(ctx.node_count());
  const uint32_t group = dsm_group_of(self_, nodes);
  for (net::NodeId n = 0; n < nodes; ++n) {
    if (n != self_ && dsm_group_of(n, nodes) == group) peers.push_back(n);
  }
  msgq_sender_ = std::make_unique<proto::msgq::Sender>(envs_->msgq, world_.params().msgq_sender(ctx.incarnation()));
  msgq_receiver_ = std::make_unique<proto::msgq::Receiver>(envs_->msgq, proto::msgq::ReceiverConfig{});
  dsm_ = std::make_unique<proto::dsm::Replica>(self_, proto::dsm::Config{peers, world_.params().dsm_anti_entropy});
  dsm_->start(envs_->dsm);
  start_role(ctx);
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
  // The viewer's observer reads the body before it goes into the pool; it
  // changes nothing (no draw, no record, no allocation of the run's).
  if (SendObserver* o = world_.send_observer()) [[unlikely]] {
    o->on_send(self_, dst, kind, ctx.next_message_id(), payload);
  }
  if (!world_.params().vector_clocks) {  // switched off: the body travels alone
    const std::optional<uint64_t> stored = world_.pool().put(Carried{std::move(payload), {}}, self_);
    ECSIM_ASSERT(stored.has_value());  // full() was checked above
    ctx.send(dst, kind, size_bytes, *stored, conn);
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
  if (world_.params().vector_clocks) {
    clock_.on_receive(c.clock);
    ctx.trace().record(sim::Record{ctx.now().ns, proto::vclock::kRecordClockRecv, 0, self_, m.src, m.kind, m.id,
                                   proto::vclock::hash(clock_.clock())});
    world_.recycle_clock(std::move(c.clock));
  }
  dispatch(ctx, m.src, c.payload);
}

void TierNode::dispatch(node::Context& ctx, net::NodeId from, const Payload& p) {
  std::visit(proto::Overloaded{
                 [&](const EdgeCoreMessage& m) { on_rpc_message(ctx, from, m); },
                 [&](const proto::storage::Message& m) { on_storage_message(ctx, from, m); },
                 [&](const proto::dsm::Message& m) { dsm_->on_message(envs_->dsm, from, m); },
                 [&](const DsmQueued& q) { dsm_queued(ctx, from, q); },
                 [&](const proto::twopc::Message& m) { on_twopc_message(ctx, from, m); },
                 [&](const BillingRead& m) { on_billing_read(ctx, from, m); },
             },
             p);
}

// A protocol's timer id is its route's id in routes_; the Context's timer is
// tagged with the route's slot index (the tag the timer record carries).
proto::TimerId TierNode::set_timer(node::Context& ctx, uint8_t route, sim::Duration after, uint64_t tag) {
  if (routes_.full()) [[unlikely]] {
    // As many routes as the cluster allows armed timers per node: the
    // Context refuses this one too (and counts and traces the refusal).
    const node::TimerId refused = ctx.set_timer(after, 0);
    ECSIM_ASSERT(refused == node::kTimerRefused);
    return refused;
  }
  const proto::TimerId id = routes_.acquire(Route{route, tag, 0});
  const node::TimerId timer = ctx.set_timer(after, static_cast<uint32_t>(id));
  if (timer == node::kTimerRefused) [[unlikely]] {
    // The node's timer table is full (counted and traced by the cluster): the
    // timer never fires, so it keeps no route; the caller's later cancel of
    // this id finds none and returns false.
    routes_.release(id);
    return node::kTimerRefused;
  }
  routes_.at(id).timer = timer;
  return id;
}

bool TierNode::cancel_timer(node::Context& ctx, proto::TimerId id) {
  const Route* r = routes_.find(id);
  if (r == nullptr || !ctx.cancel_timer(r->timer)) return false;
  routes_.release(id);
  return true;
}

void TierNode::on_timer(node::Context& ctx, uint64_t tag) {
  const std::optional<Route> taken = routes_.take(routes_.live_id(static_cast<uint32_t>(tag)));
  ECSIM_ASSERT(taken.has_value());
  const Route r = *taken;
  switch (r.route) {
    case kRouteDsm:
      dsm_->on_timer(envs_->dsm, r.tag);
      return;
    case kRouteMsgq:
      msgq_sender_->on_timer(r.tag);
      msgq_settled();
      return;
    default:
      on_role_timer(ctx, r.route, r.tag);
      return;
  }
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
  auto* u = std::get_if<proto::dsm::Update>(&m);  // moved from below: m is this call's own
  if (u == nullptr) {
    // Digests and repairs: one anti-entropy session per pair and direction.
    send(ctx, dst, kKindDsm, Payload{std::move(m)}, size_bytes, net::connection_id(kConnDsm, false, 0));
    return;
  }
  const uint64_t handle = next_update_handle_++;
  queued_updates_.try_emplace(handle, std::move(*u));
  // Refused when msgq's pending queue is full: that peer then learns the
  // value from anti-entropy instead.
  if (msgq_sender_->send(dst, handle, size_bytes) == 0) queued_updates_.erase(handle);
}

// 2PC messages between a coordinator and a participant share one
// connection per pair and direction (FIFO: a decision never overtakes its
// PREPARE on the way).
void TierNode::send_twopc(node::Context& ctx, net::NodeId dst, proto::twopc::Message m, uint32_t size_bytes) {
  send(ctx, dst, kKindTwopc, Payload{std::move(m)}, size_bytes, net::connection_id(kConnTwopc, false, 0));
}

// A billing read and its answer are the only messages on their connection.
void TierNode::send_billing_read(node::Context& ctx, net::NodeId dst, BillingRead m) {
  const bool request = std::holds_alternative<BillingReadReq>(m);
  const uint64_t req = request ? std::get<BillingReadReq>(m).req : std::get<BillingReadResp>(m).req;
  // {"jsonrpc":"2.0","method":"billing.read","params":{"kind":K,"key":K},"id":R} and its answer
  const uint32_t size = request ? 80 + proto::decimal_digits(std::get<BillingReadReq>(m).key)
                                : 60 + proto::decimal_digits(std::get<BillingReadResp>(m).value);
  if (ctx.halted()) return;
  send(ctx, dst, kKindBillingRead, Payload{std::move(m)}, size + proto::decimal_digits(req),
       net::connection_id(kConnBillingRead, request, req));
}

uint64_t TierNode::send_billing_inval(net::NodeId dst, const BillingInval& inval) {
  ECSIM_ASSERT(inval.keys.count > 0);
  const uint64_t handle = next_update_handle_++;
  queued_invals_.emplace(handle, inval);
  // {"jsonrpc":"2.0","method":"billing.invalidate","params":{"txn":T,"keys":[K,K]}}
  uint32_t size = 70 + proto::decimal_digits(inval.txn);
  for (size_t i = 0; i < inval.keys.count; ++i) size += 1 + proto::decimal_digits(inval.keys.keys[i]);
  const uint64_t seq = msgq_sender_->send(dst, handle, size);
  if (seq == 0) queued_invals_.erase(handle);
  return seq;
}

void TierNode::send_msgq(node::Context& ctx, net::NodeId dst, proto::msgq::Message m, uint32_t size_bytes) {
  proto::dsm::Update update;
  std::optional<BillingInval> inval;
  if (const auto* d = std::get_if<proto::msgq::Data>(&m)) {
    if (const auto it = queued_invals_.find(d->body_handle); it != queued_invals_.end()) {
      inval = it->second;
    } else {
      update = queued_updates_.at(d->body_handle);
    }
  }
  // A msgq channel (sender -> receiver, one per sender incarnation) is one
  // connection: Data from the sender, ACKs back on it.
  const bool data = std::holds_alternative<proto::msgq::Data>(m);
  const uint32_t epoch = data ? std::get<proto::msgq::Data>(m).epoch : std::get<proto::msgq::Ack>(m).epoch;
  const uint64_t conn = net::connection_id(kConnMsgq, data, epoch);
  send(ctx, dst, kKindDsm, Payload{DsmQueued{std::move(m), std::move(update), inval}}, size_bytes, conn);
}

// A msgq message: Data is handed to the DSM once (duplicates are ACKed and
// dropped by the receiver), an Ack frees the bodies it settles.
void TierNode::dsm_queued(node::Context& ctx, net::NodeId from, const DsmQueued& q) {
  if (const auto* d = std::get_if<proto::msgq::Data>(&q.msg)) {
    if (!msgq_receiver_->on_data(from, *d)) return;
    if (q.inval) {
      on_billing_inval(ctx, from, *q.inval);
    } else {
      dsm_->on_message(envs_->dsm, from, q.update);
    }
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
  for (uint64_t handle : settled_) {
    if (!queued_updates_.erase(handle)) queued_invals_.erase(handle);
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

std::unique_ptr<node::Actor> make_tier_node(World& world, net::NodeId self, Billing* billing) {
  switch (world.role(self)) {
    case Role::kEdge: return std::make_unique<EdgeNode>(world, self, billing);
    case Role::kCore: return std::make_unique<CoreNode>(world, self, billing);
    case Role::kCloud: return std::make_unique<CloudNode>(world, self, billing);
  }
  ECSIM_ASSERT(false);
  return nullptr;
}

const TierNode* tier_node(const node::Cluster& cluster, net::NodeId n) {
  if (!cluster.is_up(n)) return nullptr;
  const auto* node = dynamic_cast<const TierNode*>(cluster.actor(n));
  ECSIM_ASSERT(node != nullptr);  // every node of a three-tier run is a TierNode
  return node;
}

}  // namespace ecsim::tiers
