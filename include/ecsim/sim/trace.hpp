// The trace: every event of a run (send, deliver, drop, duplicate, timer,
// crash, restart, fault, disk sync and loss, ...) as a fixed 40-byte record.
// Records are hashed with XXH3-64 over their canonical little-endian bytes
// in batches as the run goes (a store per record, one hash call per 1,600),
// optionally written to a trace file, and optionally handed to observers
// (checkers) one by one, each only the record types it subscribed to. Free-form text and wall-clock figures never enter
// a record.
#pragma once
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace ecsim::sim {

static_assert(std::endian::native == std::endian::little,
              "trace records are hashed and stored as little-endian bytes");

enum class RecordType : uint16_t {
  kSend = 1,       // node -> peer, kind, a = message id, b = size bytes
  kDeliver = 2,    // node (receiver) <- peer, kind, a = message id
  kDrop = 3,       // node (receiver) <- peer, kind, a = message id, code = DropReason
  kDuplicate = 4,  // node -> peer, kind, a = message id of the copy's original
  kTimer = 5,      // node, a = timer tag
  kCrash = 6,      // node
  kRestart = 7,    // node, a = incarnation
  kFault = 8,      // code = fault kind, a = fault index, b = 1 applied / 0 reverted; an at_point
                   // fault firing: node = the node, kind = the proto::Point
  kDiskWrite = 9,  // node, a = log index
  kDiskSync = 10,  // node, a = durable length after the sync
  kDiskLoss = 11,  // node, kind = un-synced entries lost, a = length kept, b = durable length at the crash
  kRecover = 12,   // node, a = recovered log length
  kPingSent = 13,  // node -> peer, a = ping id
  kPingDone = 14,  // node <- peer (a pong arrived), kind = workload, a = ping id, b = the pong's transit ns
  kBench = 15,     // kernel benchmark event: node = target, a = state
  kLimit = 16,     // the run stopped early: code 1 = --max-events
  // Numbers owned by protocol headers (each defines its constants there;
  // tests/unit/test_record_types.cpp checks they never collide):
  //   17-19 proto/vclock (clock_send, clock_recv, clock_local)
  //   20    proto/dsm      21-25 proto/rpc      26-29 proto/msgq
  //   30    proto/auth     40-49 proto/storage
  //   31, 34-39 tiers (client.bad_token, edge.suspect, client.start, client.end, edge.lookup,
  //         edge.stale_read, edge.rehydration)  32 proto/rpc (rpc.attempt)  33 proto/msgq (msgq.accepted)
  //   60-65 tiers/end_state (the end state the verdicts compare)  66 tiers (cloud.op)
  //   70-79 proto/twopc (coordinator, vote, participant, lock, query, ignored, refused, wal,
  //         outcome, applied)  80-88, 90 tiers/billing (billing.account, billing.number,
  //         billing.start, billing.end, billing.read, billing.op, billing.end_node,
  //         billing.end_balance, billing.end_owner; billing.end_log)  89 tiers/actions (action)
  kLoad = 50,      // node, a = cpu permille << 32 | memory permille, b = queue length << 32 | served; kind = mean response us; code = open connections
  kLimitReached = 51,  // a named limit was reached (sim/limits.hpp): code = Resource, node, a = the limit,
                       // b = reaches so far; code 1 (memory): kind = the Resource holding the most bytes,
                       // a = the memory maximum, b = the accounted bytes
};
const char* record_type_name(RecordType t);

enum class DropReason : uint16_t {
  kRandom = 1,     // the link's drop probability
  kPartition = 2,  // the link is cut
  kNodeDown = 3,   // the receiver is down
  kLinkReset = 4,  // in flight when a partition or crash reset the link
  kSenderDown = 5, // the sender crashed while it was in flight
  kOverload = 6,   // the receiver's service queue was full
  kInFlightLimit = 7,  // the network held net::Network::kInFlightMax messages, or the message's
                       // link kLinkInFlightMax (sim/limits.hpp)
};

struct Record {
  int64_t time_ns = 0;
  RecordType type{};
  uint16_t code = 0;
  uint32_t node = 0;
  uint32_t peer = 0;
  uint32_t kind = 0;
  uint64_t a = 0;
  uint64_t b = 0;
};
static_assert(sizeof(Record) == 40, "Record has no padding: its bytes are its canonical form");

// Reads records of a run. A Trace offers an observer only the record types
// it names in record_types() (asked once, when it is added); an observer
// that names none is offered every record. Either way record_index() is the
// offered record's 1-based index in the whole trace, so an observer can
// name a record (`record #N`) and tell whether two records it saw were
// adjacent without being offered the ones in between.
class TraceObserver {
 public:
  virtual ~TraceObserver() = default;
  virtual void on_record(const Record& r) = 0;
  // The record types it reads; empty: every type.
  virtual std::span<const RecordType> record_types() const { return {}; }
  // Offers `r` as the next record of a hand-fed trace (tests, tools): every
  // record, in order, one index after the last.
  void offer(const Record& r) {
    ++index_;
    on_record(r);
  }

 protected:
  // The 1-based index in the trace of the record being offered.
  uint64_t record_index() const { return index_; }

 private:
  friend class Trace;
  uint64_t index_ = 0;
};

// Receives the raw record bytes batch by batch (the trace file writer).
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void write(const Record* records, size_t count) = 0;
};

class Trace {
 public:
  static constexpr size_t kBatchRecords = 1632;  // ~64 KiB

  // `hashing` false: records are counted but neither hashed nor kept
  // (bench pingpong --no-hash).
  explicit Trace(bool hashing = true);
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // Record types an observer can subscribe to one by one: 0..kTypesMax-1.
  static constexpr size_t kTypesMax = 128;

  void record(const Record& r) {
    ++count_;
    if (observed_) notify(r);
    if (!hashing_) return;
    batch_[batch_used_] = r;
    if (++batch_used_ == kBatchRecords) flush();
  }
  // Subscribes `observer` to its record_types() (every type if it names
  // none). Observers of a type are offered its records in the order they
  // were added. REQUIRES: every type it names is below kTypesMax.
  void add_observer(TraceObserver* observer);
  void set_sink(TraceSink* sink) { sink_ = sink; }

  // Flushes and returns the hash of every record so far (the run's trace
  // hash at its end). Recording may continue afterwards.
  uint64_t hash();
  uint64_t count() const { return count_; }
  bool hashing() const { return hashing_; }

 private:
  void flush();
  void notify(const Record& r);
  struct State;
  bool hashing_;
  size_t batch_used_ = 0;
  uint64_t count_ = 0;
  std::unique_ptr<std::array<Record, kBatchRecords>> batch_storage_;
  Record* batch_;
  std::unique_ptr<State> state_;
  TraceSink* sink_ = nullptr;
  bool observed_ = false;
  std::array<std::vector<TraceObserver*>, kTypesMax> by_type_;  // per record type
  std::vector<TraceObserver*> every_;  // those that read every type (offered types >= kTypesMax too)
};

// Hashes a sequence of records exactly as Trace does (for re-hashing files).
class RecordHasher {
 public:
  RecordHasher();
  ~RecordHasher();
  void update(const Record* records, size_t count);
  uint64_t digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ecsim::sim
