// Edge-isolation checker (issue 4, item 11): an edge node has no path to
// write cloud storage. Writes go edge -> core -> cloud; a cloud replica
// refuses, counts and traces any write that does not come from a core node.
// The byzantine fault `strategy: cloud_direct_write` makes edge nodes send
// forged writes straight to the cloud replicas; this checker judges that
// they changed nothing. It has two halves:
//
// - ForgedWrites follows every forged write from the trace alone (it never
//   looks into a node): the runner registers each one as it sends it, the
//   network's send record binds the registration to a message id, and the
//   deliver, drop and duplicate records of that id and the replicas' refusal
//   and write records (proto/storage) tell what became of it. Any write a
//   replica accepted from a node that is not a core node is a violation,
//   forged or not.
// - check_replica_writers: at the end, no replica holds a version whose
//   writer is not a core node (a forged write carries the edge node as its
//   writer and a counter far above any real one, so had one been applied it
//   would still be there). It reads how many versions each writer has on
//   each replica from the end state the tiers trace (tiers/end_state.hpp).
//
// Violations name their simulated time and trace record (check/durability.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ecsim/check/acked_writes.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

// A forged write's version counter is this plus its request id: above any
// counter a real write reaches, so it would win every last-write-wins merge.
inline constexpr uint64_t kForgedCounterBase = uint64_t{1} << 62;

// What became of the forged writes, at the end of a run. Each forged write
// counts once, in the first of these that applies.
struct ForgedWritesReport {
  uint64_t sent = 0;
  uint64_t applied = 0;     // accepted by a replica: a violation
  uint64_t refused = 0;     // refused by a replica as not from a core node
  uint64_t lost = 0;        // every copy dropped before a replica handled it
  uint64_t unanswered = 0;  // delivered at least `grace` before the end, neither refused nor lost: a violation
  uint64_t in_flight = 0;   // in the network or a service queue at the end
  uint64_t refusals = 0;    // not-from-core refusals traced by the replicas (a duplicated copy is refused twice)
  uint64_t other_applied = 0;  // writes from a non-core node that were not registered forgeries: violations
  std::string first_violation;  // empty when there is none
  bool ok() const { return applied == 0 && unanswered == 0 && other_applied == 0; }
};

class ForgedWrites final : public sim::TraceObserver {
 public:
  static constexpr size_t kWritesMax = size_t{1} << 18;

  // `is_core[n]`: node n is a core node (the only nodes allowed to write);
  // `storage_kind`: the envelope kind of storage messages; `names` label nodes.
  ForgedWrites(std::vector<bool> is_core, uint32_t storage_kind, std::vector<std::string> names);

  // True when no more forged writes can be followed (kWritesMax registered).
  bool full() const { return writes_.size() >= kWritesMax; }
  // Registers forged write `req_id` (unique per run) that `from` sends to `to`
  // now; the next storage send record from `from` to `to` binds it.
  // REQUIRES: !full(), no registration pending, req_id not registered.
  void forging(uint32_t from, uint32_t to, uint64_t req_id, uint64_t key, sim::Time now);
  // True once the registration's send record was seen (call after sending).
  bool bound() const { return !pending_; }

  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;

  // `grace`: how long a delivered write may wait in a replica's service
  // queue before its silence counts as unanswered.
  ForgedWritesReport report(sim::Time end, sim::Duration grace) const;

 private:
  struct Write {
    uint32_t from = 0;
    uint32_t to = 0;
    uint64_t key = 0;
    int64_t sent_ns = 0;
    uint32_t copies = 1;  // 2 when the network duplicated it
    uint32_t delivered = 0;
    uint32_t dropped = 0;
    uint32_t refused = 0;
    uint32_t applied = 0;
    int64_t delivered_ns = 0;  // the last delivery
    uint64_t delivered_record = 0;
  };
  Write* find_message(uint64_t message_id);
  void note_violation(const sim::Record& r, const std::string& what);

  std::vector<bool> is_core_;
  uint32_t storage_kind_;
  std::vector<std::string> names_;
  std::map<uint64_t, Write> writes_;          // by request id
  std::map<uint64_t, uint64_t> by_message_;   // message id -> request id
  sim::Accounted bytes_{sim::Resource::kForgedWrites};
  bool pending_ = false;
  uint64_t pending_req_ = 0;
  uint64_t refusals_ = 0;
  uint64_t other_applied_ = 0;
  std::string first_violation_;
};

// How many of the versions a replica holds at the end each writer wrote
// (from kRecordEndWriter records).
struct WriterCount {
  uint32_t writer = 0;
  uint64_t versions = 0;
  uint64_t first_key = 0;  // the smallest key among them
  uint64_t record = 0;     // the trace record that says so
};
struct ReplicaWriters {
  uint32_t node = 0;
  bool from_disk = false;  // down at the end: what its log replays to
  int64_t time_ns = 0;
  std::vector<WriterCount> writers;  // by writer, ascending
};

struct WriterViolation {
  uint64_t key = 0;  // the smallest key the writer wrote
  uint32_t replica = 0;
  uint32_t writer = 0;
  uint64_t versions = 0;
  std::string what;  // the time and record; names the replica, a key and the writer
};

struct ReplicaWritersReport {
  static constexpr size_t kViolationsMax = 100;
  uint64_t versions_checked = 0;  // (replica, key) pairs
  uint64_t violation_count = 0;   // versions written by a non-core node
  std::vector<WriterViolation> violations;  // the first kViolationsMax (replica, writer) pairs, by replica then writer
  bool ok() const { return violation_count == 0; }
};

// Every version every replica holds must have a core node as its writer.
ReplicaWritersReport check_replica_writers(const std::vector<ReplicaWriters>& replicas,
                                           const std::vector<bool>& is_core,
                                           const std::vector<std::string>& names);

}  // namespace ecsim::check
