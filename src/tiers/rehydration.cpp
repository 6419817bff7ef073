// The edge node's hot keys and rehydration (edge_node.hpp says why it works
// this way): at start an edge persists a boot entry and, after a restart,
// refetches the keys of its last hot-key snapshot from core; while running it
// snapshots its hottest keys to disk periodically.

#include "edge_node.hpp"
#include "tier_node_impl.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace ecsim::tiers {

namespace {
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
  for (size_t i = disk.length(); i-- > disk.first();) {
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

}  // namespace

void EdgeNode::edge_start(node::Context& ctx) {
  const TierParams& p = world_.params();
  const size_t k = std::min<size_t>(p.rehydrate_keys, (node::Disk::kEntryBytesMax - kHotPrefix.size()) / 8);
  hot_ = std::make_unique<HotKeys>(std::max<size_t>(4 * k, 1));
  node::Disk& disk = ctx.disk();
  // The log holds boot entries and, after one, snapshots; a crash keeps a
  // prefix and a truncation drops only entries before a durable snapshot,
  // so any entry ever kept means a boot before this one.
  const bool restarted = disk.length() > 0;
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

void EdgeNode::edge_snapshot(node::Context& ctx) {
  const TierParams& p = world_.params();
  const size_t k = std::min<size_t>(p.rehydrate_keys, (node::Disk::kEntryBytesMax - kHotPrefix.size()) / 8);
  std::vector<uint64_t> top = hot_->top(k);
  if (!top.empty() && top != last_snapshot_) {
    node::Disk& disk = ctx.disk();
    // Only the last snapshot is ever read: once one is durable, what lies
    // before it is dead weight (the disk's checkpoint, node/disk.hpp).
    if (snapshot_at_ > disk.first() && snapshot_at_ < disk.durable_length()) disk.truncate_front(snapshot_at_);
    snapshot_at_ = disk.length();
    disk.append(encode_hot(top));
    ctx.sync(0);
    last_snapshot_ = std::move(top);
  }
  if (++snapshots_ % kSnapshotsPerDecay == 0) hot_->decay();
  set_timer(ctx, kRouteEdge, p.hot_snapshot_period, kEdgeSnapshot << kEdgeTagShift);
}

void EdgeNode::rehydrate_pump(node::Context& ctx) {
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

void EdgeNode::rehydrate_send(node::Context&, uint64_t req) {
  RehydrateFetch& f = rehydrate_pending_.at(req);
  const auto& cores = home_cores_;
  f.core_index = f.attempts == 0 ? next_core_++ % static_cast<uint32_t>(cores.size())
                                 : (f.core_index + 1) % static_cast<uint32_t>(cores.size());
  ++f.attempts;
  const proto::rpc::CallOptions options = core_call_options(world_.params());
  f.call_id = rpc_client_->call(cores[f.core_index], proto::rpc::Method::kRehydrate, req,
                                body_size_bytes(CoreRead{f.key}), options);
  call_req_[f.call_id] = req;
}

void EdgeNode::rehydrate_reply(node::Context& ctx, uint64_t req, const proto::rpc::Completion& c) {
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

}  // namespace ecsim::tiers
