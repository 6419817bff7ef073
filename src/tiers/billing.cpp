#include "ecsim/tiers/billing.hpp"

#include <algorithm>

#include "ecsim/proto/storage.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/workload/overdue.hpp"
#include "cloud_node.hpp"
#include "core_node.hpp"
#include "edge_node.hpp"

namespace ecsim::tiers {

namespace twopc = proto::twopc;

void trace_billing_state(sim::Trace& trace, const workload::BillingConfig& config) {
  ECSIM_ASSERT(config.validate().empty());
  for (const workload::BillingAccount& a : workload::initial_accounts(config)) {
    ECSIM_ASSERT(a.balance >= 0);
    trace.record(sim::Record{0, kRecordBillingAccount, 0, 0, 0, 0, a.subscriber, static_cast<uint64_t>(a.balance)});
  }
  for (const workload::BillingNumber& n : workload::initial_numbers(config)) {
    trace.record(sim::Record{0, kRecordBillingNumber, 0, 0, 0, 0, n.number, n.owner});
  }
}

void trace_billing_end_state(const Billing& billing, const World& world, const node::Cluster& cluster,
                             sim::Simulator& sim) {
  const int64_t now = sim.now().ns;
  for (const net::NodeId n : world.nodes(Role::kCloud)) {
    const CloudNode* node = cloud_node(cluster, n);
    if (node == nullptr) {  // down: its memory is gone, nothing to compare
      sim.trace().record(sim::Record{now, kRecordBillingEndNode, 0, n, 0, 0, 0, 0});
      continue;
    }
    const twopc::Participant* p = node->participant();
    ECSIM_ASSERT(p != nullptr);  // every cloud replica of a billing run is a participant
    sim.trace().record(sim::Record{now, kRecordBillingEndNode, 1, n, 0, 0, 0, 0});
    // Its group's accounts and numbers, every one of them.
    for (uint64_t s = 1; s <= billing.config().subscribers; ++s) {
      const std::optional<int64_t> b = p->balance(s);
      ECSIM_ASSERT(b.has_value() == p->owns(twopc::account_key(s)));
      if (!b) continue;
      sim.trace().record(sim::Record{now, kRecordBillingEndBalance, 0, n, 0, 0, s, static_cast<uint64_t>(*b)});
    }
    for (const workload::BillingNumber& num : workload::initial_numbers(billing.config())) {
      const std::optional<uint64_t> o = p->number_owner(num.number);
      ECSIM_ASSERT(o.has_value() == p->owns(twopc::number_key(num.number)));
      if (!o) continue;
      sim.trace().record(sim::Record{now, kRecordBillingEndOwner, 0, n, 0, 0, num.number, *o});
    }
  }
  // Every 2PC machine's log and tables, node by node.
  for (net::NodeId n = 0; n < cluster.size(); ++n) {
    const twopc::Coordinator* c = nullptr;
    const twopc::Participant* p = nullptr;
    switch (world.role(n)) {
      case Role::kCore:
        if (const CoreNode* core = core_node(cluster, n)) c = core->coordinator();
        break;
      case Role::kCloud:
        if (const CloudNode* cloud = cloud_node(cluster, n)) p = cloud->participant();
        break;
      case Role::kEdge:
        if (const EdgeNode* edge = edge_node(cluster, n)) p = edge->participant();
        break;
    }
    if (c == nullptr && p == nullptr) continue;  // down
    const node::Disk& log = cluster.log_disk(n);
    const auto entries = static_cast<uint32_t>(std::min<size_t>(log.retained(), UINT32_MAX));
    const auto bytes = static_cast<uint64_t>(log.accounted_bytes());
    if (c != nullptr) {
      sim.trace().record(sim::Record{now, kRecordBillingEndLog, 1, n, 0, entries, bytes, c->remembered()});
    }
    if (p != nullptr) {
      const auto locks = static_cast<uint32_t>(p->locks_held());
      sim.trace().record(sim::Record{now, kRecordBillingEndLog, 2, n, locks, entries, bytes, p->remembered()});
    }
  }
}

uint32_t account_group(uint64_t subscriber, size_t groups) {
  return proto::storage::key_group(workload::billing_key(subscriber), groups);
}

uint32_t number_group(uint64_t number, size_t groups) {
  return proto::storage::key_group(twopc::number_key(number) ^ workload::kBillingKeyBit, groups);
}

uint32_t lock_key_group(uint64_t lock_key, size_t groups) {
  return (lock_key & twopc::kNumberKeyBit) != 0 ? number_group(lock_key & ~twopc::kNumberKeyBit, groups)
                                                : account_group(lock_key, groups);
}

Billing::Billing(sim::Simulator& sim, workload::BillingConfig config, size_t cloud_groups,
                 sim::Duration client_timeout, BillingCacheConfig cache)
    : sim_(sim), config_(std::move(config)), groups_(cloud_groups), client_timeout_(client_timeout), cache_(cache) {
  ECSIM_ASSERT(config_.validate().empty());
  ECSIM_ASSERT(groups_ >= 1);
  ECSIM_ASSERT(!cache_.on() || cache_.staleness_max.ns > 0);
}

sim::Duration Billing::outcome_retention() const {
  return std::max(sim::seconds(30), sim::Duration{2 * client_timeout_.ns});
}

twopc::ParticipantConfig Billing::replica_config(uint32_t group) const {
  ECSIM_ASSERT(group < groups_);
  twopc::ParticipantConfig c;
  c.outcome_retention = outcome_retention();
  c.query_interval = query_interval();
  if (groups_ > 1) {
    c.key_group = &lock_key_group;
    c.groups = groups_;
    c.group = group;
  }
  for (const workload::BillingAccount& a : workload::initial_accounts(config_)) {
    if (account_group(a.subscriber, groups_) == group) c.accounts.push_back({a.subscriber, a.balance});
  }
  for (const workload::BillingNumber& n : workload::initial_numbers(config_)) {
    if (number_group(n.number, groups_) == group) c.numbers.push_back({n.number, n.owner});
  }
  return c;
}

bool billing_answer_abort(twopc::Reason reason) {
  return reason == twopc::Reason::kInsufficientFunds || reason == twopc::Reason::kUnknownKey ||
         reason == twopc::Reason::kNotOwner || reason == twopc::Reason::kInvalid;
}

void Billing::started(const BillingRequest& r) {
  ECSIM_ASSERT(r.client_txn != 0);
  ++figures_.operations;
  if (workload::is_billing_write(r.op.kind)) {
    ++figures_.transactions;
  } else {
    ++figures_.reads;
  }
  const bool fresh = outstanding_.emplace(r.client_txn, Outstanding{r.start.ns, r.deadline.ns, r.edge, r.op.kind, r.workload}).second;
  ECSIM_ASSERT(fresh);  // client txn ids are unique
  sim_.trace().record(sim::Record{sim_.now().ns, kRecordBillingStart, 0, r.edge, 0, static_cast<uint32_t>(r.op.kind),
                                  r.client_txn, r.op.subscriber});
  const bool by_number = r.op.kind == workload::BillingKind::kPort || r.op.kind == workload::BillingKind::kNumberOwner;
  ECSIM_ASSERT(r.op.from <= UINT32_MAX && r.op.to <= UINT32_MAX);  // subscribers <= 2^20
  sim_.trace().record(sim::Record{sim_.now().ns, kRecordBillingOp, static_cast<uint16_t>(r.op.kind), r.edge,
                                  static_cast<uint32_t>(r.op.from), static_cast<uint32_t>(r.op.to), r.client_txn,
                                  by_number ? r.op.number : static_cast<uint64_t>(r.op.amount)});
}

bool Billing::settle(const BillingRequest& r, sim::Time at) {
  const auto it = outstanding_.find(r.client_txn);
  ECSIM_ASSERT(it != outstanding_.end());  // answered once
  outstanding_.erase(it);
  if (at.ns <= r.deadline.ns) return true;
  ++figures_.failed;
  count_second(r, false);
  end(r, BillingEnd::kLate, (r.deadline - r.start).ns);
  return false;
}

void Billing::served(const BillingRequest& r, sim::Time at) {
  ++figures_.served;
  figures_.served_max_ns = std::max(figures_.served_max_ns, (at - r.start).ns);
}

void Billing::count_second(const BillingRequest& r, bool served) {
  ECSIM_ASSERT(r.start.ns >= 0);
  if (r.workload != BillingRequest::kNoWorkload) {
    if (r.workload >= figures_.by_second.size()) figures_.by_second.resize(size_t{r.workload} + 1);
    workload::count_second(figures_.by_second[r.workload], r.start.ns, served);
  }
  const size_t kind = workload::is_billing_write(r.op.kind) ? 0 : 1;
  figures_.kind_settled[kind] += 1;
  figures_.kind_served[kind] += served ? 1 : 0;
}

void Billing::end(const BillingRequest& r, BillingEnd e, int64_t latency_ns) {
  ECSIM_ASSERT(latency_ns >= 0);
  if (workload::is_billing_write(r.op.kind)) {
    figures_.txn_latency.add(latency_ns);
  } else {
    figures_.read_latency.add(latency_ns);
  }
  sim_.trace().record(sim::Record{sim_.now().ns, kRecordBillingEnd, static_cast<uint16_t>(e), r.edge, 0,
                                  static_cast<uint32_t>(r.op.kind), r.client_txn, static_cast<uint64_t>(latency_ns)});
}

void Billing::transaction_done(const BillingRequest& r, twopc::Outcome outcome, twopc::Reason reason, sim::Time at) {
  ECSIM_ASSERT(workload::is_billing_write(r.op.kind));
  if (!settle(r, at)) return;
  BillingEnd e = BillingEnd::kUnknown;
  bool ok = false;  // served
  if (outcome == twopc::Outcome::kCommitted) {
    ++figures_.committed;
    ok = true;
    e = BillingEnd::kCommitted;
  } else if (outcome == twopc::Outcome::kAborted) {
    ++figures_.aborted;
    const auto why = static_cast<size_t>(reason);
    ECSIM_ASSERT(why < figures_.aborted_by.size());
    ++figures_.aborted_by[why];
    ok = billing_answer_abort(reason);
    figures_.aborted_by_rule += ok ? 1 : 0;
    e = BillingEnd::kAborted;
  } else {
    ++figures_.unknown;
  }
  if (ok) served(r, at);
  count_second(r, ok);
  end(r, e, (at - r.start).ns);
}

void Billing::read_done(const BillingRequest& r, bool found, uint64_t value, sim::Time at) {
  ECSIM_ASSERT(!workload::is_billing_write(r.op.kind));
  if (!settle(r, at)) return;
  ++figures_.reads_ok;
  served(r, at);
  count_second(r, true);
  const bool balance = r.op.kind == workload::BillingKind::kBalance;
  sim_.trace().record(sim::Record{sim_.now().ns, kRecordBillingRead, static_cast<uint16_t>(balance ? 1 : 2), r.edge,
                                  0, found ? 1u : 0u, balance ? r.op.from : r.op.number, value});
  end(r, BillingEnd::kCommitted, (at - r.start).ns);
}

void Billing::failed(const BillingRequest& r, sim::Time at) {
  if (!settle(r, at)) return;
  ++figures_.failed;
  count_second(r, false);
  // A failure counts at the client's timeout (DESIGN: percentiles).
  end(r, BillingEnd::kFailed, (r.deadline - r.start).ns);
}

void Billing::refused(const BillingRequest& r, sim::Time at) {
  if (!settle(r, at)) return;
  ++figures_.refused;
  end(r, BillingEnd::kRefused, (at - r.start).ns);
}

void Billing::finish(sim::Time end_time) {
  for (const auto& [client_txn, o] : outstanding_) {
    BillingRequest r;
    r.client_txn = client_txn;
    r.op.kind = o.kind;
    r.start = sim::Time{o.start_ns};
    r.deadline = sim::Time{o.deadline_ns};
    r.edge = o.edge;
    r.workload = o.workload;
    if (end_time.ns > o.deadline_ns) {
      ++figures_.failed;
      count_second(r, false);
      end(r, BillingEnd::kFailed, o.deadline_ns - o.start_ns);
    } else {
      ++figures_.unsettled;
      if (workload::overdue(end_time.ns - o.start_ns, figures_.served_max_ns)) {
        ++figures_.overdue;
        count_second(r, false);
      } else if (o.workload != BillingRequest::kNoWorkload) {
        auto& from = figures_.incomplete_from;
        if (o.workload >= from.size()) from.resize(size_t{o.workload} + 1, INT64_MAX);
        from[o.workload] = std::min(from[o.workload], o.start_ns);
      }
      end(r, BillingEnd::kUnsettled, end_time.ns - o.start_ns);
    }
  }
  outstanding_.clear();
}

}  // namespace ecsim::tiers
