#include "ecsim/check/billing_cache.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/workload/billing.hpp"

namespace ecsim::check {

namespace twopc = proto::twopc;
using workload::BillingKind;

BillingCacheChecker::BillingCacheChecker(std::vector<std::string> names, std::vector<bool> replicas,
                                         int64_t staleness_max_ns)
    : names_(std::move(names)), staleness_max_ns_(staleness_max_ns) {
  ECSIM_ASSERT(staleness_max_ns_ > 0);
  for (uint32_t n = 0; n < replicas.size(); ++n) {
    if (replicas[n]) replicas_.push_back(n);
  }
}

std::span<const sim::RecordType> BillingCacheChecker::record_types() const {
  static constexpr sim::RecordType kTypes[] = {tiers::kRecordBillingAccount, tiers::kRecordBillingNumber,
                                               tiers::kRecordBillingOp, twopc::kRecordParticipant,
                                               tiers::kRecordBillingCache};
  return kTypes;
}

void BillingCacheChecker::on_record(const sim::Record& r) {
  if (r.type == tiers::kRecordBillingAccount || r.type == tiers::kRecordBillingNumber) {
    const uint64_t key = r.type == tiers::kRecordBillingAccount ? twopc::account_key(r.a) : twopc::number_key(r.a);
    initial_[key] = r.b;
    uint32_t holders = 0;
    for (const uint32_t n : replicas_) holders += holds(n, key) ? 1 : 0;
    holders_[{key, r.b}] = holders;
    account();
  } else if (r.type == tiers::kRecordBillingOp) {
    // Reads change no replica's state: only writes are kept.
    if (!workload::is_billing_write(static_cast<BillingKind>(r.code))) return;
    ops_[r.a] = Op{r.code, r.peer, r.kind, r.b};
    account();
  } else if (r.type == twopc::kRecordParticipant) {
    if (r.code != static_cast<uint16_t>(twopc::ParticipantEvent::kCommitted)) return;
    if (r.node >= names_.size()) return;
    bool replica = false;
    for (uint32_t n : replicas_) replica = replica || n == r.node;
    if (!replica) return;
    committed(r.node, r.b, r.time_ns);
    account();
  } else if (r.type == tiers::kRecordBillingCache) {
    if (r.code == static_cast<uint16_t>(tiers::CacheEvent::kServed)) served(r);
  }
}

// The cloud tier in groups: a replica holds its group's keys only, and only
// those count as held (another group's replica has no copy of them).
bool BillingCacheChecker::holds(uint32_t node, uint64_t key) const {
  const size_t groups = std::max<size_t>(1, replicas_.size() / proto::storage::kReplicas);
  if (groups == 1) return true;
  const auto index = static_cast<size_t>(std::find(replicas_.begin(), replicas_.end(), node) - replicas_.begin());
  return tiers::lock_key_group(key, groups) == index / proto::storage::kReplicas;
}

void BillingCacheChecker::set(uint32_t node, uint64_t key, uint64_t value, int64_t at_ns) {
  const auto init = initial_.find(key);
  if (init == initial_.end()) return;  // not in the domain: the billing checker says so
  if (!holds(node, key)) return;       // its group's replicas apply that side
  std::map<uint64_t, uint64_t>& state = state_[node];
  const auto it = state.find(key);
  const uint64_t old = it == state.end() ? init->second : it->second;
  if (old == value) return;
  if (it == state.end()) {
    state.emplace(key, value);
    ++state_entries_;
  } else {
    it->second = value;
  }
  uint32_t& held = holders_[{key, old}];
  ECSIM_ASSERT(held > 0);
  if (--held == 0) retired_ns_[{key, old}] = at_ns;
  ++holders_[{key, value}];
}

// Replica `node` committed the operation of `client_txn`: its committed
// values move on (the conservation verdict judges the arithmetic itself).
void BillingCacheChecker::committed(uint32_t node, uint64_t client_txn, int64_t at_ns) {
  if (!applied_.emplace(client_txn, node).second) return;  // replayed after a restart
  const auto op = ops_.find(client_txn);
  if (op == ops_.end()) return;
  const Op& o = op->second;
  const auto balance = [&](uint64_t s) {
    const auto key = twopc::account_key(s);
    const auto& state = state_[node];
    const auto it = state.find(key);
    if (it != state.end()) return it->second;
    const auto init = initial_.find(key);
    return init == initial_.end() ? uint64_t{0} : init->second;
  };
  switch (static_cast<BillingKind>(o.kind)) {
    case BillingKind::kDebit: set(node, twopc::account_key(o.from), balance(o.from) - o.value, at_ns); break;
    case BillingKind::kTransfer:
      set(node, twopc::account_key(o.from), balance(o.from) - o.value, at_ns);
      set(node, twopc::account_key(o.to), balance(o.to) + o.value, at_ns);
      break;
    case BillingKind::kTopUp: set(node, twopc::account_key(o.to), balance(o.to) + o.value, at_ns); break;
    case BillingKind::kPort: set(node, twopc::number_key(o.value), o.to, at_ns); break;
    default: break;
  }
}

void BillingCacheChecker::account() {
  using Value = std::pair<uint64_t, uint64_t>;
  const auto bytes = static_cast<int64_t>(initial_.size() + state_entries_) * sim::node_bytes<uint64_t, uint64_t>() +
                     static_cast<int64_t>(ops_.size()) * sim::node_bytes<uint64_t, Op>() +
                     static_cast<int64_t>(applied_.size()) * sim::node_bytes<std::pair<uint64_t, uint32_t>, char>() +
                     static_cast<int64_t>(holders_.size()) * sim::node_bytes<Value, uint32_t>() +
                     static_cast<int64_t>(retired_ns_.size()) * sim::node_bytes<Value, int64_t>();
  if (bytes != bytes_.bytes()) bytes_.set_bytes(bytes);
}

void BillingCacheChecker::served(const sim::Record& r) {
  ++checked_;
  const uint64_t key = r.kind == 1 ? twopc::account_key(r.a) : twopc::number_key(r.a);
  const std::pair<uint64_t, uint64_t> kv{key, r.b};
  const auto held = holders_.find(kv);
  if (held != holders_.end() && held->second > 0) return;  // some replica holds it now
  const auto retired = retired_ns_.find(kv);
  if (retired != retired_ns_.end() && retired->second >= r.time_ns - staleness_max_ns_) return;
  if (violations_++ > 0) return;
  const std::string who = r.node < names_.size() ? names_[r.node] : "?";
  const std::string what = r.kind == 1 ? fmt::format("subscriber {}'s balance", r.a)
                                       : fmt::format("number {}'s owner", r.a);
  detail_ = retired == retired_ns_.end()
                ? fmt::format("{} served {} as {} from its cache at {}, record #{}: no cloud replica ever had it "
                              "committed", who, what, r.b, sim::format_time(sim::Time{r.time_ns}), record_index())
                : fmt::format("{} served {} as {} from its cache at {}, record #{}: the last cloud replica holding it "
                              "committed a change at {}, more than {} before",
                              who, what, r.b, sim::format_time(sim::Time{r.time_ns}), record_index(),
                              sim::format_time(sim::Time{retired->second}),
                              sim::format_duration(sim::Duration{staleness_max_ns_}));
}

void BillingCacheChecker::finish() {
  if (violations_ > 0) {
    detail_ = fmt::format("{} violation{}; first: {}", violations_, violations_ == 1 ? "" : "s", detail_);
  } else {
    detail_ = fmt::format("{} reads served from edge caches checked, no violation (staleness bound {})", checked_,
                          sim::format_duration(sim::Duration{staleness_max_ns_}));
  }
}

}  // namespace ecsim::check
