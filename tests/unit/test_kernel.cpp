#include <catch2/catch.hpp>

#include <vector>

#include "ecsim/sim/histogram.hpp"
#include "ecsim/sim/simulator.hpp"

namespace test_kernel {

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {
struct Log {
  sim::Simulator* sim = nullptr;
  std::vector<std::pair<int64_t, uint32_t>> seen;  // (time, a)
};
void on_event(void* ctx, const sim::Event& e) {
  static_cast<Log*>(ctx)->seen.emplace_back(e.time_ns, e.a);
}
}  // namespace

TEST_CASE("simulator: ties in time break by scheduling order", "[kernel]") {
  sim::Trace trace;
  sim::Simulator s(1, trace);
  Log log;
  const auto h = s.add_handler(&on_event, &log);
  for (uint32_t i = 0; i < 100; ++i) s.schedule(sim::Time{500}, h, i, 0);
  s.schedule(sim::Time{10}, h, 1000, 0);
  while (s.step()) {
  }
  REQUIRE(log.seen.size() == 101);
  CHECK(log.seen[0] == std::make_pair(int64_t{10}, uint32_t{1000}));
  for (uint32_t i = 0; i < 100; ++i) CHECK(log.seen[i + 1].second == i);
}

TEST_CASE("simulator: step dispatches exactly one event, run_until stops at the bound", "[kernel]") {
  sim::Trace trace;
  sim::Simulator s(1, trace);
  Log log;
  const auto h = s.add_handler(&on_event, &log);
  s.schedule(sim::Time{100}, h, 1, 0);
  s.schedule(sim::Time{200}, h, 2, 0);
  s.schedule(sim::Time{300}, h, 3, 0);
  CHECK(s.step());
  CHECK(log.seen.size() == 1);
  CHECK(s.now().ns == 100);
  CHECK(s.events_processed() == 1);
  CHECK(s.run_until(sim::Time{250}));
  CHECK(log.seen.size() == 2);
  CHECK(s.now().ns == 250);  // the clock moves to the bound
  CHECK(s.pending() == 1);
  CHECK_FALSE(s.run_until(sim::Time{1000}, 0));  // budget 0: nothing done
  CHECK(s.run_until(sim::Time{1000}));
  CHECK(log.seen.size() == 3);
  CHECK_FALSE(s.step());
}

TEST_CASE("simulator: events come out in (time, seq) order under a random load", "[kernel]") {
  sim::Trace trace;
  sim::Simulator s(1, trace);
  Log log;
  const auto h = s.add_handler(&on_event, &log);
  sim::Rng r(4);
  for (uint32_t i = 0; i < 50000; ++i) s.schedule(sim::Time{r.uniform_int(0, 1000000)}, h, i, 0);
  while (s.step()) {
  }
  REQUIRE(log.seen.size() == 50000);
  for (size_t i = 1; i < log.seen.size(); ++i) REQUIRE(log.seen[i - 1].first <= log.seen[i].first);
}

TEST_CASE("histogram: quantiles are within 1.6 percent", "[kernel]") {
  sim::Histogram h;
  for (int64_t v = 1; v <= 100000; ++v) h.add(v * 1000);
  CHECK(h.count() == 100000);
  CHECK(h.max() == 100000000);
  CHECK(static_cast<double>(h.quantile(0.5)) == Approx(50000000).epsilon(0.016));
  CHECK(static_cast<double>(h.quantile(0.99)) == Approx(99000000).epsilon(0.016));
  CHECK(h.quantile(1.0) == 100000000);
  sim::Histogram empty;
  CHECK(empty.quantile(0.99) == 0);
}

}  // namespace test_kernel
