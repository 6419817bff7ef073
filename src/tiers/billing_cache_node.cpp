// The edge billing cache as the tiers run it (docs/twopc.md, "Edge billing
// cache"; the cache itself is tiers/billing_cache.hpp): an edge answers a
// balance or number-owner read from its cache while it is in sync with
// every core, and fills the cache from core's answers; a core sends every
// edge an invalidation over msgq once a COMMIT's decision is durable, and
// puts its sync point on every billing answer.

#include "core_node.hpp"
#include "edge_node.hpp"
#include "tier_node_impl.hpp"

#include "ecsim/tiers/billing.hpp"

namespace ecsim::tiers {

namespace twopc = proto::twopc;
using workload::BillingKind;

namespace {
// The cache key of a read, and the kind its trace records carry.
uint64_t read_key(const workload::BillingOp& op) {
  return op.kind == BillingKind::kBalance ? twopc::account_key(op.from) : twopc::number_key(op.number);
}
uint32_t read_kind(const workload::BillingOp& op) { return op.kind == BillingKind::kBalance ? 1 : 2; }
uint64_t read_subject(const workload::BillingOp& op) {
  return op.kind == BillingKind::kBalance ? op.from : op.number;
}
}  // namespace

// ----------------------------------------------------------------- edge

void EdgeNode::billing_cache_start() {
  const BillingCacheConfig& c = billing_->cache();
  ECSIM_ASSERT(c.on());
  billing_cache_ = std::make_unique<BillingCache>(c.entries_max, c.staleness_max.ns, world_.nodes(Role::kCore));
}

// A read held in the cache while in sync: answered now (traced as served
// from the cache, then as any read answered). Otherwise it goes to core and
// its answer may fill the cache.
bool EdgeNode::billing_cache_serve(node::Context& ctx, uint64_t edge_req) {
  auto it = billing_pending_.find(edge_req);
  ECSIM_ASSERT(it != billing_pending_.end());
  const BillingRequest& r = it->second.request;
  if (workload::is_billing_write(r.op.kind)) return false;
  const proto::msgq::Receiver* receiver = msgq_receiver();
  ECSIM_ASSERT(receiver != nullptr);
  const BillingCache::Delivered delivered = [receiver](net::NodeId core, uint32_t epoch, uint64_t seq) {
    return receiver->epoch(core) == epoch && receiver->watermark(core) >= seq;
  };
  const uint64_t key = read_key(r.op);
  const std::optional<uint64_t> value = billing_cache_->lookup(key, ctx.now().ns, delivered);
  if (!value) {
    billing_cache_->read_started(edge_req, key);
    return false;
  }
  ctx.trace().record(sim::Record{ctx.now().ns, kRecordBillingCache, static_cast<uint16_t>(CacheEvent::kServed),
                                 self_, 0, read_kind(r.op), read_subject(r.op), *value});
  billing_->read_done(r, true, *value, ctx.now());
  billing_pending_.erase(it);
  return true;
}

// Every billing answer from `core` (`reply` null: none came) brings its
// sync point, and a read's answer may fill the cache.
void EdgeNode::billing_cache_answer(node::Context& ctx, uint64_t edge_req, net::NodeId core,
                                    const BillingReply* reply) {
  const workload::BillingOp& op = billing_pending_.at(edge_req).request.op;
  if (reply != nullptr && reply->synced) {
    const size_t flushed = billing_cache_->sync(core, reply->sync);
    if (flushed > 0) {
      ctx.trace().record(sim::Record{ctx.now().ns, kRecordBillingCache, static_cast<uint16_t>(CacheEvent::kFlushed),
                                     self_, core, 0, flushed, 0});
    }
  }
  if (workload::is_billing_write(op.kind)) return;
  if (reply == nullptr || !reply->found) {
    billing_cache_->read_dropped(edge_req);
    return;
  }
  const bool filled = billing_cache_->read_answered(edge_req, reply->value, reply->cacheable);
  const CacheEvent e = filled ? CacheEvent::kFilled : CacheEvent::kFillRefused;
  ctx.trace().record(sim::Record{ctx.now().ns, kRecordBillingCache, static_cast<uint16_t>(e), self_, core,
                                 read_kind(op), read_subject(op), reply->value});
}

void EdgeNode::on_billing_inval(node::Context& ctx, net::NodeId from, const BillingInval& inval) {
  if (!billing_cache_) return;  // not a billing run with the cache on
  for (size_t i = 0; i < inval.keys.count; ++i) {
    const uint64_t key = inval.keys.keys[i];
    const bool dropped = billing_cache_->invalidate(key);
    ctx.trace().record(sim::Record{ctx.now().ns, kRecordBillingInval, 2, self_, from, dropped ? 1u : 0u, inval.txn,
                                   key});
  }
}

// ----------------------------------------------------------------- core

// Each COMMIT whose decision became durable: an invalidation of the keys it
// changed to every edge node (the one that took it too: its COMMIT rides
// the 2PC channel, which the sync points do not cover).
void CoreNode::core_send_invals(node::Context& ctx) {
  coordinator_->take_commits(commits_);
  for (const auto& [txn, op] : commits_) {
    const BillingInval inval{txn, twopc::keys_of(op)};
    for (const net::NodeId edge : world_.nodes(Role::kEdge)) {
      if (ctx.halted()) return;
      InvalTo& to = inval_to_[edge];
      const uint64_t seq = send_billing_inval(edge, inval);
      if (seq == 0) {
        ++to.refused;
        ctx.trace().record(sim::Record{ctx.now().ns, kRecordBillingInval, 3, self_, edge, 0, txn, 0});
        continue;
      }
      ECSIM_ASSERT(seq > to.seq);
      to.seq = seq;
      ctx.trace().record(sim::Record{ctx.now().ns, kRecordBillingInval, 1, self_, edge, 0, txn, seq});
    }
  }
}

void CoreNode::core_attach_sync(node::Context& ctx, net::NodeId edge, BillingReply& reply) const {
  const auto it = inval_to_.find(edge);
  reply.synced = true;
  reply.sync.epoch = ctx.incarnation();  // msgq's epoch (TierParams::msgq_sender)
  reply.sync.inval_seq = it == inval_to_.end() ? 0 : it->second.seq;
  reply.sync.refused = it == inval_to_.end() ? 0 : it->second.refused;
  reply.sync.at_ns = ctx.now().ns;
}

}  // namespace ecsim::tiers
