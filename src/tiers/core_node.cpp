// The core node (core_node.hpp): its start and what it hands to the shell
// (its timers, messages, RPC bodies, syncs), the RPC server for the edges,
// quorum reads and writes against the cloud replicas, and the reply ring for
// response bodies. Billing operations are in billing_node.cpp.

#include "core_node.hpp"

#include "tier_node_impl.hpp"

#include <optional>
#include <vector>

namespace ecsim::tiers {

namespace {
// Core answers with this when a request's body is not a read or a write.
constexpr uint16_t kCodeBadRequest = static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst) + 2;
}  // namespace

CoreNode::CoreNode(World& world, net::NodeId self, Billing* billing) : TierNode(world, self, billing) {}

CoreNode::~CoreNode() {
  // A crash (or the end of the run) takes the node's counters with it: they
  // move to the World.
  world_.add_rpc(proto::rpc::ClientCounters{}, rpc_server_ ? rpc_server_->counters() : proto::rpc::ServerCounters{});
}

uint32_t CoreNode::open_connections() const { return world_.connections_to(self_); }

void CoreNode::start_role(node::Context& ctx) {
  proto::storage::ClientConfig client;
  client.replicas = world_.nodes(Role::kCloud);
  client.timeout = world_.params().storage_timeout;
  client.retries_max = world_.params().storage_retries_max;
  client.incarnation = static_cast<uint32_t>(ctx.disk().length());
  ctx.disk().append("boot");  // the incarnation counter survives restarts
  reader_ = std::make_unique<proto::storage::QuorumReader>(client);
  writer_ = std::make_unique<proto::storage::QuorumWriter>(client);
  proto::rpc::ServerConfig server;
  server.cache_keep = proto::rpc::call_horizon(core_call_options(world_.params()));
  rpc_server_ = std::make_unique<proto::rpc::Server>(envs_->rpc, server);
  if (billing_ != nullptr) billing_on_start(ctx);
}

void CoreNode::on_role_timer(node::Context& ctx, uint8_t route, uint64_t tag) {
  switch (route) {
    case kRouteStorage:
      if (proto::storage::is_writer_tag(tag)) {
        writer_->on_timer(envs_->storage, tag);
      } else {
        reader_->on_timer(envs_->storage, tag);
      }
      core_completions(ctx);
      return;
    case kRouteTwopc:
      ECSIM_ASSERT(coordinator_ != nullptr);  // the only setter of these timers here
      coordinator_->on_timer(envs_->twopc, envs_->log, tag);
      core_txn_completions(ctx);
      return;
    case kRouteBilling:
      core_billing_read_timeout(ctx, tag);
      return;
  }
  ECSIM_ASSERT(false);
}

// Syncs of the log disk go to the node's 2PC coordinator; the core's "boot"
// entries are never synced.
void CoreNode::on_sync(node::Context& ctx, uint64_t tag) {
  if ((tag & kLogSyncBit) == 0) return;
  ECSIM_ASSERT(coordinator_ != nullptr);  // only it syncs the log disk
  coordinator_->on_sync_done(envs_->twopc, envs_->log, tag & ~kLogSyncBit);
  core_txn_completions(ctx);
}

// The answers of the cloud replicas to the core's quorum reads and writes.
void CoreNode::on_storage_message(node::Context& ctx, net::NodeId from, const proto::storage::Message& m) {
  if (const auto* a = std::get_if<proto::storage::WriteAck>(&m)) writer_->on_ack(envs_->storage, from, *a);
  if (const auto* r = std::get_if<proto::storage::ReadResp>(&m)) reader_->on_resp(envs_->storage, from, *r);
  core_completions(ctx);
}

void CoreNode::on_twopc_message(node::Context& ctx, net::NodeId from, const proto::twopc::Message& m) {
  if (coordinator_ == nullptr) return;  // without billing no node sends these
  coordinator_->on_message(envs_->twopc, envs_->log, from, m);
  core_txn_completions(ctx);
}

// The body of an outgoing RPC response: from the reply ring, while its slot
// still holds it.
CoreBody CoreNode::rpc_body(const proto::rpc::Message& m) const {
  if (const auto* r = std::get_if<proto::rpc::Response>(&m); r != nullptr && r->body_handle != 0) {
    const size_t i = reply_index(r->body_handle);
    if (i < replies_.size() && replies_[i].handle == r->body_handle) return replies_[i].reply;
  }
  return std::monostate{};
}

