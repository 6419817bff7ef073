#include <catch2/catch.hpp>

#include <string>

#include "ecsim/tiers/payload_pool.hpp"

TEST_CASE("payload pool: reference counts and slot reuse", "[tiers]") {
  ecsim::tiers::PayloadPool<std::string> pool;
  const uint64_t a = pool.put("alpha");
  const uint64_t b = pool.put("beta");
  CHECK(pool.get(a) == "alpha");
  pool.retain(a);  // a duplicate in flight
  pool.release(a);
  CHECK(pool.live() == 2);
  CHECK(pool.get(a) == "alpha");
  pool.release(a);
  CHECK(pool.live() == 1);
  const uint64_t c = pool.put("gamma");
  CHECK(c == a);  // the freed slot is reused
  CHECK(pool.get(b) == "beta");
  CHECK(pool.get(c) == "gamma");
}
