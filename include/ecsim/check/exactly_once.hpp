// Exactly-once checker for reliable messaging (proto/msgq), from the trace
// alone (it never looks at the protocol's own counters).
//
// A message is identified by (sender, receiver, sender incarnation, seq); its
// first transmission is a msgq send record with b = 1, its resends have b > 1.
// It must be delivered (a msgq deliver record) at most once per receiver
// incarnation -- a restarted receiver lost its de-dup state and may see a
// resent message once more, which the protocol allows -- and at least once.
// At the end, a message never delivered is lost when its sender and its
// receiver are both up and either the sender stopped resending it (no
// transmission for `resend_timeout + settle`) or it was transmitted
// kTransmissionsMax times while its receiver was up. Otherwise it is in
// flight (waiting for its next resend, or an end crashed): counted, not a
// violation.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/check/durability.hpp"  // Violation
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

class ExactlyOnceChecker final : public sim::TraceObserver {
 public:
  static constexpr size_t kViolationsMax = 100;

  explicit ExactlyOnceChecker(std::vector<std::string> names);
  void on_record(const sim::Record& r) override;
  static constexpr uint32_t kTransmissionsMax = 20;

  // Judges the messages still undelivered at `end_ns`. Call once.
  void finish(int64_t end_ns, int64_t resend_timeout_ns, int64_t settle_ns);

  const std::vector<Violation>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  uint64_t sent() const { return sent_; }            // first transmissions
  uint64_t resent() const { return resent_; }
  uint64_t delivered() const { return delivered_; }  // first deliveries
  uint64_t redelivered_after_restart() const { return redelivered_; }
  uint64_t in_flight() const { return in_flight_; }  // undelivered at the end, excused

 private:
  struct Pending {
    int64_t first_sent = 0;
    int64_t last_sent = 0;
    uint32_t sent_to_live_receiver = 0;  // transmissions while the receiver was up
  };
  struct Pair {
    uint32_t epoch = 0;  // the sender's incarnation
    std::map<uint64_t, Pending> undelivered;
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
  void report(const sim::Record& r, std::string what);
  Pair& pair(uint32_t sender, uint32_t receiver);
  void on_send(const sim::Record& r);
  void on_deliver(const sim::Record& r);
  bool delivered_now(const Pair& p, uint64_t seq) const;

  std::vector<std::string> names_;
  std::vector<uint32_t> incarnation_;  // per node
  std::vector<bool> up_;
  std::map<std::pair<uint32_t, uint32_t>, Pair> pairs_;
  std::vector<Violation> violations_;
  uint64_t violation_count_ = 0;
  uint64_t sent_ = 0, resent_ = 0, delivered_ = 0, redelivered_ = 0, in_flight_ = 0;
};

}  // namespace ecsim::check
