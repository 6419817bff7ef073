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
