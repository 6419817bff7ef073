// A read-only look at one node's internals, for the viewer's node panel:
// its vector clock, its DSM replica (a bounded number of entries), the
// tail of its two disks' logs (the storage WAL and the 2PC log), decoded,
// and its 2PC participant's lock table (holders and waiters).
// Taken on request only (never on the hot path), from a run the viewer
// drives itself (viz/model/probe.hpp); verdicts never read it (they read
// trace records, DESIGN "Trace").
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/node/cluster.hpp"

namespace ecsim::tiers {

struct SnapshotLimits {
  size_t dsm_entries_max = 24;   // DSM entries listed: the watched keys held, then the lowest keys
  size_t wal_entries_max = 10;   // entries listed per disk, the last ones
  std::vector<uint64_t> dsm_keys;  // watched keys, sorted: listed first whenever held
  // 2PC lock table rows listed, the lowest keys. Default: every row (a
  // participant's table is bounded by its own limits: at most two rows
  // per live transaction, proto::twopc::Participant::lock_table).
  size_t locks_max = SIZE_MAX;
};

// One key of a 2PC participant's lock table (proto/twopc_participant.hpp):
// locks are exclusive (one holder), held from PREPARE to the decision;
// waiters are older transactions waiting for it under wait-die.
struct LockSnapshot {
  uint64_t key = 0;     // an account (its subscriber id) or a number (proto::twopc::number_key)
  uint64_t holder = 0;  // the transaction holding it; 0: free (only waiters)
  uint8_t holder_state = 0;  // the holder's proto::twopc::TxnState
  std::vector<uint64_t> waiters;  // oldest first
  bool operator==(const LockSnapshot&) const = default;
};

struct DsmEntrySnapshot {
  uint64_t key = 0;
  uint64_t value = 0;
  net::NodeId writer = 0;
  net::VectorClock clock;
  bool operator==(const DsmEntrySnapshot&) const = default;
};

// One log entry: its disk (0: the node's disk, the storage WAL; 1: the log
// disk, the 2PC log), its index, whether a sync made it durable, and what
// it holds in a line ("put key 17 = 230 v3 by core-1").
struct WalLine {
  uint8_t disk = 0;
  uint64_t index = 0;
  bool durable = false;
  std::string text;
  uint64_t txn = 0;  // a 2PC log entry's transaction (0: none, a checkpoint, or the storage WAL)
  bool operator==(const WalLine&) const = default;
};

struct NodeSnapshot {
  bool up = false;
  bool tier_node = false;  // false: the run has no three-tier nodes (a ping run): no clock, no DSM
  uint32_t incarnation = 0;
  net::VectorClock clock;      // the node's clock (what its messages carry)
  net::VectorClock dsm_clock;  // its DSM replica's data clock
  uint64_t dsm_size = 0;       // entries its replica holds
  std::vector<DsmEntrySnapshot> dsm;  // at most dsm_entries_max, by key
  std::array<uint64_t, 2> disk_length{};   // per disk: entries ever kept (Disk::length)
  std::array<uint64_t, 2> disk_durable{};  // per disk: the durable prefix
  std::vector<WalLine> wal;  // the last wal_entries_max entries of each disk, disk 0 first, oldest first
  bool participant = false;  // it runs a 2PC participant (an edge or cloud node of a billing run)
  uint64_t locks_held = 0;   // keys its participant holds locked
  std::vector<LockSnapshot> locks;  // at most locks_max rows, by key
  uint64_t lock_rows = 0;           // rows of the whole table (keys held or waited for)
  bool operator==(const NodeSnapshot&) const = default;
};

// REQUIRES: n < cluster.size().
NodeSnapshot node_snapshot(const node::Cluster& cluster, net::NodeId n, const SnapshotLimits& limits);
// The node's vector clock now; nullptr when it is down or not a tier node.
const net::VectorClock* node_clock(const node::Cluster& cluster, net::NodeId n);

}  // namespace ecsim::tiers
