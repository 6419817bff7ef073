// Exactly-once checker for reliable messaging (proto/msgq), from the trace
// alone: msgq's send, ACK, deliver and ignore records and the network's
// send, duplicate, deliver and drop records. It never looks at the
// protocol's own counters. It judges what msgq promises: the sender resends
// every message until it is ACKed (at-least-once delivery while both ends
// stay up and the network eventually delivers), and the receiver hands each
// message to its owner once per incarnation. msgq promises no deadline, so
// neither does the checker: a slow or lossy network is never a violation.
//
// The definition (docs/scenarios.md, `exactly_once`, says the same):
//
// A message is one msgq Data: (sender, receiver, sender incarnation, seq),
// put on the wire by its first transmission (a msgq send record with b = 1)
// and resent (b > 1) until the sender records its ACK. Let
// B = resend_timeout + settle, where resend_timeout is the longest wait
// between two transmissions (messaging.resend_timeout without the recovery
// rules, msgq's backoff cap with them) and settle is expect.quiescence:
// 10 s + 2 s by default.
//
// - Delivered: the receiver's msgq handed it to its owner (a msgq deliver
//   record).
// - Delivered twice (a violation): delivered more than once to the same
//   receiver incarnation. A restarted receiver lost its de-dup state, so one
//   more delivery per later incarnation is allowed (counted).
// - Lost (a violation): never delivered, and msgq broke a promise about it:
//   (a) its sender recorded its ACK (acknowledged, never delivered); or
//   (b) the network handed a transmission of it to the receiver (a network
//       deliver record, not undone at once by an overload drop) more than B
//       (or the longest wait in the receiver's service queue, if longer)
//       before the end, and by the end the receiver, not crashed since, had
//       neither delivered it nor recorded why it did not (a msgq ignore
//       record); or
//   (c) its sender, up and in the same incarnation at the end, had not
//       transmitted it for more than B before the end: it stopped resending
//       a message whose ACK it never recorded.
// - In flight (not a violation; counted, and the oldest reported with its
//   age and transmissions): never delivered, not lost, sender still up in
//   its incarnation. Its sender kept resending it, and every transmission
//   was dropped by the network (loss, partition, a receiver down, a link
//   reset, an overloaded receiver), refused by the receiver with a record,
//   lost in a receiver crash, or is still under way. Under 90 % loss a
//   message needs ten transmissions on average, about 75 s at a 5 s resend
//   timeout backing off to 10 s: many are still in flight at the end of a
//   short run.
// - Abandoned (not a violation; counted): undelivered when its sender
//   crashed. The promise lasts while the sender is up; a restarted sender
//   numbers from 1 again.
//
// Matching transmissions to the network: tiers/ puts a msgq Data on the wire
// at once, so its msgq send record is immediately followed by the network's
// send record, which names the envelope id that later deliver and drop
// records carry. A transmission without that send record right after it
// cannot be followed to its receiver (rule (b) cannot see it): such
// transmissions are counted and the summary names them.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/check/durability.hpp"  // Violation
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

class ExactlyOnceChecker final : public sim::TraceObserver {
 public:
  static constexpr size_t kViolationsMax = 100;

  explicit ExactlyOnceChecker(std::vector<std::string> names);
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;

  // Judges the messages still undelivered at `end_ns` (rules (b) and (c)
  // with B = resend_timeout_ns + settle_ns; rule (b) waits the larger of B
  // and `queue_wait_ns[receiver]`, the longest its service queue may hold a
  // message, when given). Call once.
  // REQUIRES: resend_timeout_ns > 0, settle_ns >= 0; queue_wait_ns empty or
  // one value >= 0 per node.
  void finish(int64_t end_ns, int64_t resend_timeout_ns, int64_t settle_ns,
              std::span<const int64_t> queue_wait_ns = {});
  // The verdict's detail: the first violation and their number, or the
  // counts (delivered, again after a restart, undelivered: in flight with
  // the oldest one's age, and abandoned). REQUIRES: finish() was called.
  std::string summary() const;

  const std::vector<Violation>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  uint64_t sent() const { return sent_; }  // first transmissions
  uint64_t resent() const { return resent_; }
  uint64_t delivered() const { return delivered_; }  // first deliveries
  uint64_t redelivered_after_restart() const { return redelivered_; }
  // Delivered after their sender restarted: their pair's state was reset, so
  // a second delivery of one of them would go unseen (the summary says so).
  uint64_t delivered_after_sender_restart() const { return late_; }
  uint64_t in_flight() const { return in_flight_; }  // undelivered at the end, not lost
  uint64_t abandoned() const { return abandoned_; }  // undelivered when the sender crashed
  uint64_t lost() const { return lost_; }
  uint64_t unmatched_transmissions() const { return unmatched_; }

