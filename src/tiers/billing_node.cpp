// The billing part of each role (issue 11, items 2-4; docs/twopc.md,
// "Wiring"): the edge takes a client's billing operation (load model, token
// and RBAC check) and calls core over RPC; a core node's Coordinator runs
// each write as a 2PC transaction over the cloud replicas of the groups
// involved and the edge node that took it, and reads a committed value from
// a replica of the group holding it; cloud replicas and edge nodes run a
// Participant (the edge's is a cache holder: it does not judge). Every
// machine logs to the node's log disk and recovers from it at start.

#include "cloud_node.hpp"
#include "core_node.hpp"
#include "edge_node.hpp"
#include "tier_node_impl.hpp"

#include <algorithm>
#include <set>

#include "ecsim/proto/auth.hpp"

namespace ecsim::tiers {

namespace twopc = proto::twopc;
using workload::BillingKind;

namespace {
// Core answers with this when it cannot run a billing operation: the
// coordinator refused the transaction (tables or disk full), or no replica
// answered a read.
constexpr uint16_t kCodeBillingUnavailable = static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst) + 3;
constexpr uint8_t kReadBalance = 1;
constexpr uint8_t kReadOwner = 2;

twopc::OpKind op_kind(BillingKind k) {
  switch (k) {
    case BillingKind::kDebit: return twopc::OpKind::kDebit;
    case BillingKind::kTransfer: return twopc::OpKind::kTransfer;
    case BillingKind::kTopUp: return twopc::OpKind::kTopUp;
    case BillingKind::kPort: return twopc::OpKind::kPort;
    default: break;
  }
  ECSIM_ASSERT(false && "only writes run as transactions");
  return twopc::OpKind::kDebit;
}
}  // namespace

// ----------------------------------------------------------------- edge

void EdgeNode::billing_on_start(node::Context&) {
  ECSIM_ASSERT(billing_ != nullptr);
  twopc::ParticipantConfig pc;
  pc.cache_only = true;
  pc.outcome_retention = billing_->outcome_retention();
  pc.query_interval = billing_->query_interval();
  pc.log_observer = world_.twopc_log_observer();
  participant_ = std::make_unique<twopc::Participant>(self_, std::move(pc));
  participant_->recover(envs_->twopc, envs_->log);
  if (billing_->cache().on()) billing_cache_start();
}

void EdgeNode::on_billing_request(node::Context& ctx, BillingRequest request) {
  ECSIM_ASSERT(billing_ != nullptr);
  sim::Time start = ctx.now();
  if (node::LoadModel* load = ctx.load_model()) {
    const node::LoadModel::Admission a = load->admit(ctx.now(), kKindClient);
    if (!a.accepted) {
      billing_->failed(request, ctx.now());  // overloaded
      return;
    }
    start = a.done;
  }
  const uint64_t id = next_edge_req_++;
  billing_pending_[id] = BillingPending{std::move(request), 0, 0, 0};
  if (start > ctx.now()) {
    set_timer(ctx, kRouteEdge, start - ctx.now(), (kEdgeBillingServed << kEdgeTagShift) | id);
    return;
  }
  billing_check_token(ctx, id);
}

// RBAC: a subscriber moves only their own money and numbers, and reads only
// their own balance (the token's subscriber is the one who asks).
void EdgeNode::billing_check_token(node::Context& ctx, uint64_t edge_req) {
  auto it = billing_pending_.find(edge_req);
  ECSIM_ASSERT(it != billing_pending_.end());
  const BillingRequest& r = it->second.request;
  const auto op = workload::is_billing_write(r.op.kind) ? proto::auth::Operation::kWrite : proto::auth::Operation::kRead;
  const proto::auth::Decision d = guard_->check(envs_->dsm, r.token, op, r.op.subscriber);
  if (!d.ok()) {
    billing_->refused(r, ctx.now() + d.cost);
    billing_pending_.erase(it);
    return;
  }
  set_timer(ctx, kRouteEdge, d.cost, (kEdgeBillingAuthDone << kEdgeTagShift) | edge_req);
}

void EdgeNode::billing_admitted(node::Context& ctx, uint64_t edge_req) {
  ECSIM_ASSERT(billing_pending_.count(edge_req) == 1);
  if (billing_cache_ && billing_cache_serve(ctx, edge_req)) return;  // answered from the cache
  billing_send_to_core(ctx, edge_req);
  edge_rpc_done(ctx);  // a call refused at once (no core reachable) completes now
}

// As edge_send_to_core: round robin for first attempts, the next home core
// after an RPC failure. Every attempt carries the same client txn id, so a
// transaction retried on the other core is never executed twice.
void EdgeNode::billing_send_to_core(node::Context&, uint64_t edge_req) {
  BillingPending& p = billing_pending_.at(edge_req);
  const auto cores = static_cast<uint32_t>(home_cores_.size());
  p.core_index = p.attempts == 0 ? next_core_++ % cores : (p.core_index + 1) % cores;
  ++p.attempts;
  const bool write = workload::is_billing_write(p.request.op.kind);
  const proto::rpc::CallOptions options = core_call_options(world_.params());
  proto::rpc::Request named;
  named.body_handle = edge_req;
  const CoreBody body = rpc_body(named);
  ECSIM_ASSERT(std::holds_alternative<BillingCall>(body));
  p.call_id = rpc_client_->call(home_cores_[p.core_index],
                                write ? proto::rpc::Method::kSubscriberWrite : proto::rpc::Method::kSubscriberRead,
                                edge_req, body_size_bytes(body), options);
  call_req_[p.call_id] = edge_req;
}

