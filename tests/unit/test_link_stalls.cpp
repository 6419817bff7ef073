// check::LinkStalls on hand-made send, deliver and drop records: when a
// FIFO connection held messages past its latency tail.
#include <catch2/catch.hpp>

#include "ecsim/check/link_stalls.hpp"

namespace test_link_stalls {

using namespace ecsim;

namespace {
constexpr uint32_t kKind = 15;
constexpr uint32_t kX = 1, kY = 2, kOther = 3;

sim::Record net(int64_t t_ns, sim::RecordType type, uint32_t from, uint32_t to, uint64_t id,
                uint32_t kind = kKind) {
  sim::Record r;
  r.time_ns = t_ns;
  r.type = type;
  // A send names sender -> receiver; a deliver or a drop receiver <- sender.
  r.node = type == sim::RecordType::kSend ? from : to;
  r.peer = type == sim::RecordType::kSend ? to : from;
  r.kind = kind;
  r.a = id;
  return r;
}
sim::Record send(int64_t t, uint32_t from, uint32_t to, uint64_t id, uint32_t kind = kKind) {
  return net(t, sim::RecordType::kSend, from, to, id, kind);
}
sim::Record deliver(int64_t t, uint32_t from, uint32_t to, uint64_t id, uint32_t kind = kKind) {
  return net(t, sim::RecordType::kDeliver, from, to, id, kind);
}
sim::Record drop(int64_t t, uint32_t from, uint32_t to, uint64_t id) {
  return net(t, sim::RecordType::kDrop, from, to, id);
}
}  // namespace

TEST_CASE("link stalls: messages within the tail are never late", "[check]") {
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 10);
  s.on_record(send(0, kX, kY, 1));
  s.on_record(send(5, kY, kX, 2));
  s.on_record(deliver(10, kX, kY, 1));
  s.on_record(deliver(12, kY, kX, 2));
  CHECK(s.late_ns(kX, kY, 0, 100) == 0);
  CHECK(s.entries() == 0);
}

TEST_CASE("link stalls: a slow message is late past its tail, and so is the wait behind it", "[check]") {
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 10);
  s.on_record(send(0, kX, kY, 1));
  s.on_record(send(20, kX, kY, 2));   // waits behind 1
  s.on_record(deliver(50, kX, kY, 1));  // late over [10, 50)
  s.on_record(deliver(50, kX, kY, 2));  // late over [30, 50): merged
  CHECK(s.late_ns(kX, kY, 0, 100) == 40);
  CHECK(s.late_ns(kY, kX, 0, 100) == 40);  // the pair, either way round
  CHECK(s.late_ns(kX, kY, 20, 40) == 20);  // clipped to the window
  CHECK(s.late_ns(kX, kY, 60, 100) == 0);
}

TEST_CASE("link stalls: the oldest message still in flight is late until now", "[check]") {
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 10);
  s.on_record(send(0, kX, kY, 1));
  s.on_record(send(5, kX, kY, 2));
  CHECK(s.late_ns(kX, kY, 0, 8) == 0);
  CHECK(s.late_ns(kX, kY, 0, 100) == 90);
  // A drop of the first: the second is the oldest now.
  s.on_record(drop(30, kX, kY, 1));
  CHECK(s.late_ns(kX, kY, 0, 100) == 85);
  CHECK(s.entries() == 1);
}

TEST_CASE("link stalls: both directions are one union, other kinds and pairs are not followed", "[check]") {
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 20);
  s.on_record(send(0, kX, kY, 1));
  s.on_record(send(0, kY, kX, 2));
  s.on_record(send(0, kX, kOther, 3));     // not watched
  s.on_record(send(0, kX, kY, 4, 11));     // another kind
  s.on_record(deliver(40, kX, kY, 1));      // late [10, 40)
  s.on_record(deliver(60, kY, kX, 2));      // late [20, 60)
  CHECK(s.late_ns(kX, kY, 0, 100) == 50);  // [10, 60)
  CHECK(s.late_ns(kX, kOther, 0, 100) == 0);
  CHECK(s.entries() == 2);  // the two merged intervals, nothing in flight
}

TEST_CASE("link stalls: a copy or a message delivered out of order is forgotten, never stricter", "[check]") {
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 10);
  s.on_record(send(0, kX, kY, 1));
  s.on_record(send(1, kX, kY, 2));
  s.on_record(deliver(5, kX, kY, 2));   // reordered: 1 is forgotten
  s.on_record(deliver(90, kX, kY, 1));  // unknown now: nothing
  s.on_record(deliver(95, kX, kY, 2));  // a duplicate's copy: nothing
  CHECK(s.late_ns(kX, kY, 0, 100) == 0);
  CHECK(s.entries() == 0);
}

TEST_CASE("link stalls: a message overtaken past its tail was late until the overtaking delivery", "[check]") {
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 10);
  s.on_record(send(0, kX, kY, 1));     // held back: due at 10
  s.on_record(send(50, kX, kY, 2));
  s.on_record(deliver(60, kX, kY, 2));  // overtakes 1: late [10, 60)
  CHECK(s.late_ns(kX, kY, 0, 100) == 50);
  s.on_record(deliver(90, kX, kY, 1));  // forgotten by then: nothing more
  CHECK(s.late_ns(kX, kY, 0, 100) == 50);
}

TEST_CASE("link stalls: a crash or a cut resets what is in flight, nothing later waits behind it", "[check]") {
  for (const bool by_crash : {true, false}) {
    check::LinkStalls s(kKind);
    s.watch(kX, kY, 10, 10);
    s.on_record(send(0, kX, kY, 1));  // never delivered: late from 10 on
    if (by_crash) {
      s.reset_node(kY);
    } else {
      s.reset_cut([](uint32_t x, uint32_t y) { return x == kX && y == kY; });
    }
    CHECK(s.late_ns(kX, kY, 0, 100) == 0);
    CHECK(s.entries() == 0);
  }
  // A cut of another pair leaves this one.
  check::LinkStalls s(kKind);
  s.watch(kX, kY, 10, 10);
  s.on_record(send(0, kX, kY, 1));
  s.reset_cut([](uint32_t x, uint32_t) { return x == kOther; });
  s.reset_node(kOther);
  CHECK(s.late_ns(kX, kY, 0, 100) == 90);
}

}  // namespace test_link_stalls
