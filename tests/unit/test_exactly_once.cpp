// The exactly_once checker against hand-made trace histories: msgq's records
// and, where a rule needs them, the network's records of each transmission
// (include/ecsim/check/exactly_once.hpp has the definition these follow).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ecsim/check/exactly_once.hpp"
#include "ecsim/proto/msgq.hpp"

namespace test_exactly_once {

using namespace ecsim;
namespace msgq = ecsim::proto::msgq;

namespace {

constexpr int64_t kS = 1000000000;
constexpr int64_t kMs = 1000000;
constexpr int64_t kResend = 5 * kS;  // finish(): B = 5 s + 2 s
constexpr int64_t kSettle = 2 * kS;
constexpr uint32_t kKindDsm = 12;

// Nodes 0..2 named a, b, c.
struct History {
  check::ExactlyOnceChecker checker{{"a", "b", "c"}};
  // A msgq transmission; with a network envelope id, also the network's
  // send record that tiers/ writes right after it.
  void send(int64_t t, uint32_t from, uint32_t to, uint64_t seq, uint64_t transmission = 1,
            uint64_t id = 0) {
    checker.offer({t, msgq::kRecordSend, 0, from, to, 0, seq, transmission});
    if (id != 0) checker.offer({t, sim::RecordType::kSend, 0, from, to, kKindDsm, id, 100});
  }
  void net_deliver(int64_t t, uint64_t id, uint32_t to, uint32_t from) {
    checker.offer({t, sim::RecordType::kDeliver, 0, to, from, kKindDsm, id, 0});
  }
  void net_drop(int64_t t, uint64_t id, uint32_t to, uint32_t from,
                sim::DropReason why = sim::DropReason::kRandom) {
    checker.offer(
        {t, sim::RecordType::kDrop, static_cast<uint16_t>(why), to, from, kKindDsm, id, 0});
  }
  void deliver(int64_t t, uint32_t at, uint32_t from, uint64_t seq, uint64_t epoch = 0) {
    checker.offer({t, msgq::kRecordDeliver, 0, at, from, 0, seq, epoch});
  }
  void ignored(int64_t t, uint32_t at, uint32_t from, uint64_t seq, msgq::Ignored why,
               uint64_t epoch = 0) {
    checker.offer(
        {t, msgq::kRecordIgnored, static_cast<uint16_t>(why), at, from, 0, seq, epoch});
  }
  void acked(int64_t t, uint32_t sender, uint32_t receiver, uint64_t seq) {
    checker.offer({t, msgq::kRecordAcked, 0, sender, receiver, 0, seq, 0});
  }
  void crash(int64_t t, uint32_t node, uint64_t incarnation) {
    checker.offer({t, sim::RecordType::kCrash, 0, node, 0, 0, incarnation, 0});
  }
  void restart(int64_t t, uint32_t node, uint64_t incarnation) {
    checker.offer({t, sim::RecordType::kRestart, 0, node, 0, 0, incarnation, 0});
  }
  void finish(int64_t end) { checker.finish(end, kResend, kSettle); }
  std::string first() const {
    return checker.violations().empty() ? "" : checker.violations().front().what;
  }
};

}  // namespace

TEST_CASE("exactly_once: a clean history with a resend passes", "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1, 1, 1);
  h.send(1 * kS, 0, 1, 2, 1, 2);
  h.net_deliver(1 * kS + 5, 1, 1, 0);
  h.deliver(1 * kS + 5, 1, 0, 1);
  h.net_drop(1 * kS + 5, 2, 1, 0);
  h.send(6 * kS, 0, 1, 2, 2, 3);  // resent
  h.net_deliver(6 * kS + 5, 3, 1, 0);
  h.deliver(6 * kS + 5, 1, 0, 2);
  h.finish(60 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.sent() == 2);
  CHECK(h.checker.resent() == 1);
  CHECK(h.checker.delivered() == 2);
  CHECK(h.checker.summary() ==
        "2 messages put on the wire (1 resends), 2 delivered exactly once, 0 delivered again to a "
        "restarted receiver, none lost or duplicated, 0 in flight (undelivered) at the end");
}

TEST_CASE("exactly_once: a message delivered twice is reported with the nodes and time",
          "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 2, 7);
  h.deliver(1 * kS + 5, 2, 0, 7);
  h.send(6 * kS, 0, 2, 7, 2);      // its ACK was lost
  h.deliver(6 * kS + 5, 2, 0, 7);  // the receiver's de-dup failed
  h.finish(60 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  // Named at the second delivery: its time and its record (the 4th).
  CHECK(h.first() == "c at 6.000000005s, record #4: a -> c message 7 delivered twice: again at 6.000000005s");
  CHECK(h.checker.violations().front().time_ns == 6 * kS + 5);
  CHECK(h.checker.violations().front().record == 4);
  CHECK(h.checker.summary() ==
        "c at 6.000000005s, record #4: a -> c message 7 delivered twice: again at 6.000000005s (1 violations)");
}

TEST_CASE("exactly_once: slow link, a message resent 25 times and delivered late passes",
          "[check][msgq]") {
  // 250 ms one way, resent every 10 ms: 25 transmissions are on the wire
  // before the first arrives. The receiver delivers the first and answers
  // the other 24 as duplicates.
  History h;
  for (uint64_t k = 1; k <= 25; ++k) h.send(static_cast<int64_t>(k - 1) * 10 * kMs, 0, 1, 1, k, k);
  for (uint64_t k = 1; k <= 25; ++k) {
    const int64_t t = 250 * kMs + static_cast<int64_t>(k - 1) * 10 * kMs;
    h.net_deliver(t, k, 1, 0);
    if (k == 1) {
      h.deliver(t, 1, 0, 1);
    } else {
      h.ignored(t, 1, 0, 1, msgq::Ignored::kDuplicate);
    }
  }
  h.acked(500 * kMs, 0, 1, 1);
  h.finish(60 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.delivered() == 1);
  CHECK(h.checker.resent() == 24);
  CHECK(h.checker.in_flight() == 0);
}

TEST_CASE("exactly_once: slow link, a message sent 25 times and still on the wire is in flight",
          "[check][msgq]") {
  // The false alarm of a transmission count: at the end, 25 transmissions
  // of b's message to c are all still under way.
  History h;
  const int64_t end = 10 * kS;
  for (uint64_t k = 1; k <= 25; ++k) {
    h.send(end - 250 * kMs + static_cast<int64_t>(k - 1) * 10 * kMs, 1, 2, 1, k, k);
  }
  h.finish(end);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.in_flight() == 1);
  CHECK(h.checker.summary() ==
        "1 messages put on the wire (24 resends), 0 delivered exactly once, 0 delivered again to a "
        "restarted receiver, none lost or duplicated, 1 in flight (undelivered) at the end: resent "
        "on time, no transmission left unanswered by the receiver; the oldest, b -> c message 1, "
        "first sent at 9.75s, undelivered for 250ms after 25 transmissions");
}

TEST_CASE("exactly_once: a message whose sender stopped resending it is lost", "[check][msgq]") {
  // Both ends up all along; a sent it three times, the last at 20 s, never
  // recorded its ACK and then sent it no more: 40 s without a transmission,
  // against B = 7 s.
  History h;
  h.send(10 * kS, 0, 1, 1, 1, 1);
  h.net_drop(10 * kS, 1, 1, 0);
  h.send(15 * kS, 0, 1, 1, 2, 2);
  h.net_drop(15 * kS, 2, 1, 0);
  h.send(20 * kS, 0, 1, 1, 3, 3);
  h.net_drop(20 * kS, 3, 1, 0);
  h.send(59 * kS, 0, 1, 2);  // within B of the end: in flight
  h.finish(60 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.first() ==
        "a at 60s, record #10: a -> b message 1 first sent at 10s (record #1) is lost: undelivered at the end "
        "at 60s, and a stopped "
        "resending it after 20s (3 transmissions) without its ACK");
  CHECK(h.checker.lost() == 1);
  CHECK(h.checker.in_flight() == 1);
}

TEST_CASE("exactly_once: a message handed to its receiver and never answered is lost",
          "[check][msgq]") {
  // The network hands a's message to b at 1 s and again at 6 s; b, up all
  // along, neither delivers it nor records a refusal (a receiver that drops
  // messages). a keeps resending, so only the receiver's silence shows it.
  History h;
  for (uint64_t k = 1; k <= 12; ++k) {
    const int64_t t = static_cast<int64_t>(1 + 5 * (k - 1)) * kS;
    h.send(t, 0, 1, 1, k, k);
    h.net_deliver(t + kMs, k, 1, 0);
  }
  h.finish(60 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.first() ==
        "a at 60s, record #36: a -> b message 1 first sent at 1s (record #1) is lost: undelivered at the end "
        "at 60s, and the network "
        "handed it to b at 1.001s, which neither delivered nor refused it");
}

TEST_CASE("exactly_once: a hand-over waits the larger of B and its receiver's queue wait",
          "[check][msgq]") {
  // Handed to b at 50 s; B is 7 s. b's service queue may hold a message 12 s,
  // a's 30 s (which does not count for b).
  const std::vector<int64_t> waits{30 * kS, 12 * kS, 0};
  // a keeps resending every 5 s (the later copies never reach b), so only
  // rule (b) can find the message lost.
  const auto handed_at_50s = [](History& h) {
    h.send(50 * kS, 0, 1, 1, 1, 1);
    h.net_deliver(50 * kS, 1, 1, 0);
    h.send(55 * kS, 0, 1, 1, 2);
    h.send(60 * kS, 0, 1, 1, 3);
  };
  SECTION("within b's queue wait: in flight") {
    History h;
    handed_at_50s(h);
    h.checker.finish(61 * kS, kResend, kSettle, waits);
    CHECK(h.checker.violation_count() == 0);
  }
  SECTION("past it: lost") {
    History h;
    handed_at_50s(h);
    h.checker.finish(62 * kS + 1, kResend, kSettle, waits);
    REQUIRE(h.checker.violation_count() == 1);
    CHECK_THAT(h.first(), Catch::Contains("which neither delivered nor refused it"));
  }
  SECTION("a queue wait below B leaves B") {
    History h;
    handed_at_50s(h);
    h.checker.finish(57 * kS + 1, kResend, kSettle, std::vector<int64_t>{0, kS, 0});
    REQUIRE(h.checker.violation_count() == 1);
  }
}

TEST_CASE("exactly_once: hand-overs that were refused, undone or lost in a crash are in flight",
          "[check][msgq]") {
  History h;
  // a -> b: b refuses it each time with a record (its de-dup set is full).
  for (uint64_t k = 1; k <= 11; ++k) {
    const int64_t t = static_cast<int64_t>(5 * k) * kS;
    h.send(t, 0, 1, 1, k, k);
    h.net_deliver(t + kMs, k, 1, 0);
    h.ignored(t + 2 * kMs, 1, 0, 1, msgq::Ignored::kRefusedAbove);
  }
  // a -> c: c's queue is full, the hand-over is undone at once (overload).
  for (uint64_t k = 1; k <= 11; ++k) {
    const int64_t t = static_cast<int64_t>(5 * k) * kS + 100;
    h.send(t, 0, 2, 1, k, 100 + k);
    h.net_deliver(t + kMs, 100 + k, 2, 0);
    h.net_drop(t + kMs, 100 + k, 2, 0, sim::DropReason::kOverload);
  }
  // b -> c: handed to c at 10 s; c crashes at 11 s with it in its queue,
  // restarts at 12 s; later transmissions are dropped.
  h.send(10 * kS, 1, 2, 1, 1, 201);
  h.net_deliver(10 * kS + kMs, 201, 2, 1);
  h.crash(11 * kS, 2, 0);
  h.net_drop(11 * kS, 201, 2, 1, sim::DropReason::kNodeDown);
  h.restart(12 * kS, 2, 1);
  for (uint64_t k = 2; k <= 10; ++k) {
    const int64_t t = static_cast<int64_t>(10 + 5 * (k - 1)) * kS;
    h.send(t, 1, 2, 1, k, 200 + k);
    h.net_drop(t, 200 + k, 2, 1);
  }
  h.finish(60 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.in_flight() == 3);
}

TEST_CASE("exactly_once: a message acknowledged but never delivered is lost", "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1, 1, 1);
  h.net_deliver(1 * kS + kMs, 1, 1, 0);
  h.ignored(1 * kS + kMs, 1, 0, 1, msgq::Ignored::kDuplicate);  // "already have it"
  h.acked(1 * kS + 2 * kMs, 0, 1, 1);
  h.finish(60 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.first() ==
        "a at 1.002s, record #5: a -> b message 1 first sent at 1s (record #1) is lost: acknowledged at 1.002s "
        "but never delivered");
  CHECK(h.checker.lost() == 1);
}

TEST_CASE("exactly_once: under 90 percent loss undelivered messages are in flight, with ages",
          "[check][msgq]") {
  // Every transmission of a's message to b is dropped, resent every 5 s
  // for 50 s; c's messages to b were sent later. All are in flight; the
  // summary names the oldest and how long it has waited.
  History h;
  uint64_t id = 1;
  for (uint64_t k = 1; k <= 11; ++k) {
    const int64_t t = 300 * kMs + static_cast<int64_t>(5 * (k - 1)) * kS;
    h.send(t, 0, 1, 4, k, id);
    h.net_drop(t, id++, 1, 0);
  }
  for (uint64_t k = 1; k <= 7; ++k) {
    h.send(static_cast<int64_t>(15 + 5 * k) * kS, 2, 1, 9, k, id++);
    if (k < 7)
      h.net_drop(static_cast<int64_t>(15 + 5 * k) * kS, id - 1, 1, 2);  // the last is under way
  }
  h.send(49 * kS, 2, 1, 10, 1, id);
  h.net_deliver(49 * kS + kMs, id, 1, 2);  // handed over, not answered yet: within B
  h.finish(51 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.in_flight() == 3);
  CHECK(h.checker.summary() ==
        "3 messages put on the wire (16 resends), 0 delivered exactly once, 0 delivered again to a "
        "restarted receiver, none lost or duplicated, 3 in flight (undelivered) at the end: resent "
        "on time, no transmission left unanswered by the receiver; the oldest, a -> b message 4, "
        "first sent at 300ms, undelivered for 50.7s after 11 transmissions");
}

TEST_CASE("exactly_once: a network duplicate of a transmission is answered like any other",
          "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1, 1, 1);
  h.checker.offer({1 * kS, sim::RecordType::kDuplicate, 0, 0, 1, kKindDsm, 1, 100});
  h.net_deliver(1 * kS + kMs, 1, 1, 0);
  h.deliver(1 * kS + kMs, 1, 0, 1);
  h.net_deliver(1 * kS + 2 * kMs, 1, 1, 0);
  h.ignored(1 * kS + 2 * kMs, 1, 0, 1, msgq::Ignored::kDuplicate);
  h.acked(1 * kS + 3 * kMs, 0, 1, 1);
  h.finish(60 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.delivered() == 1);
}

TEST_CASE("exactly_once: a crashed sender abandons its messages, a down receiver waits",
          "[check][msgq]") {
  History h;
  // c's message to a: c crashes at 20 s and is down at the end.
  h.send(10 * kS, 2, 0, 1);
  h.crash(20 * kS, 2, 0);
  // b's message to a: b crashes and restarts, then sends to a again,
  // numbering from 1 in its new incarnation.
  h.send(10 * kS, 1, 0, 1);
  h.crash(20 * kS, 1, 0);
  h.restart(21 * kS, 1, 1);
  h.send(22 * kS, 1, 0, 1);
  h.deliver(22 * kS + kMs, 0, 1, 1, 1);
  // a's message to c, which is down: a keeps resending, every transmission
  // dropped.
  for (uint64_t k = 1; k <= 10; ++k) {
    const int64_t t = static_cast<int64_t>(5 * k) * kS;
    h.send(t, 0, 2, 1, k, k);
    h.net_drop(t, k, 2, 0, t < 20 * kS ? sim::DropReason::kRandom : sim::DropReason::kNodeDown);
  }
  h.finish(52 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.abandoned() == 2);
  CHECK(h.checker.in_flight() == 1);
  CHECK(h.checker.delivered() == 1);
  const std::string s = h.checker.summary();
  CHECK(s.find("; 2 abandoned undelivered by a crashed sender") != std::string::npos);
}

TEST_CASE(
    "exactly_once: a restarted receiver may see a resent message again, a sender's "
    "restart renumbers",
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
  h.finish(60 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.redelivered_after_restart() == 1);
  CHECK(h.checker.delivered() == 2);
}

TEST_CASE("exactly_once: a message of the sender's previous incarnation is still judged",
          "[check][msgq]") {
  // a crashes with message 3 to b on the wire and restarts; the message
  // arrives before a sends to b again, twice (a network duplicate).
  History h;
  h.send(1 * kS, 0, 1, 3);
  h.crash(2 * kS, 0, 0);
  h.restart(3 * kS, 0, 1);
  h.deliver(4 * kS, 1, 0, 3, 0);
  h.deliver(4 * kS + 1, 1, 0, 3, 0);
  h.finish(60 * kS);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.first() == "b at 4.000000001s, record #5: a -> b message 3 delivered twice: again at 4.000000001s");
  CHECK(h.checker.delivered() == 1);
  CHECK(h.checker.abandoned() == 0);
}

TEST_CASE("exactly_once: a delivery of a message never sent is reported", "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1);
  h.deliver(1 * kS + 5, 1, 0, 1);
  h.deliver(2 * kS, 1, 0, 5);
  REQUIRE(h.checker.violation_count() == 1);
  CHECK(h.first() == "b at 2s, record #3: b delivered message 5 from a, which a never sent");
}

TEST_CASE("exactly_once: a transmission without its network record is counted as unmatched",
          "[check][msgq]") {
  History h;
  h.send(1 * kS, 0, 1, 1);  // no network send record after it
  h.deliver(1 * kS + 5, 1, 0, 1);
  h.finish(60 * kS);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.unmatched_transmissions() == 1);
  CHECK(h.checker.summary().ends_with(
      "; 1 transmissions not followed to their receiver (no network send record after them)"));
}

}  // namespace test_exactly_once
