#include <catch2/catch.hpp>

#include "ecsim/node/load_model.hpp"

namespace test_load_model {

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {
node::LoadProfile profile(uint32_t cores, sim::Duration service, uint32_t queue_max = 100) {
  node::LoadProfile p;
  p.cores = cores;
  p.queue_max = queue_max;
  p.service[1] = service;
  return p;
}
}  // namespace

TEST_CASE("load model: half load on one core is 50 percent CPU, no queueing", "[load]") {
  node::LoadModel m(profile(1, 1_ms));
  for (int i = 0; i < 1000; ++i) {
    const auto a = m.admit(sim::Time{0} + 2_ms * i, 1);
    REQUIRE(a.accepted);
    CHECK(a.start == sim::Time{0} + 2_ms * i);
    CHECK(a.done == a.start + 1_ms);
  }
  const node::LoadSample s = m.sample(sim::Time{0} + 2_s);
  CHECK(s.cpu_permille == 500);
  CHECK(s.queue_length == 0);
  CHECK(s.response_ns_mean == 1000000);
  CHECK(s.served == 1000);
}

TEST_CASE("load model: overload queues, saturates and refuses at the bound", "[load]") {
  node::LoadProfile p = profile(1, 1_ms, 10);
  p.memory_total_bytes = uint64_t{2} << 30;
  p.memory_per_queued_bytes = uint64_t{64} << 20;
  node::LoadModel m(p);
  int refused = 0;
  for (int i = 0; i < 100; ++i) {
    if (!m.admit(sim::Time{0} + 500_us * i, 1).accepted) ++refused;
  }
  // Arrivals at twice the service rate: the queue fills to its bound of 10
  // waiting and later arrivals are refused.
  CHECK(refused > 0);
  CHECK(m.refused() == static_cast<uint64_t>(refused));
  const node::LoadSample s = m.sample(sim::Time{0} + 50_ms);
  CHECK(s.cpu_permille == 1000);
  CHECK(s.queue_length <= 10);
  CHECK(s.queue_length >= 9);
  // 1 GiB base of 2 GiB plus 64 MiB for each of the ~11 messages in the system.
  CHECK(s.memory_permille >= 500 + 10 * 31);
  CHECK(s.memory_permille <= 500 + 11 * 32);
}

TEST_CASE("load model: cores serve in parallel, FIFO", "[load]") {
  node::LoadModel m(profile(2, 10_ms));
  const auto a = m.admit(sim::Time{0}, 1);
  const auto b = m.admit(sim::Time{0}, 1);
  const auto c = m.admit(sim::Time{0}, 1);
  CHECK(a.done == sim::Time{0} + 10_ms);
  CHECK(b.done == sim::Time{0} + 10_ms);  // second core
  CHECK(c.start == sim::Time{0} + 10_ms);  // waits for the first free core
  CHECK(c.done == sim::Time{0} + 20_ms);
  const node::LoadSample s = m.sample(sim::Time{0} + 20_ms);
  CHECK(s.cpu_permille == 750);  // 30 ms of work on 2 cores over 20 ms
  m.reset(sim::Time{0} + 20_ms);
  CHECK(m.admit(sim::Time{0} + 20_ms, 1).start == sim::Time{0} + 20_ms);
}

}  // namespace test_load_model
