// The edge node (edge_node.hpp): its start and what it hands to the shell
// (its timers, RPC bodies, syncs), client requests (load model, token check,
// cache), the RPC calls to core and their answers, core suspicion. Hot keys
// and rehydration after a restart are in rehydration.cpp, billing operations
// in billing_node.cpp.

#include "edge_node.hpp"

#include "tier_node_impl.hpp"

#include "ecsim/proto/auth.hpp"

#include <algorithm>
#include <utility>

namespace ecsim::tiers {

EdgeNode::EdgeNode(World& world, net::NodeId self, Billing* billing) : TierNode(world, self, billing) {}

EdgeNode::~EdgeNode() {
  // A crash (or the end of the run) takes the node's counters and
  // connections with it: they move to the World.
  world_.add_rpc(rpc_client_ ? rpc_client_->counters() : proto::rpc::ClientCounters{}, proto::rpc::ServerCounters{});
  for (size_t i = 0; i < conns_reported_.size(); ++i) {
    world_.connections_changed(home_cores_[i], -int64_t{conns_reported_[i]});
  }
}

uint32_t EdgeNode::open_connections() const {
  return rpc_client_ != nullptr ? static_cast<uint32_t>(rpc_client_->open_connections()) : 0;
}

void EdgeNode::start_role(node::Context& ctx) {
  // A restarted edge starts cold: its cache was volatile.
  cache_ = std::make_unique<EdgeCache>(world_.params().cache_capacity);
  guard_ = std::make_unique<proto::auth::Guard>(world_.params().secret);
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
  const std::vector<net::NodeId>& edges = world_.nodes(Role::kEdge);
  const auto me = static_cast<size_t>(std::find(edges.begin(), edges.end(), self_) - edges.begin());
  home_cores_ = home_cores(world_.nodes(Role::kCore), me, edges.size());
  for (net::NodeId core : home_cores_) {
    rpc_client_->set_tls(core, ctx.link(core).tls);
    rpc_client_->prewarm(core, world_.params().rpc_pool_warm);
  }
  conns_reported_.assign(home_cores_.size(), 0);
  conns_seen_ = {UINT64_MAX, UINT64_MAX};
  suspect_timer_.assign(home_cores_.size(), 0);
  edge_start(ctx);
  if (billing_ != nullptr) billing_on_start(ctx);
}

void EdgeNode::on_role_timer(node::Context& ctx, uint8_t route, uint64_t tag) {
  switch (route) {
    case kRouteRpc:
      rpc_client_->on_timer(tag);
      edge_rpc_done(ctx);
      return;
    case kRouteTwopc:
      ECSIM_ASSERT(participant_ != nullptr);  // the only setter of these timers here
      participant_->on_timer(envs_->twopc, envs_->log, tag);
      return;
    case kRouteEdge: {
      const uint64_t req = tag & ((uint64_t{1} << kEdgeTagShift) - 1);
      if ((tag >> kEdgeTagShift) == kEdgeAuthDone) edge_admitted(ctx, req);
      if ((tag >> kEdgeTagShift) == kEdgeServed) edge_served(ctx, req);
      if ((tag >> kEdgeTagShift) == kEdgeSnapshot) edge_snapshot(ctx);
      if ((tag >> kEdgeTagShift) == kEdgeSuspectEnd) core_trusted_again(static_cast<uint32_t>(req));
      if ((tag >> kEdgeTagShift) == kEdgeBillingServed) billing_check_token(ctx, req);
      if ((tag >> kEdgeTagShift) == kEdgeBillingAuthDone) billing_admitted(ctx, req);
      return;
    }
  }
  ECSIM_ASSERT(false);
}

// Syncs of the log disk go to the node's 2PC participant; the others (boot
// entries and hot-key snapshots) need no answer.
void EdgeNode::on_sync(node::Context&, uint64_t tag) {
  if ((tag & kLogSyncBit) == 0) return;
  ECSIM_ASSERT(participant_ != nullptr);  // only it syncs the log disk
  participant_->on_sync_done(envs_->twopc, envs_->log, tag & ~kLogSyncBit);
}

void EdgeNode::on_twopc_message(node::Context&, net::NodeId from, const proto::twopc::Message& m) {
  // Without billing no node sends these.
  if (participant_ != nullptr) participant_->on_message(envs_->twopc, envs_->log, from, m);
}

// The body of an outgoing RPC request: from the edge request its handle
// names (a client's, a rehydration fetch's or a billing operation's).
CoreBody EdgeNode::rpc_body(const proto::rpc::Message& m) const {
  const auto* q = std::get_if<proto::rpc::Request>(&m);
  if (q == nullptr) return std::monostate{};
  if (const EdgePending* p = edge_pending_.find(q->body_handle); p != nullptr) {
    const ClientRequest& r = p->request;
    if (r.kind == workload::RequestKind::kWrite) return CoreWrite{r.key, r.value};
    return CoreRead{r.key};
  }
  if (auto it = rehydrate_pending_.find(q->body_handle); it != rehydrate_pending_.end()) {
    return CoreRead{it->second.key};
  }
  if (auto it = billing_pending_.find(q->body_handle); it != billing_pending_.end()) {
    const workload::BillingOp& op = it->second.request.op;
    return BillingCall{it->second.request.client_txn, static_cast<uint8_t>(op.kind), op.from, op.to,
                       static_cast<uint64_t>(op.amount), op.number};
  }
  return std::monostate{};
}

// A core crashed or was cut off: the edge's calls on its connections fail
// at once, and so do new calls to it -- until it restarts after a crash
// (connecting to a host whose process is down is refused at once), or for
// `core_suspect` after a partition (then it is tried again) -- each going
// to the next core instead of waiting out a timeout there.
void EdgeNode::on_connections_reset(node::Context& ctx, net::NodeId peer, bool crashed) {
  if (rpc_client_ == nullptr || world_.role(peer) != Role::kCore) return;
  const uint32_t index = core_index(peer);
  if (index == home_cores_.size()) return;  // not one of its cores: nothing to reset
  rpc_client_->reset_connections(peer);
  suspect_core(ctx, index, crashed);
  edge_rpc_done(ctx);
}

void EdgeNode::on_peer_restarted(node::Context& ctx, net::NodeId peer) {
  if (rpc_client_ == nullptr || world_.role(peer) != Role::kCore) return;
  const uint32_t index = core_index(peer);
  if (index == home_cores_.size()) return;  // not one of its cores
  if (suspect_timer_[index] != 0) cancel_timer(ctx, suspect_timer_[index]);
  core_trusted_again(index);
}

// Its place among the edge node's home cores; home_cores_.size() if none.
uint32_t EdgeNode::core_index(net::NodeId core) const {
  return static_cast<uint32_t>(std::find(home_cores_.begin(), home_cores_.end(), core) - home_cores_.begin());
}

void EdgeNode::suspect_core(node::Context& ctx, uint32_t index, bool until_restart) {
  rpc_client_->set_reachable(home_cores_[index], false);
  if (suspect_timer_[index] != 0) cancel_timer(ctx, suspect_timer_[index]);
  suspect_timer_[index] = 0;
  if (!until_restart) {
    suspect_timer_[index] =
        set_timer(ctx, kRouteEdge, world_.params().core_suspect, (kEdgeSuspectEnd << kEdgeTagShift) | index);
  }
  world_.core_suspected(ctx.trace(), ctx.now(), self_, home_cores_[index], until_restart);
}

void EdgeNode::core_trusted_again(uint32_t index) {
  rpc_client_->set_reachable(home_cores_[index], true);
  suspect_timer_[index] = 0;
}

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
void EdgeNode::on_client_request(node::Context& ctx, ClientRequest request) {
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

void EdgeNode::edge_served(node::Context& ctx, uint64_t edge_req) {
  ClientRequest request = std::move(edge_pending_.at(edge_req).request);
  edge_pending_.erase(edge_req);
  edge_check_token(ctx, std::move(request));
}

void EdgeNode::edge_check_token(node::Context& ctx, ClientRequest request) {
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

void EdgeNode::edge_admitted(node::Context& ctx, uint64_t edge_req) {
  const ClientRequest& r = edge_pending_.at(edge_req).request;
  // With a load model the edge's own work was served in its queue already.
  const sim::Time done = ctx.load_model() != nullptr ? ctx.now() : ctx.now() + world_.params().edge_service;
  switch (r.kind) {
    case workload::RequestKind::kDsmSet: {
      const bool ok = dsm_->set(envs_->dsm, r.key, r.value);
      if (ctx.halted()) return;  // the client is never answered: the node crashes now
      world_.client_done(r, ok ? Outcome::kOk : Outcome::kFailed, ServedBy::kEdge, done);
      edge_pending_.erase(edge_req);
      return;
    }
    case workload::RequestKind::kDsmGet:
      dsm_->get(r.key);
      world_.client_done(r, Outcome::kOk, ServedBy::kEdge, done);
      edge_pending_.erase(edge_req);
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
        edge_pending_.erase(edge_req);
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

// Round robin over its home cores for first attempts; after an RPC failure
// the request goes to the home core after the one that failed.
void EdgeNode::edge_send_to_core(node::Context&, uint64_t edge_req) {
  EdgePending& p = edge_pending_.at(edge_req);
  const auto& cores = home_cores_;
  p.core_index = p.attempts == 0 ? next_core_++ % static_cast<uint32_t>(cores.size())
                                 : (p.core_index + 1) % static_cast<uint32_t>(cores.size());
  if (p.attempts++ == 0) world_.client_forwarded(p.request);
  const bool write = p.request.kind == workload::RequestKind::kWrite;
  const CoreBody body = write ? CoreBody{CoreWrite{p.request.key, p.request.value}} : CoreBody{CoreRead{p.request.key}};
  const proto::rpc::CallOptions options = core_call_options(world_.params());
  p.call_id = rpc_client_->call(cores[p.core_index],
                                write ? proto::rpc::Method::kSubscriberWrite : proto::rpc::Method::kSubscriberRead,
                                edge_req, body_size_bytes(body), options);
  call_req_[p.call_id] = edge_req;
}

// An RPC message from core: a response (its body is kept while the client
// handles it) or a handshake step.
void EdgeNode::on_rpc_message(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) {
  if (const auto* r = std::get_if<proto::rpc::Response>(&m.rpc)) {
    if (const auto* reply = std::get_if<CoreReply>(&m.body)) reply_in_.emplace(r->call_id, *reply);
    if (const auto* reply = std::get_if<BillingReply>(&m.body)) billing_in_.emplace(r->call_id, *reply);
    rpc_client_->on_response(from, *r);
  } else if (const auto* a = std::get_if<proto::rpc::ConnAccept>(&m.rpc)) {
    rpc_client_->on_conn_accept(from, *a);
  }
  edge_rpc_done(ctx);
  reply_in_.reset();
  billing_in_.reset();
}

// Handles the calls that completed. Handling may start new calls (the next
// core); their completions are picked up by the next round of the loop.
void EdgeNode::edge_rpc_done(node::Context& ctx) {
  if (draining_ || ctx.halted()) return;  // halted: the node crashes with its calls unanswered
  draining_ = true;
  for (rpc_client_->take_completions(completions_); !completions_.empty();
       rpc_client_->take_completions(completions_)) {
    for (const proto::rpc::Completion& c : completions_) {
      const uint64_t* called_for = call_req_.find(c.call_id);
      if (called_for == nullptr || ctx.halted()) continue;  // halted at a point in rpc::Client
      const uint64_t req = *called_for;
      call_req_.erase(c.call_id);
      if (edge_pending_.contains(req)) {
        edge_reply(ctx, req, c);
      } else if (billing_pending_.count(req) != 0) {
        billing_reply(ctx, req, c);
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
void EdgeNode::edge_connections_report() {
  // Every change of a connection count opens or closes one: with neither
  // counter moved since the last report, there is nothing to tell (and
  // nothing to walk: this runs after every drain of completions).
  const proto::rpc::ClientCounters& rc = rpc_client_->counters();
  const std::pair<uint64_t, uint64_t> seen{rc.connections_opened, rc.connections_closed};
  if (seen == conns_seen_) return;
  conns_seen_ = seen;
  const auto& cores = home_cores_;
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
bool EdgeNode::may_try_next_core(const proto::rpc::Completion& c, uint32_t attempts) {
  if (c.ok || c.code >= static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst)) return false;
  if (attempts >= world_.params().core_attempts_max) return false;
  return !c.request_sent || rpc_client_->spend_retry();
}

void EdgeNode::edge_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c) {
  const EdgePending& p = edge_pending_.at(edge_req);
  if (p.call_id != c.call_id) return;  // a superseded call
  if (may_try_next_core(c, p.attempts)) {
    edge_send_to_core(ctx, edge_req);
    return;
  }
  const ClientRequest& q = p.request;
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
  edge_pending_.erase(edge_req);
}

const EdgeNode* edge_node(const node::Cluster& cluster, net::NodeId n) {
  const TierNode* node = tier_node(cluster, n);
  if (node == nullptr) return nullptr;
  ECSIM_ASSERT(node->role() == Role::kEdge);
  return static_cast<const EdgeNode*>(node);
}

}  // namespace ecsim::tiers