void EdgeNode::billing_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c) {
  auto it = billing_pending_.find(edge_req);
  ECSIM_ASSERT(it != billing_pending_.end());
  if (it->second.call_id != c.call_id) return;  // a superseded call
  if (may_try_next_core(c, it->second.attempts)) {
    billing_send_to_core(ctx, edge_req);
    return;
  }
  const BillingRequest& r = it->second.request;
  if (billing_cache_) {
    const bool answered = c.ok && billing_in_ && billing_in_->first == c.call_id;
    billing_cache_answer(ctx, edge_req, home_cores_[it->second.core_index],
                         answered ? &billing_in_->second : nullptr);
  }
  if (c.ok && billing_in_ && billing_in_->first == c.call_id) {
    const BillingReply& reply = billing_in_->second;
    if (workload::is_billing_write(r.op.kind)) {
      billing_->transaction_done(r, static_cast<twopc::Outcome>(reply.outcome), static_cast<twopc::Reason>(reply.reason),
                                 ctx.now());
    } else {
      billing_->read_done(r, reply.found, reply.value, ctx.now());
    }
  } else {
    billing_->failed(r, ctx.now());
  }
  billing_pending_.erase(it);
}

// ----------------------------------------------------------------- core

void CoreNode::billing_on_start(node::Context& ctx) {
  ECSIM_ASSERT(billing_ != nullptr);
  twopc::CoordinatorConfig cc;
  // Restarts count up from 0 at boot: each incarnation above the last,
  // which keeps transaction ids unique across restarts.
  cc.incarnation = ctx.incarnation();
  cc.outcome_retention = billing_->outcome_retention();
  cc.report_commits = billing_->cache().on();
  cc.log_observer = world_.twopc_log_observer();
  coordinator_ = std::make_unique<twopc::Coordinator>(self_, cc);
  coordinator_->recover(envs_->twopc, envs_->log);
}

// Every cloud replica of each group the operation involves (the accounts',
// and for a port the number's), then the edge node that took it.
std::vector<net::NodeId> CoreNode::txn_participants(const twopc::Op& op, net::NodeId edge) const {
  const std::vector<net::NodeId>& clouds = world_.nodes(Role::kCloud);
  const size_t groups = billing_->cloud_groups();
  ECSIM_ASSERT(clouds.size() == groups * proto::storage::kReplicas);
  std::set<uint32_t> involved;
  if (op.kind != twopc::OpKind::kTopUp) involved.insert(account_group(op.from, groups));
  if (op.kind != twopc::OpKind::kDebit) involved.insert(account_group(op.to, groups));
  if (op.kind == twopc::OpKind::kPort) involved.insert(number_group(op.number, groups));
  std::vector<net::NodeId> out;
  for (uint32_t g : involved) {
    for (size_t i = 0; i < proto::storage::kReplicas; ++i) out.push_back(clouds[g * proto::storage::kReplicas + i]);
  }
  out.push_back(edge);
  ECSIM_ASSERT(out.size() <= twopc::kParticipantsMax);
  return out;
}

void CoreNode::core_billing(node::Context& ctx, net::NodeId from, uint64_t call_id, const BillingCall& call) {
  ECSIM_ASSERT(coordinator_ != nullptr);
  const auto kind = static_cast<BillingKind>(call.kind);
  const Caller caller{from, call_id};
  if (!workload::is_billing_write(kind)) {
    const uint64_t id = next_billing_read_++;
    const bool balance = kind == BillingKind::kBalance;
    billing_reads_[id] = CoreBillingRead{caller, balance ? kReadBalance : kReadOwner, balance ? call.from : call.number};
    core_billing_read(ctx, id);
    return;
  }
  const twopc::Op op{op_kind(kind), call.from, call.to, call.amount, call.number};
  txn_callers_.emplace(call.client_txn, caller);
  const std::optional<uint64_t> txn = coordinator_->begin(envs_->twopc, envs_->log, call.client_txn, op,
                                                          txn_participants(op, from));
  if (ctx.halted()) return;  // stopped at a 2PC point: the node crashes, its caller unanswered
  if (!txn) {
    // Refused (counted and traced by the coordinator): this caller only.
    auto range = txn_callers_.equal_range(call.client_txn);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.edge == from && it->second.call_id == call_id) {
        txn_callers_.erase(it);
        break;
      }
    }
    rpc_server_->respond(from, call_id, kCodeBillingUnavailable, 0, 0);
  }
  core_txn_completions(ctx);
}

