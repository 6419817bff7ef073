// The swarm fault generator: the same seed gives the same mix, seeds differ,
// and every mix it draws is a scenario the loader accepts.
#include <catch2/catch.hpp>
#include <algorithm>

#include <set>

#include "ecsim/fault/generator.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/swarm.hpp"

namespace test_swarm {

using namespace ecsim;

namespace {
scenario::Scenario three_tier() {
  return scenario::load_scenario_file(std::string(ECSIM_SOURCE_DIR) + "/scenarios/three-tier.yaml");
}
}  // namespace

TEST_CASE("swarm: the fault mix is a function of the seed", "[fault]") {
  const scenario::Scenario sc = three_tier();
  CHECK(fault::swarm_faults(sc, 7) == fault::swarm_faults(sc, 7));
  CHECK(fault::swarm_faults(sc, 7) != fault::swarm_faults(sc, 8));
  CHECK_FALSE(fault::swarm_faults(sc, 7).empty());
}

TEST_CASE("swarm: every drawn mix loads, and its faults end before the quiet tail", "[fault]") {
  const scenario::Scenario sc = three_tier();
  size_t faults = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const auto mix = fault::swarm_faults(sc, seed);
    const std::string text = scenario::swarm_scenario_text(sc, seed, mix, "test");
    INFO("seed " << seed << "\n" << text);
    scenario::Scenario s;
    REQUIRE_NOTHROW(s = scenario::load_scenario_text(text, "swarm.yaml"));
    CHECK(s.seed == seed);
    CHECK(s.faults.size() == mix.size());
    CHECK_FALSE(s.expect.invariants.empty());
    CHECK_FALSE(s.expect.tier_latency_p99[1].has_value());  // figures are not judged under swarm
    for (const scenario::Fault& f : s.faults) {
      const sim::Time end = f.at + f.for_duration.value_or(sim::Duration{0});
      // quiescence 2 s + the longest resend wait (msgq's backoff cap under
      // the recovery rules: twice the 5 s timeout) + 3 s
      CHECK(end.ns <= sc.duration.ns - sim::seconds(15).ns);
    }
    faults += s.faults.size();
  }
  CHECK(faults > 300);  // 1..6 per seed
}

TEST_CASE("swarm: crashes at protocol points, on nodes no other fault of the mix touches", "[fault]") {
  const scenario::Scenario sc = three_tier();
  const std::vector<std::string> names = scenario::node_names(sc.topology);
  size_t seeds_with_point = 0, with_for = 0;
  std::set<proto::Point> points;
  std::set<scenario::Tier> tiers;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    const auto mix = fault::swarm_faults(sc, seed);
    const scenario::Scenario s =
        scenario::load_scenario_text(scenario::swarm_scenario_text(sc, seed, mix, "test"), "swarm.yaml");
    INFO("seed " << seed);
    size_t at_points = 0;
    for (const scenario::Fault& f : s.faults) {
      if (f.kind != scenario::Fault::Kind::kAtPoint) continue;
      ++at_points;
      CHECK(f.nth >= 1);
      CHECK(f.nth <= 5);
      const uint32_t node = scenario::resolve(s.topology, f.target.text).at(0);
      const scenario::Tier tier = scenario::node_tier(s.topology, node);
      CHECK((proto::point_info(f.point).tiers & (1u << static_cast<unsigned>(tier))) != 0);
      points.insert(f.point);
      tiers.insert(tier);
      with_for += f.for_duration ? 1 : 0;
      // No timed crash or byzantine fault of the mix meets that node.
      for (const scenario::Fault& g : s.faults) {
        if (g.kind != scenario::Fault::Kind::kCrash && g.kind != scenario::Fault::Kind::kByzantine) continue;
        for (uint32_t n : scenario::resolve(s.topology, g.target.text)) CHECK(n != node);
      }
    }
    CHECK(at_points <= 1);
    seeds_with_point += at_points;
  }
  CHECK(seeds_with_point > 100);  // every other seed, about
  CHECK(seeds_with_point < 200);
  CHECK(with_for > seeds_with_point / 2);
  CHECK(with_for < seeds_with_point);
  // Without a billing workload the mix never draws a 2PC point.
  size_t drawable = 0;
  for (const proto::PointInfo& p : proto::points()) drawable += proto::point_protocol(p.name) != "twopc" ? 1 : 0;
  for (const proto::Point p : points) CHECK(proto::point_protocol(proto::point_info(p).name) != "twopc");
  CHECK(points.size() >= drawable - 2);
  CHECK(tiers.size() == 3);
}

TEST_CASE("swarm: without the recovery rules the quiet tail allows for the fixed resend timeout only", "[fault]") {
  scenario::Scenario sc = three_tier();
  sc.model.recovery = false;
  int64_t last_end_ns = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    for (const scenario::Fault& f : scenario::load_scenario_text(
             scenario::swarm_scenario_text(sc, seed, fault::swarm_faults(sc, seed), "test"), "swarm.yaml")
             .faults) {
      last_end_ns = std::max(last_end_ns, (f.at + f.for_duration.value_or(sim::Duration{0})).ns);
    }
  }
  CHECK(last_end_ns <= sc.duration.ns - sim::seconds(10).ns);  // quiescence 2 s + resend 5 s + 3 s
  CHECK(last_end_ns > sc.duration.ns - sim::seconds(15).ns);   // the tail under backoff is longer
}

// Clients that stop early leave no second after a late fault's deadline for
// recovers_within to judge: a seed whose mix ends after they stop goes
// without it (the loader refuses it then), and so does one with a fault at
// a protocol point (the loader does not require it then); the others keep it.
TEST_CASE("swarm: recovers_within only where the mix leaves a second to judge", "[fault]") {
  std::string text = three_tier().text;
  const std::string until = "    until: 26s\n";
  REQUIRE(text.find(until) != std::string::npos);
  text.replace(text.find(until), until.size(), "    until: 13s\n");
  const std::string crash = "for: 5s }";  // the scenario's own crash, ending at 15s: at 11s now
  REQUIRE(text.find(crash) != std::string::npos);
  text.replace(text.find(crash), crash.size(), "for: 1s }");
  const std::string within = "recovers_within: 5s";  // its deadline at 16s would be after the clients stop
  REQUIRE(text.find(within) != std::string::npos);
  text.replace(text.find(within), within.size(), "recovers_within: 1s");
  const scenario::Scenario sc = scenario::load_scenario_text(text, "three-tier-until.yaml");
  size_t with = 0, without = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const auto mix = fault::swarm_faults(sc, seed);
    INFO("seed " << seed);
    scenario::Scenario s;
    REQUIRE_NOTHROW(s = scenario::load_scenario_text(scenario::swarm_scenario_text(sc, seed, mix, "test"), "s.yaml"));
    int64_t last_ns = -1;
    for (const scenario::Fault& f : s.faults) {
      if (scenario::is_outage(f)) last_ns = std::max(last_ns, (f.at + f.for_duration.value_or(sim::Duration{0})).ns);
    }
    if (last_ns < 0) continue;
    // A whole second at or after the deadline (1 s after the last outage,
    // the shortest recovers_within) must begin before the clients stop at
    // 13 s, and no fault at a protocol point (it may fire as late as the end).
    const bool judgeable = (last_ns + 999'999'999) / 1'000'000'000 < 12 && !scenario::has_point_crash(s.faults);
    CHECK(s.expect.recovers_within.has_value() == judgeable);
    (judgeable ? with : without) += 1;
  }
  CHECK(with > 5);
  CHECK(without > 5);
}

}  // namespace test_swarm
