#include <catch2/catch.hpp>

#include "ecsim/workload/ping.hpp"

namespace test_ping {

using namespace ecsim;
using namespace ecsim::sim::literals;

TEST_CASE("ping stats: answered, late, duplicate and expired pings", "[workload]") {
  workload::PingStats s;
  s.add_workload("w", 100_ms);
  const sim::Time t0{0};
  const uint64_t a = s.on_sent(0, t0);
  const uint64_t b = s.on_sent(0, t0 + 1_ms);
  const uint64_t c = s.on_sent(0, t0 + 2_ms);
  s.on_pong(0, b, t0 + 11_ms);   // answered in 10 ms
  s.on_pong(0, b, t0 + 12_ms);   // a duplicated pong: ignored
  s.on_pong(0, c, t0 + 150_ms);  // late: lost
  s.finish(t0 + 1_s);            // a never answered: lost
  const auto& f = s.figures(0);
  CHECK(a == 1);
  CHECK(f.sent == 3);
  CHECK(f.answered == 1);
  CHECK(f.lost == 2);
  CHECK(f.unsettled == 0);
  CHECK(f.rtt.max() == 10000000);
}

TEST_CASE("ping stats: the window grows and pings near the end stay unsettled", "[workload]") {
  workload::PingStats s;
  s.add_workload("w", 1_s);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 5000; ++i) ids.push_back(s.on_sent(0, sim::Time{i * 1000}));
  for (size_t i = 0; i < ids.size(); i += 2) s.on_pong(0, ids[i], sim::Time{10000000});
  s.finish(sim::Time{20000000});  // 20 ms: nothing has timed out yet
  CHECK(s.figures(0).answered == 2500);
  CHECK(s.figures(0).unsettled == 2500);
  CHECK(s.figures(0).lost == 0);
}

}  // namespace test_ping
