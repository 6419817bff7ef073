// Causality checker: recomputes every node's vector clock on its own from
// the trace's send and deliver records, with the rules of check/clock_model
// (send = increment then attach; receive = merge then increment; local =
// increment), written from their definition apart from proto/vclock, the
// code it judges; it never trusts a clock a node carried. It verifies that:
//   - the clock hash a node attached to a send (clock_send record) equals the
//     recomputed clock of the sender at that send;
//   - every receive happens after its send: the recomputed send clock is
//     causally before the receiver's recomputed clock, the deliver is not
//     earlier than the send, and the receiver's reported clock hash
//     (clock_recv record) equals the recomputed one;
//   - every clock_recv matches a deliver of a tracked message, and every
//     deliver of a tracked message gets its clock_recv before the node's next
//     clock record.
// Messages without a clock_send record are not vclock-tracked and ignored.
// Memory: one clock per node, plus the clocks of tracked messages still in
// flight (dropped on their last deliver or drop), at most kInFlightMax; past
// that the oldest message is evicted and counted, and a later receive of an
// evicted message is counted as unverified instead of checked.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

struct CausalityViolation {
  int64_t time_ns = 0;
  uint32_t node = 0;
  uint64_t message_id = 0;
  std::string what;
};

class CausalityChecker final : public sim::TraceObserver {
 public:
  static constexpr size_t kInFlightMax = size_t{1} << 18;
  static constexpr size_t kViolationsMax = 100;

  struct Options {
    // False: a node's clock is volatile and starts empty after a restart
    // (a kRestart record); true: the node layer keeps it across crashes.
    bool clocks_survive_restart = false;
  };

  // `names` labels nodes in messages; node ids index it.
  explicit CausalityChecker(std::vector<std::string> names);
  CausalityChecker(std::vector<std::string> names, Options options);

  void on_record(const sim::Record& r) override;
  // Call at the end of the run: reports delivers still waiting for their
  // clock_recv record.
  void finish(int64_t end_ns);

  const std::vector<CausalityViolation>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  uint64_t sends_checked() const { return sends_checked_; }
  uint64_t receives_checked() const { return receives_checked_; }
  uint64_t evictions() const { return evictions_; }
  uint64_t unverified_receives() const { return unverified_receives_; }
  size_t in_flight() const { return in_flight_.size(); }
  // The recomputed clock of `node`. REQUIRES: node < names.size().
  const net::VectorClock& clock_of(uint32_t node) const;

 private:
  // A delivered message must reach its actor (its clock_recv) within this;
  // longer means the node lost it without a record. Service queues are far
  // shorter (docs/model.md).
  static constexpr int64_t kTakeWithinNs = 1'000'000'000;
  struct InFlight {
    net::VectorClock clock;  // recomputed sender clock at the send
    uint32_t src = 0;
    int64_t send_ns = 0;
    uint32_t copies = 1;  // a duplicate adds one; each receive or drop ends one
    uint32_t arrived = 0;  // copies delivered to the node, not yet taken by its actor
    int64_t arrived_ns = 0;  // the last such delivery
  };
  // A send whose clock_send record has not come yet.
  struct LastSend {
    uint64_t id = 0;
    uint32_t dst = 0;
    uint32_t copies = 1;  // a duplicate recorded at the send adds one
    uint32_t ended = 0;   // copies dropped at the send
  };

  void on_send(const sim::Record& r);
  void on_duplicate(const sim::Record& r);
  void on_drop(const sim::Record& r);
  void on_clock_send(const sim::Record& r);
  void on_deliver(const sim::Record& r);
  void on_clock_recv(const sim::Record& r);
  void on_clock_local(const sim::Record& r);
  void on_copy_ends(uint64_t id);
  void on_restart(const sim::Record& r);
  void remember(uint64_t id, InFlight f);
  void report(int64_t time_ns, uint32_t node, uint64_t message_id, std::string what);
  const std::string& name(uint32_t node) const { return names_[node]; }

  std::vector<std::string> names_;
  Options options_;
  std::vector<net::VectorClock> clocks_;
  std::vector<std::optional<LastSend>> last_send_;
  std::map<uint64_t, InFlight> in_flight_;  // by message id: the oldest first
  std::vector<CausalityViolation> violations_;
  uint64_t violation_count_ = 0;
  uint64_t sends_checked_ = 0;
  uint64_t receives_checked_ = 0;
  uint64_t evictions_ = 0;
  uint64_t unverified_receives_ = 0;
};

}  // namespace ecsim::check