 private:
  // A queue of times, the first held in place: almost every message is
  // handed over once, so the queue allocates only for a second copy.
  class HandedTimes {
   public:
    bool empty() const { return count_ == 0; }
    int64_t front() const {
      ECSIM_ASSERT(count_ > 0);
      return first_ns_;
    }
    void push_back(int64_t ns) {
      if (count_++ == 0) {
        first_ns_ = ns;
      } else {
        more_.push_back(ns);
      }
    }
    void pop_front() {
      ECSIM_ASSERT(count_ > 0);
      if (--count_ > 0) {
        first_ns_ = more_.front();
        more_.erase(more_.begin());
      }
    }
    void pop_back() {
      ECSIM_ASSERT(count_ > 0);
      if (--count_ > 0) more_.pop_back();
    }
    void clear() {
      count_ = 0;
      more_.clear();
    }

   private:
    int64_t first_ns_ = 0;
    uint32_t count_ = 0;
    std::vector<int64_t> more_;  // the ones after the first, oldest first
  };
  struct Pending {
    int64_t first_sent_ns = 0;
    uint64_t first_sent_record = 0;  // the index of its first msgq send record
    int64_t last_sent_ns = 0;
    uint32_t transmissions = 0;
    // When the network handed the transmissions to the receiver that it
    // has not answered yet (with a deliver or ignore record), oldest first.
    // An answer takes the oldest: the receiver serves its queue in order,
    // and if it did not, the rest would only look younger (never a false
    // alarm).
    HandedTimes handed_ns;
  };
  struct Pair {
    uint32_t epoch = 0;  // the sender's incarnation
    // By seq; looked up, and walked in seq order only at the end (finish).
    sim::FlatMap<Pending> undelivered;
    // Delivered (in any incarnation of the receiver): every seq <= low, and
    // the set above it.
    uint64_t low = 0;
    std::set<uint64_t> above;
    // What had been delivered when the receiver last restarted (its low
    // and the set above it then): each may be delivered once more. `again`
    // holds those delivered again since (only un-ACKed messages are resent,
    // so both stay small).
    uint64_t before_low = 0;
    std::set<uint64_t> before_above;
    std::set<uint64_t> again;
  };
  // A transmission on the wire (network envelope id -> message), with the
  // copies (a network duplicate adds one) not yet delivered or dropped.
  struct Wire {
    uint32_t sender = 0;
    uint32_t receiver = 0;
    uint32_t epoch = 0;
    uint64_t seq = 0;
    uint32_t copies = 1;
  };
  // The oldest in-flight message, for the summary.
  struct Oldest {
    uint32_t sender = 0;
    uint32_t receiver = 0;
    uint64_t seq = 0;
    Pending m;
  };

  // A violation at `time_ns`, about trace record `record` (check/durability.hpp's format).
  void report(int64_t time_ns, uint64_t record, uint32_t node, std::string what);
  Pair& pair(uint32_t sender, uint32_t receiver);
  Pending* find_pending(uint32_t sender, uint32_t receiver, uint32_t epoch, uint64_t seq);
  void on_send(const sim::Record& r);
  void on_net_send(const sim::Record& r);
  void on_net_deliver(const sim::Record& r);
  void on_net_drop(const sim::Record& r);
  void on_acked(const sim::Record& r);
  void on_ignored(const sim::Record& r);
  void on_deliver(const sim::Record& r);
  void on_crash(uint32_t node);
  void on_restart(uint32_t node, uint32_t incarnation);
  bool delivered_now(const Pair& p, uint64_t seq) const;
  void judge_undelivered(uint32_t sender, uint32_t receiver, uint64_t seq, const Pending& m,
                         int64_t end_ns, int64_t bound_ns, int64_t handed_bound_ns);
  std::string name(uint32_t node) const;

  std::vector<std::string> names_;
  std::vector<uint32_t> incarnation_;  // per node
  std::vector<bool> up_;
  std::map<std::pair<uint32_t, uint32_t>, Pair> pairs_;
  sim::FlatMap<Wire> wire_;  // by envelope id; looked up only, never iterated
  uint64_t last_index_ = 0;  // the index of the record looked at before this one
  // A msgq send record waiting for the network's send record right after it.
  bool unmatched_send_ = false;
  Wire last_send_;
  // A hand-over the network's next record may undo (the receiver's queue
  // was full: a drop record for the same envelope right after it).
  bool handed_ = false;
  uint64_t handed_id_ = 0;
  Wire handed_msg_;

  std::vector<Violation> violations_;
  uint64_t violation_count_ = 0;
  uint64_t sent_ = 0, resent_ = 0, delivered_ = 0, redelivered_ = 0, late_ = 0;
  uint64_t in_flight_ = 0, abandoned_ = 0, lost_ = 0, unmatched_ = 0;
  bool finished_ = false;
  int64_t end_ns_ = 0;
  bool has_oldest_ = false;
  Oldest oldest_;
};

}  // namespace ecsim::check
