#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>

#include "ecsim/sim/fifo_ring.hpp"
#include "ecsim/sim/rng.hpp"

namespace test_fifo_ring {

using ecsim::sim::FifoRing;

TEST_CASE("fifo ring: first in, first out across the wrap and while it grows", "[fifo_ring]") {
  FifoRing<int> r;
  CHECK(r.empty());
  CHECK(r.capacity() == 0);  // lazy: nothing allocated yet
  for (int i = 0; i < 10; ++i) r.push_back(i);
  CHECK(r.capacity() == 16);
  for (int i = 0; i < 8; ++i) {
    CHECK(r.front() == i);
    r.pop_front();
  }
  // The head is at slot 8: these wrap around the array's end.
  for (int i = 10; i < 24; ++i) r.push_back(i);
  CHECK(r.capacity() == 16);
  CHECK(r.size() == 16);
  r.push_back(24);  // full: doubles, the order kept
  CHECK(r.capacity() == 32);
  for (size_t i = 0; i < r.size(); ++i) CHECK(r[i] == static_cast<int>(8 + i));
  CHECK(r.back() == 24);
  r.clear();
  CHECK(r.empty());
  CHECK(r.capacity() == 32);  // kept
  r.push_back(7);
  CHECK(r.front() == 7);
  CHECK(r.back() == 7);
}

TEST_CASE("fifo ring: the same as a std::deque under random pushes and pops", "[fifo_ring]") {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    ecsim::sim::Rng rng(seed);
    FifoRing<uint64_t> r;
    std::deque<uint64_t> want;
    for (int step = 0; step < 5000; ++step) {
      // Pushes outweigh pops early, pops later: it grows, then drains.
      const bool push = want.empty() || rng.below(100) < (step < 2500 ? 60u : 40u);
      if (push) {
        const uint64_t v = rng.next_u64();
        r.push_back(v);
        want.push_back(v);
      } else {
        REQUIRE(r.front() == want.front());
        r.pop_front();
        want.pop_front();
      }
      REQUIRE(r.size() == want.size());
      if (!want.empty()) {
        const size_t i = rng.below(want.size());
        REQUIRE(r[i] == want[i]);
        REQUIRE(r.back() == want.back());
      }
    }
  }
}

}  // namespace test_fifo_ring
