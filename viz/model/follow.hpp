// Following one 2PC transaction end to end (the 2PC tab): which kept
// records, messages and log entries belong to it, so the log, the topology
// and the space-time diagram can highlight them. No ImGui.
//
// The 2PC records name their transaction (proto/twopc.hpp: `a` = txn for
// the coordinator, vote, participant, lock, query, refusal, outcome and
// applied records); the network's send records and the WAL records do not
// (net/ carries payloads opaquely; a WAL record names a log index).
// A 2PC message (kind twopc) is attributed exactly: the Timeline's run read
// the transaction from its body as it was sent (Timeline::message_txn),
// so where one event sends messages of two transactions (a group commit's
// sync completing votes for both) each is highlighted with its own. A 2PC
// WAL record (a log replayed, an entry rejected, a truncation, a
// checkpoint) is attributed exactly too: it belongs to the transactions
// with an entry in the part of the log it names, known from each entry as
// the run appended it (Timeline::wal_txns). A message or WAL record the
// Timeline could not attribute (past its bounds, or a rebuilt session's
// record the run has not passed again) is attributed by where it was made:
// by a node in an event in which that node also made a record of the
// transaction; those may be shared between two transactions handled in one
// event (both highlighted, never one missed). What is attributed exactly
// belongs to the transaction wherever it lies in the scanned records (a
// decision resent on a timer is sent in an event that names no
// transaction); what is attributed by place, only in the events of the
// transaction's own records. A message's deliver or drop goes with its send.
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/sim/trace.hpp"
#include "ecsim/tiers/snapshot.hpp"

namespace ecsim::viz {

class Timeline;

// Whether a record names transaction `txn` itself (its 2PC records, locks included).
bool names_txn(const sim::Record& r, uint64_t txn);
// Whether a record is a 2PC record (types 70-79).
bool is_twopc_record(const sim::Record& r);
// Whether a 2PC record says an entry went into a node's 2PC log (WAL): the
// coordinator's START, decision and END; a participant's PREPARED, its
// COMMIT or ABORT applied and appended, its logged NO; a WAL checkpoint,
// truncation, replay or rejection (proto/twopc.hpp, "Log records").
bool is_log_entry(const sim::Record& r);

// Whether a row of a node's 2PC lock table (tiers::NodeSnapshot::locks)
// belongs to transaction `txn`: it holds the key or waits for it.
bool lock_involves(const tiers::LockSnapshot& l, uint64_t txn);

// The transaction of the latest 2PC record naming one (names_txn) among
// the `scan_max` records before the cursor; 0: none.
uint64_t latest_txn(const Timeline& t, uint64_t scan_max);

// What `--follow VALUE` names: a transaction id, or one of follow_names()
// resolved from the run -- `first` (the first transaction started),
// `latest` (the latest at the cursor, as the 2PC tab's "Follow it"),
// `first-commit`, `first-abort` (the first its coordinator decided to
// commit, to abort) -- and the index of the transaction's first record.
struct FollowTarget {
  uint64_t txn = 0;
  uint64_t first_record = 0;
};
// Simulates as far as it must (the whole run for a value naming nothing).
// nullopt: `why` says in one line what was wrong (not an id or a name, or
// no such transaction in this run).
std::optional<FollowTarget> resolve_follow(Timeline& t, const std::string& value, std::string& why);
const char* follow_names();

class TxnFollow {
 public:
  static constexpr uint64_t kScanMax = 200'000;  // records scanned either side of the cursor

  // Recomputes for `txn` (0: none) around the cursor when the transaction,
  // or the records collected, changed since the last call; cheap otherwise.
  void update(const Timeline& t, uint64_t txn);
  // The same, over records [lo, hi) (tests).
  void compute(const Timeline& t, uint64_t txn, uint64_t lo, uint64_t hi);

  uint64_t txn() const { return txn_; }
  bool active() const { return txn_ != 0; }
  // The kept record at `index` belongs to the transaction.
  bool record(uint64_t index) const;
  // The message with this id (a send record's `a`) belongs to it.
  bool message(uint64_t message_id) const { return messages_.count(message_id) != 0; }
  // ... and was attributed by its sending node and event, not read from
  // its body (it may belong to another transaction as well).
  bool inferred(uint64_t message_id) const { return inferred_.count(message_id) != 0; }
  size_t inferred_count() const { return inferred_.size(); }
  // Its records, ascending (2PC, lock, WAL, send, deliver and drop records).
  const std::vector<uint64_t>& records() const { return records_; }
  size_t message_count() const { return messages_.size(); }
  size_t lock_count() const { return locks_; }
  size_t wal_count() const { return wal_; }  // is_log_entry records
  // WAL records among them attributed by node and event, not exactly.
  size_t inferred_wal_count() const { return inferred_wal_; }

 private:
  uint64_t txn_ = 0;
  uint64_t collected_ = 0;
  uint64_t lo_ = 0, hi_ = 0;
  std::vector<uint64_t> records_;
  std::set<uint64_t> messages_;
  std::set<uint64_t> inferred_;
  size_t locks_ = 0, wal_ = 0, inferred_wal_ = 0;
};

}  // namespace ecsim::viz
