// Faults compose (fault/nemesis.hpp): the settings in force are the base
// plus every fault active now, and a fault whose window ends removes only
// its own effect. Each case runs pings from edge-1 to core-1 at 1000/s over
// 1 ms links and counts what the trace says happened in each second.
#include <catch2/catch.hpp>

#include <array>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/simulator.hpp"

namespace test_fault_composition {

using namespace ecsim;

namespace {

constexpr int kSeconds = 10;

// Per simulated second: pings sent edge-1 -> core-1, dropped (by a random
// drop or a cut link), and duplicated.
struct PerSecond final : sim::TraceObserver {
  std::array<uint64_t, kSeconds + 1> sent{}, dropped{}, duplicated{};
  void on_record(const sim::Record& r) override {
    const size_t s = static_cast<size_t>(r.time_ns / 1000000000);
    if (s > kSeconds) return;
    // edge-1 is node 0 and core-1 node 3 (3 edge nodes first). Sends and
    // duplicates name the sender as `node`, drops the receiver.
    const bool from_edge = r.node == 0 && r.peer == 3;
    const bool to_core = r.node == 3 && r.peer == 0;
    if (r.type == sim::RecordType::kSend && from_edge) ++sent[s];
    if (r.type == sim::RecordType::kDrop && to_core) ++dropped[s];
    if (r.type == sim::RecordType::kDuplicate && from_edge) ++duplicated[s];
  }
};

PerSecond run_with(const std::string& faults) {
  const std::string text =
      "name: compose\nduration: 10s\ntopology: { edge: 3, core: 2, cloud: 3 }\n"
      "network:\n  default: { latency: { constant: 1ms } }\n"
      "workload:\n  - { kind: ping, from: edge-1, to: core-1, rate: 1000/s }\n"
      "faults:\n" + faults;
  const scenario::Scenario sc = scenario::load_scenario_text(text, "compose.yaml");
  run::Run r(sc, {});
  PerSecond counts;
  r.simulator().trace().add_observer(&counts);
  while (!r.advance(UINT64_MAX)) {
  }
  r.finish();
  for (int s = 0; s < kSeconds; ++s) REQUIRE(counts.sent[s] > 800);  // ~1000 pings a second
  return counts;
}

}  // namespace

TEST_CASE("fault composition: overlapping drop windows each remove only their own effect", "[fault]") {
  // 100 % drops over 2..6 s; 0 % over 4..8 s, begun later, wins while active.
  // The old restore-what-you-found rule brought 100 % back from 8 s to the end.
  const PerSecond c = run_with(
      "  - { at: 2s, drop: { between: [edge-1, core-1], rate: 100% }, for: 4s }\n"
      "  - { at: 4s, drop: { between: [edge-1, core-1], rate: 0% }, for: 4s }\n");
  for (int s = 0; s < kSeconds; ++s) {
    INFO("second " << s);
    if (s == 2 || s == 3) {
      CHECK(c.dropped[s] == c.sent[s]);
    } else {
      CHECK(c.dropped[s] == 0);
    }
  }
}

TEST_CASE("fault composition: a drop window inside another leaves the outer one in force", "[fault]") {
  // 100 % over 1..7 s, 0 % over 3..5 s: drops in 1..3 and 5..7 only.
  const PerSecond c = run_with(
      "  - { at: 1s, drop: { between: [edge-1, core-1], rate: 100% }, for: 6s }\n"
      "  - { at: 3s, drop: { between: [edge-1, core-1], rate: 0% }, for: 2s }\n");
  for (int s = 0; s < kSeconds; ++s) {
    INFO("second " << s);
    const bool dropping = (s >= 1 && s < 3) || (s >= 5 && s < 7);
    CHECK(c.dropped[s] == (dropping ? c.sent[s] : 0));
  }
}

TEST_CASE("fault composition: overlapping duplicate windows end together, not early", "[fault]") {
  // 100 % duplicates over 1..4 s and over 2..6 s: every ping is duplicated
  // in 1..6 s and none after (the old rule cut the second one short at 4 s).
  const PerSecond c = run_with(
      "  - { at: 1s, duplicate: { between: [edge-1, core-1], rate: 100% }, for: 3s }\n"
      "  - { at: 2s, duplicate: { between: [edge-1, core-1], rate: 100% }, for: 4s }\n");
  for (int s = 0; s < kSeconds; ++s) {
    INFO("second " << s);
    CHECK(c.duplicated[s] == (s >= 1 && s < 6 ? c.sent[s] : 0));
    CHECK(c.dropped[s] == 0);
  }
}

TEST_CASE("fault composition: overlapping partitions cut the union, and each ends alone", "[fault]") {
  // edge-1 cut off over 2..4 s; core-1 cut off over 3..6 s. edge-1 -> core-1
  // is cut over 2..6 s and whole again after (the old rule restored the
  // first partition at 6 s, for good).
  const PerSecond c = run_with(
      "  - { at: 2s, partition: [[edge-1], \"*\"], for: 2s }\n"
      "  - { at: 3s, partition: [[core-1], \"*\"], for: 3s }\n");
  for (int s = 0; s < kSeconds; ++s) {
    INFO("second " << s);
    if (s >= 2 && s < 6) {
      CHECK(c.dropped[s] >= c.sent[s]);  // every ping sent, and the ones in flight at a cut
    } else if (s == 0 || s == 1 || s >= 7) {
      CHECK(c.dropped[s] == 0);
    }
  }
}

TEST_CASE("fault composition: a heal ends the partitions in force for good", "[fault]") {
  // edge-1 cut off over 1..7 s, healed at 3 s: the end of the partition's
  // window at 7 s changes nothing.
  const PerSecond c = run_with(
      "  - { at: 1s, partition: [[edge-1], \"*\"], for: 6s }\n"
      "  - { at: 3s, heal: true }\n");
  for (int s = 0; s < kSeconds; ++s) {
    INFO("second " << s);
    if (s == 1 || s == 2) {
      CHECK(c.dropped[s] >= c.sent[s]);
    } else if (s != 3) {  // pings sent just before the heal may still be dropped at 3 s
      CHECK(c.dropped[s] == 0);
    }
  }
}

}  // namespace test_fault_composition
