#include <xxhash.h>

#include <catch2/catch.hpp>

#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/rng.hpp"

namespace test_vclock {

using namespace ecsim;
namespace vc = ecsim::proto::vclock;
using net::VectorClock;
using vc::Order;

namespace {

VectorClock make(std::vector<std::pair<net::NodeId, uint64_t>> e) {
  return VectorClock{std::move(e)};
}

// A random valid clock over nodes 0..7 with counters 0..3 (zeros left out).
VectorClock random_clock(sim::Rng& rng) {
  VectorClock c;
  for (net::NodeId n = 0; n < 8; ++n) {
    const uint64_t v = rng.below(4);
    if (v > 0) c.entries.emplace_back(n, v);
  }
  return c;
}

VectorClock merged(VectorClock a, const VectorClock& b) {
  vc::merge(a, b);
  return a;
}

}  // namespace

TEST_CASE("vclock: increment adds a sparse entry in node order and never a zero", "[vclock]") {
  VectorClock c;
  vc::increment(c, 5);
  vc::increment(c, 2);
  vc::increment(c, 5);
  CHECK(c == make({{2, 1}, {5, 2}}));
  CHECK(c.get(5) == 2);
  CHECK(c.get(3) == 0);
  CHECK(vc::is_valid(c));
  CHECK_FALSE(vc::is_valid(make({{1, 0}})));
  CHECK_FALSE(vc::is_valid(make({{3, 1}, {2, 1}})));
}

TEST_CASE("vclock: merge is the entry-wise max and keeps the clock sparse and sorted", "[vclock]") {
  VectorClock a = make({{1, 3}, {4, 1}});
  vc::merge(a, make({{0, 2}, {4, 5}, {9, 1}}));
  CHECK(a == make({{0, 2}, {1, 3}, {4, 5}, {9, 1}}));
  VectorClock b = make({{0, 2}, {1, 3}});
  vc::merge(b, make({{1, 1}}));  // covered: merged in place
  CHECK(b == make({{0, 2}, {1, 3}}));
}

TEST_CASE("vclock: merge is commutative associative and idempotent on random clocks", "[vclock]") {
  sim::Rng rng(42);
  for (int i = 0; i < 2000; ++i) {
    const VectorClock a = random_clock(rng), b = random_clock(rng), c = random_clock(rng);
    CHECK(merged(a, b) == merged(b, a));
    CHECK(merged(merged(a, b), c) == merged(a, merged(b, c)));
    CHECK(merged(a, a) == a);
    CHECK(vc::is_valid(merged(a, b)));
    // The merge is an upper bound of both.
    const Order oa = vc::compare(a, merged(a, b));
    CHECK((oa == Order::kBefore || oa == Order::kEqual));
  }
}

TEST_CASE("vclock: compare gives before after equal and concurrent", "[vclock]") {
  const VectorClock a = make({{1, 1}});
  const VectorClock b = make({{1, 2}, {2, 1}});
  const VectorClock c = make({{2, 3}});
  CHECK(vc::compare(a, b) == Order::kBefore);
  CHECK(vc::compare(b, a) == Order::kAfter);
  CHECK(vc::compare(a, a) == Order::kEqual);
  CHECK(vc::compare(a, c) == Order::kConcurrent);
  CHECK(vc::compare(VectorClock{}, a) == Order::kBefore);
  CHECK(vc::happens_before(a, b));
  CHECK_FALSE(vc::happens_before(b, a));
  CHECK_FALSE(vc::happens_before(a, a));
  CHECK_FALSE(vc::happens_before(a, c));
  CHECK(vc::sum(b) == 3);
}

TEST_CASE("vclock: compare is antisymmetric on random clocks", "[vclock]") {
  sim::Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    const VectorClock a = random_clock(rng), b = random_clock(rng);
    const Order ab = vc::compare(a, b), ba = vc::compare(b, a);
    if (ab == Order::kBefore) CHECK(ba == Order::kAfter);
    if (ab == Order::kConcurrent) CHECK(ba == Order::kConcurrent);
    CHECK((ab == Order::kEqual) == (a == b));
  }
}

TEST_CASE("vclock: hash is XXH3-64 over little-endian node and counter pairs", "[vclock]") {
  const unsigned char bytes[] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
                                 3, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0};
  CHECK(vc::hash(make({{1, 2}, {259, 9}})) == XXH3_64bits(bytes, sizeof bytes));
  CHECK(vc::hash(VectorClock{}) == XXH3_64bits(nullptr, 0));
  CHECK(vc::hash(make({{1, 2}})) != vc::hash(make({{1, 3}})));
  VectorClock big;  // past the stack buffer
  for (net::NodeId n = 0; n < 100; ++n) big.entries.emplace_back(n, n + 1);
  VectorClock big2 = big;
  big2.entries.back().second++;
  CHECK(vc::hash(big) != vc::hash(big2));
}

TEST_CASE("vclock: to_string uses names where known", "[vclock]") {
  const VectorClock c = make({{0, 3}, {4, 1}});
  CHECK(vc::to_string(c) == "{0:3, 4:1}");
  CHECK(vc::to_string(c, {"edge-1", "edge-2", "edge-3", "core-1", "core-2"}) ==
        "{edge-1:3, core-2:1}");
  CHECK(vc::to_string(VectorClock{}) == "{}");
}

TEST_CASE("vclock: ClockKeeper increments on send and merges then increments on receive",
          "[vclock]") {
  vc::ClockKeeper a(0), b(1);
  a.on_local_event();
  const VectorClock carried = a.on_send();
  CHECK(carried == make({{0, 2}}));
  b.on_local_event();
  b.on_receive(carried);
  CHECK(b.clock() == make({{0, 2}, {1, 2}}));
  CHECK(vc::happens_before(carried, b.clock()));
  const VectorClock reply = b.on_send();
  a.on_receive(reply);
  CHECK(a.clock() == make({{0, 3}, {1, 3}}));
}

TEST_CASE("vclock: after on_receive the carried clock is strictly before the receiver's, over random exchanges",
          "[vclock]") {
  sim::Rng rng(99);
  std::vector<vc::ClockKeeper> keepers;
  for (net::NodeId n = 0; n < 6; ++n) keepers.emplace_back(n);
  std::vector<std::pair<net::NodeId, VectorClock>> in_flight;
  for (int step = 0; step < 20000; ++step) {
    const auto n = static_cast<net::NodeId>(rng.below(6));
    if (in_flight.empty() || rng.below(2) == 0) {
      in_flight.emplace_back(static_cast<net::NodeId>(rng.below(6)), keepers[n].on_send());
      continue;
    }
    const size_t pick = rng.below(in_flight.size());  // any order: no FIFO
    const auto [to, carried] = in_flight[pick];
    in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(pick));
    const VectorClock before = keepers[to].clock();
    keepers[to].on_receive(carried);
    REQUIRE(vc::compare(carried, keepers[to].clock()) == Order::kBefore);
    REQUIRE(vc::compare(before, keepers[to].clock()) == Order::kBefore);
  }
}

}  // namespace test_vclock