void CoreNode::core_respond_body(node::Context& ctx, const Caller& to, CoreBody body) {
  if (auto* reply = std::get_if<BillingReply>(&body); reply != nullptr && billing_->cache().on()) {
    core_attach_sync(ctx, to.edge, *reply);
  }
  const uint32_t bytes = body_size_bytes(body);
  rpc_server_->respond(to.edge, to.call_id, 0, keep_reply(std::move(body)), bytes);
}

// Answers every caller of each transaction whose outcome the coordinator
// reported (a retry that joined a running transaction included).
void CoreNode::core_txn_completions(node::Context& ctx) {
  if (coordinator_ == nullptr) return;
  // Invalidations first: an answer sent after a decision carries a sync
  // point that covers the decision's invalidation.
  if (billing_->cache().on()) core_send_invals(ctx);
  coordinator_->take_completions(txn_done_);
  for (const twopc::Completion& c : txn_done_) {
    if (ctx.halted()) return;  // the node crashes now, its callers unanswered
    const auto range = txn_callers_.equal_range(c.client_txn);
    for (auto it = range.first; it != range.second; ++it) {
      BillingReply reply;
      reply.outcome = static_cast<uint16_t>(c.outcome);
      reply.reason = static_cast<uint16_t>(c.reason);
      core_respond_body(ctx, it->second, reply);
    }
    txn_callers_.erase(range.first, range.second);
  }
}

// A read asks one replica of the group holding the value, the next one
// after storage_timeout, up to all three; then the caller gets an error.
void CoreNode::core_billing_read(node::Context& ctx, uint64_t req) {
  CoreBillingRead& r = billing_reads_.at(req);
  const size_t groups = billing_->cloud_groups();
  const uint32_t group = r.kind == kReadBalance ? account_group(r.key, groups) : number_group(r.key, groups);
  const std::vector<net::NodeId>& clouds = world_.nodes(Role::kCloud);
  const size_t replica = group * proto::storage::kReplicas + (req + r.tried) % proto::storage::kReplicas;
  ++r.tried;
  r.timer = set_timer(ctx, kRouteBilling, world_.params().storage_timeout, req);
  send_billing_read(ctx, clouds[replica], BillingReadReq{req, r.kind, r.key});
}

void CoreNode::core_billing_read_timeout(node::Context& ctx, uint64_t req) {
  auto it = billing_reads_.find(req);
  if (it == billing_reads_.end()) return;  // answered meanwhile
  if (it->second.tried < proto::storage::kReplicas) {
    core_billing_read(ctx, req);
    return;
  }
  rpc_server_->respond(it->second.caller.edge, it->second.caller.call_id, kCodeBillingUnavailable, 0, 0);
  billing_reads_.erase(it);
}

// A replica's answer to a billing read (core asks; a request is not for it).
void CoreNode::on_billing_read(node::Context& ctx, net::NodeId, const BillingRead& m) {
  const auto* r = std::get_if<BillingReadResp>(&m);
  if (r == nullptr || billing_ == nullptr) return;
  const BillingReadResp& resp = *r;
  auto it = billing_reads_.find(resp.req);
  if (it == billing_reads_.end()) return;  // a late answer of a read already answered or given up
  cancel_timer(ctx, it->second.timer);
  BillingReply reply;
  reply.outcome = static_cast<uint16_t>(twopc::Outcome::kCommitted);
  reply.found = resp.found;
  reply.value = resp.value;
  reply.cacheable = resp.cacheable;
  core_respond_body(ctx, it->second.caller, reply);
  billing_reads_.erase(it);
}

// ----------------------------------------------------------------- cloud

void CloudNode::billing_on_start(node::Context&) {
  ECSIM_ASSERT(billing_ != nullptr);
  const auto group = static_cast<uint32_t>(cloud_index() / proto::storage::kReplicas);
  twopc::ParticipantConfig pc = billing_->replica_config(group);
  pc.log_observer = world_.twopc_log_observer();
  participant_ = std::make_unique<twopc::Participant>(self_, std::move(pc));
  participant_->recover(envs_->twopc, envs_->log);
}

// A cloud replica answers a read from its committed state (read committed:
// a prepared, undecided transaction's change is not visible).
void CloudNode::on_billing_read(node::Context& ctx, net::NodeId from, const BillingRead& m) {
  if (std::holds_alternative<BillingReadResp>(m) || participant_ == nullptr) return;
  const auto& q = std::get<BillingReadReq>(m);
  BillingReadResp resp{q.req, false, 0, false};
  if (q.kind == kReadBalance) {
    if (const auto b = participant_->read_balance(q.key)) resp = {q.req, true, static_cast<uint64_t>(*b), false};
  } else if (const auto o = participant_->read_number_owner(q.key)) {
    resp = {q.req, true, *o, false};
  }
  // An edge may cache the value only when no prepared transaction holds
  // the key: then every COMMIT decided so far on it is applied here.
  const uint64_t lock = q.kind == kReadBalance ? twopc::account_key(q.key) : twopc::number_key(q.key);
  resp.cacheable = resp.found && participant_->lock_holder(lock) == 0;
  send_billing_read(ctx, from, resp);
}

}  // namespace ecsim::tiers
