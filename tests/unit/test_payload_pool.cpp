#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/tiers/payload_pool.hpp"

namespace test_payload_pool {

using namespace ecsim;

TEST_CASE("payload pool: reference counts and slot reuse", "[tiers]") {
  tiers::PayloadPool<std::string> pool;
  const uint64_t a = *pool.put("alpha");
  const uint64_t b = *pool.put("beta");
  CHECK(pool.get(a) == "alpha");
  pool.retain(a);  // a duplicate in flight
  pool.release(a);
  CHECK(pool.live() == 2);
  CHECK(pool.get(a) == "alpha");
  pool.release(a);
  CHECK(pool.live() == 1);
  const uint64_t c = *pool.put("gamma");
  CHECK(c == a);  // the freed slot is reused
  CHECK(pool.get(b) == "beta");
  CHECK(pool.get(c) == "gamma");
}

TEST_CASE("payload pool: a full pool refuses, counted and traced, and keeps its bodies", "[tiers][limits]") {
  struct Seen final : sim::TraceObserver {
    std::vector<sim::Record> limits;
    void on_record(const sim::Record& r) override {
      if (r.type == sim::RecordType::kLimitReached) limits.push_back(r);
    }
  };
  sim::Trace trace;
  sim::Simulator s(1, trace);
  Seen seen;
  trace.add_observer(&seen);
  sim::LimitScope scope(s, sim::kMemoryMaxDefault);
  tiers::PayloadPool<std::string> pool(2);
  const uint64_t a = *pool.put("alpha", 4);
  const uint64_t b = *pool.put("beta", 4);
  CHECK(pool.full());
  CHECK(pool.put("gamma", 5) == std::nullopt);  // the old pool aborted here
  CHECK(pool.put("delta", 5) == std::nullopt);
  pool.refuse(6);  // a sender that tests full() first
  CHECK(pool.refused() == 3);
  CHECK(pool.live() == 2);
  CHECK(pool.get(a) == "alpha");  // never an overwrite
  CHECK(pool.get(b) == "beta");
  const sim::ResourceUse& u = sim::limit_state().use[static_cast<size_t>(sim::Resource::kPayloads)];
  CHECK(u.reached == 3);
  CHECK(u.first_node == 5);
  REQUIRE(seen.limits.size() == 2);  // reaches 1 and 2
  CHECK(seen.limits[0].code == static_cast<uint16_t>(sim::Resource::kPayloads));
  CHECK(seen.limits[0].node == 5);
  pool.release(a);
  CHECK_FALSE(pool.full());
  const std::optional<uint64_t> c = pool.put("gamma", 5);
  REQUIRE(c.has_value());
  CHECK(*c == a);
  CHECK(pool.get(*c) == "gamma");
}

namespace {
// A body with a heap buffer, like tiers::Carried's vector clock.
struct Clocked {
  std::vector<uint64_t> entries;
};
size_t heap_bytes(const Clocked& c) { return c.entries.capacity() * sizeof(uint64_t); }

int64_t payload_bytes() { return sim::limit_state().use[static_cast<size_t>(sim::Resource::kPayloads)].bytes; }
}  // namespace

TEST_CASE("payload pool: the buffers of live bodies are accounted until taken or dropped", "[tiers][limits]") {
  const int64_t before = payload_bytes();
  {
    tiers::PayloadPool<Clocked> pool;
    const int64_t slot_bytes = static_cast<int64_t>(sim::resource_info(sim::Resource::kPayloads).entry_bytes);
    // 200 bodies of 1,000 entries each: 1.6 MB of buffers, past the
    // running figure's 64 KiB step many times.
    std::vector<uint64_t> handles;
    for (int i = 0; i < 200; ++i) handles.push_back(*pool.put(Clocked{std::vector<uint64_t>(1000, 7)}));
    const int64_t held = 200 * 1000 * 8;
    CHECK(payload_bytes() - before >= 200 * slot_bytes + held - sim::AccountedRunning::kStep);
    // Half taken by their receivers, half dropped unread (a duplicate of one
    // of them still in flight: its buffer stays until its last copy goes).
    pool.retain(handles[0]);
    for (int i = 0; i < 100; ++i) CHECK(pool.take(handles[i]).entries.size() == 1000);
    for (int i = 100; i < 200; ++i) pool.release(handles[i]);
    CHECK(payload_bytes() - before <= 200 * slot_bytes + 8000 + sim::AccountedRunning::kStep);
    CHECK(payload_bytes() - before >= 200 * slot_bytes);
    pool.release(handles[0]);
    CHECK(payload_bytes() - before <= 200 * slot_bytes + sim::AccountedRunning::kStep);
    // A slot reused after a drop holds only its new body.
    const uint64_t again = *pool.put(Clocked{std::vector<uint64_t>(10, 1)});
    CHECK(pool.get(again).entries.size() == 10);
  }
  CHECK(payload_bytes() == before);  // the pool's bytes go with it
}

}  // namespace test_payload_pool