// Reads are quorum reads. A write first reads the current version, then
// writes counter + 1 under this core's id: two cores racing on a key write
// the same counter and the larger writer id wins everywhere. The RPC server
// hands out each call once; retries of it are answered from its cache.
void CoreNode::on_rpc_message(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) {
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
  } else if (const auto* b = std::get_if<BillingCall>(&m.body); b != nullptr && billing_ != nullptr) {
    core_billing(ctx, from, in->call_id, *b);
    return;
  } else {
    rpc_server_->respond(from, in->call_id, kCodeBadRequest, 0, 0);
    return;
  }
  if (!id) core_respond(op, false, {});
  core_completions(ctx);
}

void CoreNode::core_respond(const CoreOp& op, bool ok, const CoreReply& reply) {
  if (!ok) {
    rpc_server_->respond(op.edge, op.call_id, kCodeStorageUnavailable, 0, 0);
    return;
  }
  rpc_server_->respond(op.edge, op.call_id, 0, keep_reply(reply), body_size_bytes(reply));
}

uint64_t CoreNode::keep_reply(CoreBody body) {
  static_assert((kRepliesMin & (kRepliesMin - 1)) == 0);
  const uint64_t handle = next_reply_++;
  // (Never past the cache's max: at it, the answer about to be cached
  // evicts the oldest, whose slot this one takes.)
  if (rpc_server_->cached() + 1 > replies_cap_ && replies_cap_ < rpc_server_->config().cache_max) {
    // The answer about to be cached would push one the cache still holds
    // out of the ring: double it, each kept reply moved to its new slot (the
    // ring's last lap of handles lands on distinct slots).
    std::vector<ReplySlot> grown(2 * replies_cap_);
    replies_cap_ *= 2;
    for (ReplySlot& s : replies_) {
      if (s.handle != 0) grown[reply_index(s.handle)] = std::move(s);
    }
    replies_ = std::move(grown);
    replies_bytes_.set_bytes(static_cast<int64_t>(replies_.capacity() * sizeof(ReplySlot)));
  }
  ECSIM_ASSERT(replies_cap_ <= 2 * rpc_server_->config().cache_max);
  const size_t i = reply_index(handle);
  if (i >= replies_.size()) {
    replies_.resize(i + 1);  // the first lap: a node that answers little stays small
    replies_bytes_.set_bytes(static_cast<int64_t>(replies_.capacity() * sizeof(ReplySlot)));
  }
  replies_[i] = ReplySlot{handle, std::move(body)};
  return handle;
}

// Stops as soon as the node halts at a protocol point (in rpc::Server).
void CoreNode::core_completions(node::Context& ctx) {
  reader_->take_completions(reads_done_);
  for (const auto& c : reads_done_) {
    if (ctx.halted()) return;
    world_.storage_op_done(self_, c.latency, c.ok);
    const CoreOp* waiting = reads_.find(c.req_id);
    if (waiting == nullptr) continue;
    const CoreOp op = *waiting;
    reads_.erase(c.req_id);
    if (op.write && c.ok) {
      const proto::storage::Version v{c.version.counter + 1, self_};
      if (auto id = writer_->write(envs_->storage, c.key, op.value, v)) {
        writes_[*id] = op;
        continue;
      }
    }
    core_respond(op, c.ok && !op.write, CoreReply{c.found, c.value, c.version});
  }
  writer_->take_completions(writes_done_);
  for (const auto& c : writes_done_) {
    if (ctx.halted()) return;
    world_.storage_op_done(self_, c.latency, c.ok);
    const CoreOp* waiting = writes_.find(c.req_id);
    if (waiting == nullptr) continue;
    const CoreOp op = *waiting;
    writes_.erase(c.req_id);
    core_respond(op, c.ok, CoreReply{true, op.value, c.version});
  }
}

const CoreNode* core_node(const node::Cluster& cluster, net::NodeId n) {
  const TierNode* node = tier_node(cluster, n);
  if (node == nullptr) return nullptr;
  ECSIM_ASSERT(node->role() == Role::kCore);
  return static_cast<const CoreNode*>(node);
}

}  // namespace ecsim::tiers
