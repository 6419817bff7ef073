// fault::fault_windows: the spans in which a schedule's faults are in force,
// which `latency_p99: {..., outside_faults: D}` leaves out.
#include <catch2/catch.hpp>

#include "ecsim/fault/windows.hpp"
#include "ecsim/scenario/loader.hpp"

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {
std::vector<std::pair<int64_t, int64_t>> windows_s(const std::string& faults, sim::Duration margin) {
  const scenario::Scenario sc = scenario::load_scenario_text(
      "name: t\nduration: 60s\nworkload:\n  - { kind: requests, rate: 10/s }\nexpect: { recovers_within: 5s }\nfaults:\n" + faults,
      "t.yaml");
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const sim::TimeWindow& w : fault::fault_windows(sc, sim::Time{0} + sc.duration, margin)) {
    out.emplace_back(w.from.ns / 1000000000, w.to.ns / 1000000000);
  }
  return out;
}
using W = std::vector<std::pair<int64_t, int64_t>>;
}  // namespace

TEST_CASE("fault windows: `for` windows, ends by restart and heal, and open ends", "[fault]") {
  CHECK(windows_s("  - { at: 10s, crash: cloud-2, for: 5s }\n", 2_s) == W{{10, 17}});
  CHECK(windows_s("  - { at: 10s, crash: cloud-2 }\n  - { at: 30s, restart: cloud-2 }\n", 1_s) == W{{10, 31}});
  // A crash never restarted runs to the end of the run.
  CHECK(windows_s("  - { at: 10s, crash: cloud-2 }\n", 2_s) == W{{10, 60}});
  // A tier crash lasts until the last of its nodes is back.
  CHECK(windows_s("  - { at: 5s, crash: edge }\n  - { at: 8s, restart: edge-1 }\n"
                  "  - { at: 9s, restart: edge-3 }\n  - { at: 9s, restart: edge-2 }\n",
                  0_s) == W{{5, 9}});
  CHECK(windows_s("  - { at: 20s, partition: [[edge-1], \"*\"] }\n  - { at: 25s, heal: true }\n", 2_s) ==
        W{{20, 27}});
  CHECK(windows_s("  - { at: 20s, drop: { rate: 10% }, for: 3s }\n  - { at: 5s, drop: { rate: 1% } }\n", 2_s) ==
        W{{5, 60}, {20, 25}});
  // The margin stops at the end of the run.
  CHECK(windows_s("  - { at: 50s, crash: core-1, for: 9s }\n", 5_s) == W{{50, 60}});
}

TEST_CASE("fault windows: an at_point crash's window comes from its fault record", "[fault]") {
  const scenario::Scenario sc = scenario::load_scenario_text(
      "name: t\nduration: 60s\nworkload:\n  - { kind: requests, rate: 10/s }\nfaults:\n"
      "  - { at_point: rpc.client.after_send, node: edge-1, nth: 3, do: crash, for: 5s }\n"
      "  - { at_point: storage.writer.after_send, node: core-1, do: crash }\n",
      "t.yaml");
  REQUIRE(sc.faults.size() == 2);
  const sim::Time end = sim::Time{0} + sc.duration;
  // Nothing is known before the run: the schedule has no window for them.
  CHECK(fault::fault_windows(sc, end, 2_s).empty());
  const auto fired = [](uint64_t index, int64_t at_s) {
    return sim::Record{at_s * 1000000000, sim::RecordType::kFault,
                       static_cast<uint16_t>(scenario::Fault::Kind::kAtPoint), 0, 0, 0, index, 1};
  };
  // From the reach to its `for` restart, plus the margin.
  auto w = fault::point_window(sc, fired(0, 12), end, 2_s);
  REQUIRE(w);
  CHECK(w->from.ns == 12'000'000'000);
  CHECK(w->to.ns == 19'000'000'000);
  // Without `for`, and with `for` running past the end: to the end.
  w = fault::point_window(sc, fired(1, 30), end, 2_s);
  REQUIRE(w);
  CHECK(w->to == end);
  w = fault::point_window(sc, fired(0, 56), end, 2_s);
  REQUIRE(w);
  CHECK(w->to == end);
  // For recovers_within a crash never restarted ends its window at the
  // reach; a `for` restart still ends it.
  w = fault::point_window(sc, fired(1, 30), end, sim::Duration{0}, fault::Unrestarted::kAtCrash);
  REQUIRE(w);
  CHECK(w->from.ns == 30'000'000'000);
  CHECK(w->to.ns == 30'000'000'000);
  w = fault::point_window(sc, fired(0, 12), end, sim::Duration{0}, fault::Unrestarted::kAtCrash);
  REQUIRE(w);
  CHECK(w->to.ns == 17'000'000'000);
  // Any other record has none.
  sim::Record timed = fired(0, 12);
  timed.code = static_cast<uint16_t>(scenario::Fault::Kind::kCrash);
  CHECK_FALSE(fault::point_window(sc, timed, end, 2_s));
  sim::Record crash = fired(0, 12);
  crash.type = sim::RecordType::kCrash;
  CHECK_FALSE(fault::point_window(sc, crash, end, 2_s));
}
