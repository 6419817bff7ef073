#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/slot_pool.hpp"

namespace test_slot_pool {

using namespace ecsim;
using sim::SlotPool;

TEST_CASE("slot pool: a released slot is reused with a new generation", "[slot_pool]") {
  SlotPool<std::string> pool(4);
  const auto a = pool.acquire("a");
  const auto b = pool.acquire("b");
  REQUIRE(a != SlotPool<std::string>::kNone);
  REQUIRE(b != a);
  REQUIRE(*pool.find(a) == "a");
  REQUIRE(pool.take(a).value() == "a");
  REQUIRE(pool.size() == 1);
  const auto c = pool.acquire("c");
  // Same slot (the most recently freed), next generation: a different id.
  REQUIRE(static_cast<uint32_t>(c) == static_cast<uint32_t>(a));
  REQUIRE(c != a);
  REQUIRE(*pool.find(c) == "c");
  REQUIRE(pool.slots() == 2);
}

TEST_CASE("slot pool: a stale id is refused", "[slot_pool]") {
  SlotPool<int> pool(2);
  const auto a = pool.acquire(1);
  REQUIRE(pool.release(a));
  REQUIRE(pool.find(a) == nullptr);
  REQUIRE_FALSE(pool.release(a));  // twice: refused, nothing changes
  REQUIRE_FALSE(pool.take(a).has_value());
  const auto b = pool.acquire(2);
  REQUIRE(pool.find(a) == nullptr);  // the slot's new tenant is not reachable by the old id
  REQUIRE_FALSE(pool.release(a));
  REQUIRE(*pool.find(b) == 2);
  REQUIRE(pool.size() == 1);
  // Ids never handed out: past the grown slots, and the "none" id.
  REQUIRE(pool.find(SlotPool<int>::kNone) == nullptr);
  REQUIRE(pool.find((uint64_t{1} << 32) | 7) == nullptr);
}

TEST_CASE("slot pool: exhaustion is refused and counted, never an overwrite", "[slot_pool]") {
  const uint64_t reached_before =
      sim::limit_state().use[static_cast<size_t>(sim::Resource::kRpcCalls)].reached;
  SlotPool<int> pool(3, sim::Resource::kRpcCalls);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(pool.acquire(i));
  REQUIRE(pool.full());
  REQUIRE(pool.acquire(99, 5) == SlotPool<int>::kNone);
  REQUIRE(pool.acquire(98, 5) == SlotPool<int>::kNone);
  REQUIRE(pool.refused() == 2);
  REQUIRE(sim::limit_state().use[static_cast<size_t>(sim::Resource::kRpcCalls)].reached == reached_before + 2);
  for (int i = 0; i < 3; ++i) REQUIRE(*pool.find(ids[static_cast<size_t>(i)]) == i);
  REQUIRE(pool.size() == 3);
  // Room again after a release.
  REQUIRE(pool.release(ids[1]));
  REQUIRE_FALSE(pool.full());
  REQUIRE(pool.acquire(7) != SlotPool<int>::kNone);
  REQUIRE(pool.refused() == 2);
}

TEST_CASE("slot pool: grows lazily, reuses before growing, accounts its slots", "[slot_pool]") {
  const auto bytes = [] {
    return sim::limit_state().use[static_cast<size_t>(sim::Resource::kNetworkInFlight)].bytes;
  };
  const int64_t entry = static_cast<int64_t>(sim::resource_info(sim::Resource::kNetworkInFlight).entry_bytes);
  const int64_t before = bytes();
  {
    SlotPool<int> pool(1u << 20, sim::Resource::kNetworkInFlight);
    REQUIRE(pool.slots() == 0);
    for (int round = 0; round < 100; ++round) {
      const auto a = pool.acquire(round);
      const auto b = pool.acquire(round + 1);
      REQUIRE(pool.release(a));
      REQUIRE(pool.release(b));
    }
    REQUIRE(pool.slots() == 2);  // never more than were live at once
    REQUIRE(bytes() == before + 2 * entry);
    std::vector<int> seen;
    pool.acquire(10);
    pool.acquire(11);
    pool.acquire(12);
    pool.for_each([&](uint64_t id, int v) {
      REQUIRE(*pool.find(id) == v);
      seen.push_back(v);
    });
    REQUIRE(seen.size() == 3);
    REQUIRE(pool.slots() == 3);
  }
  REQUIRE(bytes() == before);  // given back with the pool
}

TEST_CASE("slot pool: live_id names a slot's current tenant only", "[slot_pool]") {
  SlotPool<int> pool(8);
  REQUIRE(pool.live_id(0) == SlotPool<int>::kNone);  // never grown
  const auto a = pool.acquire(1);
  const auto slot = static_cast<uint32_t>(a);
  REQUIRE(pool.live_id(slot) == a);
  REQUIRE(pool.release(a));
  REQUIRE(pool.live_id(slot) == SlotPool<int>::kNone);  // freed
  const auto b = pool.acquire(2);
  REQUIRE(static_cast<uint32_t>(b) == slot);  // the freed slot, reused
  REQUIRE(pool.live_id(slot) == b);
  REQUIRE(b != a);  // a new generation: the old id stays stale
  REQUIRE(pool.find(a) == nullptr);
  REQUIRE(pool.live_id(7) == SlotPool<int>::kNone);  // beyond the grown slots
}

}  // namespace test_slot_pool
