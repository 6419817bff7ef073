// The core role of TierNode: the RPC server for the edges, quorum reads and
// writes against the cloud replicas, and the reply ring for response bodies.

#include "tier_node_impl.hpp"

#include <optional>
#include <vector>

namespace ecsim::tiers {

namespace {
// Core answers with this when a request's body is not a read or a write.
constexpr uint16_t kCodeBadRequest = static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst) + 2;
}  // namespace

void TierNode::core_on_start(node::Context& ctx) {
  proto::storage::ClientConfig client;
  client.replicas = world_.nodes(Role::kCloud);
  client.timeout = world_.params().storage_timeout;
  client.retries_max = world_.params().storage_retries_max;
  client.incarnation = static_cast<uint32_t>(ctx.disk().length());
  ctx.disk().append("boot");  // the incarnation counter survives restarts
  reader_ = std::make_unique<proto::storage::QuorumReader>(client);
  writer_ = std::make_unique<proto::storage::QuorumWriter>(client);
  rpc_server_ = std::make_unique<proto::rpc::Server>(envs_->rpc, proto::rpc::ServerConfig{});
  replies_.assign(proto::rpc::ServerConfig{}.cache_max, ReplySlot{});
}

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

}  // namespace ecsim::tiers
