#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ecsim/check/exactly_once.hpp"
#include "ecsim/proto/msgq.hpp"

using namespace ecsim;
using namespace ecsim::sim::literals;
namespace msgq = ecsim::proto::msgq;

namespace {

// Nodes 0..2 named a, b, c. Hand-made msgq histories.
struct History {
  check::ExactlyOnceChecker checker{{"a", "b", "c"}};
  void send(int64_t t, uint32_t from, uint32_t to, uint64_t seq, uint64_t transmission = 1) {
    checker.on_record({t, msgq::kRecordSend, 0, from, to, 0, seq, transmission});
  }
  void deliver(int64_t t, uint32_t at, uint32_t from, uint64_t seq, uint64_t epoch = 0) {
    checker.on_record({t, msgq::kRecordDeliver, 0, at, from, 0, seq, epoch});
  }
  void crash(int64_t t, uint32_t node, uint64_t incarnation) {
    checker.on_record({t, sim::RecordType::kCrash, 0, node, 0, 0, incarnation, 0});
  }
  void restart(int64_t t, uint32_t node, uint64_t incarnation) {
    checker.on_record({t, sim::RecordType::kRestart, 0, node, 0, 0, incarnation, 0});
  }
};

constexpr int64_t kS = 1000000000;

}  // namespace

TEST_CASE("exactly_once: a clean history with a resend passes", "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1);
  h.send(1 * kS, 0, 1, 2);
  h.send(6 * kS, 0, 1, 2, 2);  // resent
  h.deliver(1 * kS + 5, 1, 0, 1);
  h.deliver(6 * kS + 5, 1, 0, 2);
  h.checker.finish(60 * kS, 5 * kS, 2 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.sent() == 2);
  CHECK(h.checker.resent() == 1);
  CHECK(h.checker.delivered() == 2);
}

TEST_CASE("exactly_once: a message delivered twice is reported with the nodes and time", "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 2, 7);
  h.deliver(1 * kS + 5, 2, 0, 7);
  h.deliver(6 * kS, 2, 0, 7);  // the receiver's de-dup failed
  h.checker.finish(60 * kS, 5 * kS, 2 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.checker.violations().front().what == "a -> c message 7 delivered twice: again at 6s");
  CHECK(h.checker.violations().front().time_ns == 6 * kS);
}

TEST_CASE("exactly_once: a message never delivered is lost, unless it was recent or an end crashed", "[check][msgq]") {
  History h;
  h.send(10 * kS, 0, 1, 1);   // lost
  h.send(59 * kS, 0, 1, 2);   // within the settle period: in flight
  h.send(10 * kS, 1, 2, 1);   // receiver c is down at the end: excused
  h.crash(20 * kS, 2, 0);
  h.send(10 * kS, 2, 0, 1);   // sender c crashed since: excused
  h.checker.finish(60 * kS, 5 * kS, 2 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.checker.violations().front().what ==
        "a -> b message 1 first sent at 10s was never delivered by the end at 60s: its sender stopped "
        "resending it after 10s");
  CHECK(h.checker.in_flight() == 3);
}

TEST_CASE("exactly_once: a restarted receiver may see a resent message again; a sender's restart renumbers",
          "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1);
  h.deliver(1 * kS + 5, 1, 0, 1);
  h.crash(2 * kS, 1, 0);
  h.restart(3 * kS, 1, 1);
  h.send(6 * kS, 0, 1, 1, 2);  // its ACK was lost in the crash: resent
  h.deliver(6 * kS + 5, 1, 0, 1);
  // The sender restarts and numbers from 1 again in its new incarnation.
  h.crash(7 * kS, 0, 0);
  h.restart(8 * kS, 0, 1);
  h.send(9 * kS, 0, 1, 1);
  h.deliver(9 * kS + 5, 1, 0, 1, 1);
  h.checker.finish(60 * kS, 5 * kS, 2 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.redelivered_after_restart() == 1);
  CHECK(h.checker.delivered() == 2);
}

TEST_CASE("exactly_once: a delivery of a message never sent is reported", "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1);
  h.deliver(1 * kS + 5, 1, 0, 1);
  h.deliver(2 * kS, 1, 0, 5);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.checker.violations().front().what == "b delivered message 5 from a, which a never sent");
}

TEST_CASE("exactly_once: a message waiting for its next resend is in flight; one resent in vain is lost",
          "[check][msgq]") {
  History h;
  // b was down from 20 s to 57 s: a's message to it is resent every 5 s and
  // the next resend is due after the end. In flight, not lost.
  h.crash(20 * kS, 1, 0);
  h.send(21 * kS, 0, 1, 1);
  for (int k = 1; k <= 7; ++k) h.send((21 + 5 * k) * kS, 0, 1, 1, k + 1);  // the last at 56 s
  h.restart(57 * kS, 1, 1);
  // c is up all along, yet a's message to it, resent every 2 s to the end,
  // is never delivered.
  h.send(1 * kS, 0, 2, 1);
  for (int k = 1; k < 30; ++k) h.send((1 + 2 * k) * kS, 0, 2, 1, k + 1);
  h.checker.finish(60 * kS, 5 * kS, 2 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.checker.violations().front().what ==
        "a -> c message 1 first sent at 1s was never delivered by the end at 60s: it was sent 30 times while c "
        "was up");
  CHECK(h.checker.in_flight() == 1);
}
