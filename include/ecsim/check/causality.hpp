// Causality checker: recomputes every node's vector clock on its own from
// the trace's send and receive records, with the rules of check/clock_model
// (send = increment then attach; receive = merge then increment; local =
// increment), written from their definition apart from proto/vclock, the
// code it judges; it never trusts a clock a node carried. It verifies that:
//   - the clock hash a node attached to a send (clock_send record) equals the
//     recomputed clock of the sender at that send, and the clock_send follows
//     that message's send record;
//   - a clock_local record's hash equals the node's recomputed clock;
//   - every receive happens after its send: the delivery matches the send
//     (same ends, not earlier), the receiver's clock_recv follows a delivery
//     of a tracked message, and the receiver's reported clock hash equals
//     its recomputed clock after the receive (merge, then increment: strictly
//     after the send's recomputed clock by construction) (a mismatch is
//     explained when it is a skipped merge, a missing increment or an
//     adopted sender clock);
//   - every delivered copy is taken by the receiver's actor (its clock_recv)
//     within the take bound (1 s, or the longest service-queue wait the
//     model allows when that is longer), unless the receiver crashed or
//     refused it first.
// Messages without a clock_send record are not vclock-tracked and ignored.
//
// Every violation names the node, the simulated time and the record: its
// ordinal among the records the checker was given, counted from 1 (a run
// hands it every record from the first, so record #N is line N of
// `ecsim trace dump`).
//
// Memory: one clock per node, plus the clocks of tracked messages really in
// flight: a message leaves the table when each of its copies (a duplicate
// adds one) is received or dropped, including the drops the network records
// before the sender's clock_send and those of a crashed receiver's service
// queue. The table holds at most kInFlightMax messages. A message sent when
// it is full is not tracked: its receive cannot be recomputed, so it is
// counted as unverified, never as a violation, and the receiver's clock
// becomes unknown (as do the clocks its later messages reach); an unknown
// clock's records are counted as unverified too, until a restart empties it.
// Known clocks stay exact: nothing is evicted or guessed.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

struct CausalityViolation {
  int64_t time_ns = 0;
  uint64_t record = 0;  // the ordinal of the record it was found at, from 1
  uint32_t node = 0;
  uint64_t message_id = 0;  // 0 for a local event
  std::string what;         // "NODE at TIME, record #N: ..."
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
  std::span<const sim::RecordType> record_types() const override;
  // Call at the end of the run: reports copies delivered more than
  // their receiver's take bound before `end_ns` and never taken by it:
  // `take_within_ns[node]` when given (the longest wait that node's service
  // queue allows, if above kTakeWithinNs), else kTakeWithinNs.
  // REQUIRES: take_within_ns empty or one positive bound per node.
  void finish(int64_t end_ns, std::span<const int64_t> take_within_ns = {});
  // A delivered copy must reach its actor (its clock_recv) within this;
  // longer means the node lost it without a record. The run passes, per
  // node, the longest wait its service queue allows when that is longer
  // (tiers::TierParams::service_wait_max, docs/model.md).
  static constexpr int64_t kTakeWithinNs = 1'000'000'000;

  const std::vector<CausalityViolation>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  uint64_t sends_checked() const { return sends_checked_; }
  uint64_t receives_checked() const { return receives_checked_; }
  uint64_t locals_checked() const { return locals_checked_; }
  // Clock records (send, receive, local) not verified because a clock they
  // depend on is unknown (see the header comment); 0 unless the table filled.
  uint64_t unverified() const { return unverified_; }
  // Clock-carrying messages sent while kInFlightMax messages were tracked.
  uint64_t untracked_at_bound() const { return untracked_at_bound_; }
  // The checker reached its own limit: part of the run went unchecked, so
  // its verdict fails as incomplete (never a silent pass).
  bool incomplete() const { return untracked_at_bound_ > 0; }
  size_t in_flight() const { return in_flight_.size(); }
  size_t in_flight_peak() const { return in_flight_peak_; }
  // The verdict detail of a run without violations: what was checked and,
  // when some of it could not be, what was not.
  std::string summary() const;
  // The recomputed clock of `node`, meaningful while clock_known(node).
  // REQUIRES: node < names.size().
  const net::VectorClock& clock_of(uint32_t node) const;
  bool clock_known(uint32_t node) const;

 private:
  struct InFlight {
    net::VectorClock clock;   // the recomputed sender clock at the send
    bool clock_known = true;  // false: the sender's clock was unknown
    uint32_t src = 0;
    uint32_t dst = 0;
    uint32_t clock_bytes = 0;  // the clock's buffer, accounted while followed
    int64_t send_ns = 0;
    uint64_t send_record = 0;  // the send record's ordinal (not its clock_send's)
    uint32_t copies = 1;       // copies neither received nor dropped yet
    uint32_t arrived = 0;      // of those, delivered to the node and not taken by its actor
    int64_t arrived_ns = 0;    // the last such delivery
    uint64_t arrived_record = 0;
  };
  // A send whose clock_send record has not come yet.
  struct PendingSend {
    uint64_t id = 0;
    uint32_t dst = 0;
    uint32_t copies = 1;  // a duplicate recorded at the send adds one
    uint32_t ended = 0;   // copies dropped at the send
    uint64_t record = 0;  // the send record's ordinal
  };
  // By message id. Unordered: lookups are one probe, not a walk down a
  // tree; the one place whose order shows (finish) sorts the ids.
  using InFlightMap = sim::FlatMap<InFlight>;

  void on_send(const sim::Record& r);
  void on_duplicate(const sim::Record& r);
  void on_drop(const sim::Record& r);
  void on_clock_send(const sim::Record& r);
  void on_deliver(const sim::Record& r);
  void on_clock_recv(const sim::Record& r);
  void check_receive(const sim::Record& r, const InFlight& sent);
  std::string explain_receive(const sim::Record& r, const InFlight& sent) const;
  void on_clock_local(const sim::Record& r);
  void on_crash(const sim::Record& r);
  void on_restart(const sim::Record& r);
  void end_copy(uint64_t id, InFlight& m);
  void forget_clock(uint32_t node);
  // A violation at the current record.
  void report(const sim::Record& r, uint32_t node, std::string what);
  void report(int64_t time_ns, uint64_t record, uint32_t node, uint64_t message_id,
              std::string what);
  std::string name(uint32_t node) const;
  std::string clock_text(const net::VectorClock& c) const;

  std::vector<std::string> names_;
  Options options_;
  std::vector<net::VectorClock> clocks_;
  std::vector<uint8_t> known_;  // per node: its clock is exact (not after an untracked receive)
  std::vector<std::optional<PendingSend>> pending_send_;
  InFlightMap in_flight_;
  // The clocks of received messages, kept for their storage: the next
  // send's clock reuses it, so the steady state allocates nothing per message.
  static constexpr size_t kSpareClocksMax = 1024;
  std::vector<net::VectorClock> spare_clocks_;
  net::VectorClock before_receive_;  // scratch: the receiver's clock before the receive
  std::vector<CausalityViolation> violations_;
  uint64_t violation_count_ = 0;
  uint64_t sends_checked_ = 0;
  uint64_t receives_checked_ = 0;
  uint64_t locals_checked_ = 0;
  uint64_t unverified_ = 0;
  uint64_t untracked_at_bound_ = 0;
  size_t in_flight_peak_ = 0;
  sim::Accounted in_flight_bytes_{sim::Resource::kCausalityInFlight};  // the table's slots (it never shrinks)
  sim::AccountedRunning clock_bytes_{sim::Resource::kCausalityInFlight};  // the followed messages' clocks
};

}  // namespace ecsim::check
