// Checkers that judge what the three tiers promised, from trace records
// alone (DESIGN: "Checkers judge promises"):
//
// - AckedDurability (`durability` on three-tier runs): every write ack a
//   cloud replica sends (storage.ack: "this version, or a newer one, is
//   durable here") must survive that replica's crash: when it restarts, the
//   versions its log replay recovered (storage.recovered records, before its
//   storage.wal replayed record) must hold each key it ever acked at that
//   version counter or a newer one.
// - AtMostOnce (`at_most_once`): an RPC server executes a request (an
//   rpc.serve record with outcome execute) at most once per (client, call
//   id) in one incarnation of the server; a crash forgets its response
//   cache, so a retry after the server's restart may execute again.
// - BadTokens (`tokens`): every client request sent with a bad token
//   (forged, expired, malformed, another subscriber's) ends refused, or
//   failed (its edge node down or overloaded): never answered ok, and never
//   passed on to core (client.bad_token records, and the client.end record
//   that follows each: its row says whether core had the request).
//
// Each names the simulated time and record index (1-based, the line of
// `ecsim trace dump`) of its first violations.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ecsim/check/durability.hpp"  // Violation
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

// Counts records and keeps the first violations, for the three below.
class PromiseChecker : public sim::TraceObserver {
 public:
  static constexpr size_t kViolationsMax = 100;
  explicit PromiseChecker(std::vector<std::string> names) : names_(std::move(names)) {}
  const std::vector<Violation>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  // The first violation, or `summary` when there is none.
  std::string detail(const std::string& summary) const;

 protected:
  void report(const sim::Record& r, const std::string& what);
  const std::string& name(uint32_t n) const;

 private:
  std::vector<std::string> names_;
  std::vector<Violation> violations_;
  uint64_t violation_count_ = 0;
};

class AckedDurability final : public PromiseChecker {
 public:
  using PromiseChecker::PromiseChecker;
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  uint64_t acks() const { return acks_; }
  uint64_t recoveries_checked() const { return recoveries_; }
  uint64_t promises_checked() const { return promises_checked_; }

 private:
  // Per replica: key -> the highest version counter it acked.
  // Node -> key -> highest acked version. Unordered inside: one probe per
  // ACK; a replay check visits the keys in ascending order.
  std::map<uint32_t, sim::FlatMap<uint64_t>> promised_;
  std::map<uint32_t, std::map<uint64_t, uint64_t>> recovering_;  // replicas replaying now
  uint64_t acks_ = 0, recoveries_ = 0, promises_checked_ = 0;
};

class AtMostOnce final : public PromiseChecker {
 public:
  using PromiseChecker::PromiseChecker;
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  uint64_t executions() const { return executions_; }
  uint64_t retries_seen() const { return retries_; }  // answered from the cache or still executing
  // Executions it could not remember (its limit check.at_most_once.calls:
  // executed calls since the server's last crash); a second execution of
  // one of them would pass unseen, so the verdict fails as incomplete.
  uint64_t untracked() const { return untracked_; }
  bool incomplete() const { return untracked_ > 0; }
  // A smaller bound than the limit's, for tests. REQUIRES: calls_max >= 1.
  void set_calls_max(uint64_t calls_max) { calls_max_ = calls_max; }
  uint64_t calls_max() const { return calls_max_; }

 private:
  // Per server (by node id): the (client, call id) pairs it executed since
  // its last crash. Looked up and cleared, never iterated. A client numbers
  // its calls 1, 2, 3, ... over all the servers it calls, so one server sees
  // a dense share of each client's ids: they are kept as bitmaps of 64
  // consecutive ids, keyed by (client, id / 64) -- a few bits per call
  // instead of a hash-table node of 50 bytes.
  struct Chunk {
    uint32_t client = 0;
    uint64_t block = 0;  // call id / 64
    bool operator==(const Chunk&) const = default;
  };
  struct ChunkBits {
    uint64_t operator()(const Chunk& c) const { return c.block ^ (uint64_t{c.client} << 40) ^ (uint64_t{c.client} >> 24); }
  };
  using Calls = sim::FlatMap<uint64_t, Chunk, ChunkBits>;  // bit (id % 64) of the chunk's mask
  // Marks the call executed; false when it was already.
  bool remember(Calls& calls, uint32_t client, uint64_t id);
  bool remembered(const Calls& calls, uint32_t client, uint64_t id) const;
  void account();  // the tables' bytes, after one grew or was cleared
  std::vector<Calls> executed_;
  std::vector<uint64_t> executed_counts_;  // per server: the calls its table holds
  uint64_t executed_count_ = 0;            // over every server
  sim::Accounted executed_bytes_{sim::Resource::kAtMostOnceCalls};  // executed_, for --memory-max
  uint64_t executions_ = 0, retries_ = 0, untracked_ = 0;
  uint64_t calls_max_ = sim::resource_info(sim::Resource::kAtMostOnceCalls).max;
};

class BadTokens final : public PromiseChecker {
 public:
  using PromiseChecker::PromiseChecker;
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  uint64_t requests() const { return requests_; }
  uint64_t refused() const { return refused_; }
  uint64_t failed() const { return failed_; }
  uint64_t unsettled() const { return unsettled_; }  // still open at the end

 private:
  uint64_t requests_ = 0, refused_ = 0, failed_ = 0, unsettled_ = 0;
  // The bad-token request whose client.end record comes next (traced right
  // after its client.bad_token record), when its row is still to be judged.
  bool awaiting_end_ = false;
  uint64_t awaiting_id_ = 0;
  uint64_t awaiting_subscriber_ = 0;
  uint32_t awaiting_kind_ = 0;
};

}  // namespace ecsim::check
