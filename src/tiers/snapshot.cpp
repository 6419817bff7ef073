#include "ecsim/tiers/snapshot.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/tiers/tier_node.hpp"
#include "cloud_node.hpp"
#include "edge_node.hpp"

namespace ecsim::tiers {

namespace {

const char* op_name(proto::twopc::OpKind k) {
  switch (k) {
    case proto::twopc::OpKind::kDebit: return "debit";
    case proto::twopc::OpKind::kTransfer: return "transfer";
    case proto::twopc::OpKind::kTopUp: return "top-up";
    case proto::twopc::OpKind::kPort: return "port";
  }
  return "op";
}

// The node's disk: a cloud replica's storage WAL, or an edge's or core's
// boot entries and (edge) hot-key snapshots (tiers/rehydration.cpp).
std::string storage_line(const std::string& bytes, const node::Cluster& c) {
  if (bytes == "boot") return "boot";
  if (bytes.starts_with("hot1")) return fmt::format("hot-key snapshot ({} keys, for rehydration)", (bytes.size() - 4) / 8);
  const auto r = proto::storage::decode(bytes);
  if (!r) return fmt::format("torn or corrupted ({} bytes)", bytes.size());
  return std::visit(proto::Overloaded{
                        [&](const proto::storage::WalPut& p) {
                          const std::string writer =
                              p.version.writer < c.size() ? c.name(p.version.writer) : std::to_string(p.version.writer);
                          return fmt::format("put key {} = {} v{} by {}", p.key, p.value, p.version.counter, writer);
                        },
                        [&](const proto::storage::WalMark& m) {
                          return fmt::format("caught up with {} as of {}",
                                             m.peer < c.size() ? c.name(m.peer) : std::to_string(m.peer),
                                             sim::format_time(sim::Time{m.as_of_ns}));
                        },
                    },
                    *r);
}

std::string twopc_line(const std::string& bytes) {
  namespace t = proto::twopc;
  const auto r = t::decode(bytes);
  if (!r) return fmt::format("torn or corrupted ({} bytes)", bytes.size());
  return std::visit(proto::Overloaded{
                        [](const t::LogStart& s) {
                          return fmt::format("START txn {} ({} participants)", s.txn, s.participants.size());
                        },
                        [](const t::LogDecision& d) {
                          return fmt::format("DECIDED {} txn {}", d.commit ? "COMMIT" : "ABORT", d.txn);
                        },
                        [](const t::LogEnd& e) { return fmt::format("END txn {}", e.txn); },
                        [](const t::LogPrepared& p) {
                          return fmt::format("PREPARED txn {}: {} {} from {} to {}", p.txn, op_name(p.op.kind),
                                             p.op.amount, p.op.from, p.op.to);
                        },
                        [](const t::LogResolved& x) {
                          return fmt::format("{} txn {}", x.commit ? "COMMITTED" : "ROLLED BACK", x.txn);
                        },
                        [](const t::LogCheckpoint& k) {
                          return fmt::format("CHECKPOINT {}{} ({} balances, {} owners)", k.seq, k.last ? "" : " (part)",
                                             k.balances.size(), k.owners.size());
                        },
                    },
                    *r);
}

// The transaction a 2PC log entry names; 0 for a checkpoint or a torn entry.
uint64_t twopc_txn(const std::string& bytes) {
  const auto r = proto::twopc::decode(bytes);
  if (!r) return 0;
  return std::visit(proto::Overloaded{
                        [](const proto::twopc::LogCheckpoint&) { return uint64_t{0}; },
                        [](const auto& x) { return x.txn; },
                    },
                    *r);
}

void add_tail(NodeSnapshot& s, uint8_t disk_no, const node::Disk& d, size_t max, const node::Cluster& c) {
  s.disk_length[disk_no] = d.length();
  s.disk_durable[disk_no] = d.durable_length();
  const size_t from = std::max(d.first(), d.length() - std::min(d.length(), max));
  for (size_t i = from; i < d.length(); ++i) {
    s.wal.push_back(WalLine{disk_no, i, i < d.durable_length(),
                            disk_no == 0 ? storage_line(d.entry(i), c) : twopc_line(d.entry(i)),
                            disk_no == 0 ? 0 : twopc_txn(d.entry(i))});
  }
}

// The node's 2PC participant: an edge node's (a cache holder) or a cloud
// replica's, in a run with a billing workload; nullptr otherwise.
const proto::twopc::Participant* participant_of(const TierNode& node) {
  switch (node.role()) {
    case Role::kEdge: return static_cast<const EdgeNode&>(node).participant();
    case Role::kCloud: return static_cast<const CloudNode&>(node).participant();
    case Role::kCore: return nullptr;
  }
  return nullptr;
}

void add_locks(NodeSnapshot& s, const TierNode& node, size_t max) {
  const proto::twopc::Participant* p = participant_of(node);
  if (p == nullptr) return;
  s.participant = true;
  s.locks_held = p->locks_held();
  std::vector<proto::twopc::Participant::LockView> table = p->lock_table(SIZE_MAX);
  s.lock_rows = table.size();
  for (size_t i = 0; i < table.size() && i < max; ++i) {
    proto::twopc::Participant::LockView& v = table[i];
    s.locks.push_back(LockSnapshot{v.key, v.holder, static_cast<uint8_t>(v.holder_state), std::move(v.waiters)});
  }
  ECSIM_ASSERT(s.locks.size() <= max && s.locks.size() <= s.lock_rows && s.locks_held <= s.lock_rows);
}

const TierNode* as_tier_node(const node::Cluster& cluster, net::NodeId n) {
  if (!cluster.is_up(n)) return nullptr;
  const auto* node = dynamic_cast<const TierNode*>(cluster.actor(n));
  return node != nullptr && node->started() ? node : nullptr;
}

}  // namespace

NodeSnapshot node_snapshot(const node::Cluster& cluster, net::NodeId n, const SnapshotLimits& limits) {
  ECSIM_ASSERT(n < cluster.size());
  NodeSnapshot s;
  s.up = cluster.is_up(n);
  s.incarnation = cluster.incarnation(n);
  add_tail(s, 0, cluster.disk(n), limits.wal_entries_max, cluster);
  add_tail(s, 1, cluster.log_disk(n), limits.wal_entries_max, cluster);
  const TierNode* node = as_tier_node(cluster, n);
  if (node == nullptr) return s;
  s.tier_node = true;
  s.clock = node->clock();
  const proto::dsm::Replica& dsm = node->dsm();
  s.dsm_clock = dsm.clock();
  const auto& entries = dsm.entries();
  s.dsm_size = entries.size();
  const auto add = [&](uint64_t key, const proto::dsm::Stored& e) {
    s.dsm.push_back(DsmEntrySnapshot{key, e.value, e.writer, e.clock});
  };
  for (uint64_t key : limits.dsm_keys) {
    if (s.dsm.size() >= limits.dsm_entries_max) break;
    if (const proto::dsm::Stored* held = entries.find(key)) add(key, *held);
  }
  for (uint64_t key : entries.keys()) {
    if (s.dsm.size() >= limits.dsm_entries_max) break;
    if (!std::binary_search(limits.dsm_keys.begin(), limits.dsm_keys.end(), key))
      add(key, entries.at(key));
  }
  std::sort(s.dsm.begin(), s.dsm.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  ECSIM_ASSERT(s.dsm.size() <= limits.dsm_entries_max);
  add_locks(s, *node, limits.locks_max);
  return s;
}

const net::VectorClock* node_clock(const node::Cluster& cluster, net::NodeId n) {
  const TierNode* node = as_tier_node(cluster, n);
  return node == nullptr ? nullptr : &node->clock();
}

}  // namespace ecsim::tiers
