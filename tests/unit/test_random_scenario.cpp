// The random valid scenario generator (fault/random_scenario.hpp): the text
// is a function of the seed, every text loads, and over many seeds it draws
// both models and every kind of fault, so the sweep over them
// (tests/sweep/random_scenarios.sh) exercises what it claims to.
#include <catch2/catch.hpp>

#include <set>

#include "ecsim/fault/random_scenario.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/loader.hpp"

namespace test_random_scenario {

using namespace ecsim;

TEST_CASE("random scenarios: the text is a function of the seed", "[fault]") {
  CHECK(fault::random_scenario_text(7) == fault::random_scenario_text(7));
  CHECK(fault::random_scenario_text(7) != fault::random_scenario_text(8));
}

TEST_CASE("random scenarios: every one loads, and they cover the language", "[fault]") {
  std::set<scenario::Fault::Kind> kinds;
  uint64_t tiers = 0;
  uint64_t with_model = 0;
  uint64_t with_invariants = 0;
  uint64_t with_links = 0;
  uint64_t with_faults = 0;
  uint64_t large = 0;        // ping model beyond 6 nodes in a tier
  uint64_t tier_crashes = 0;  // `crash: core`
  uint64_t billing = 0;
  uint64_t billing_cache = 0;
  uint64_t twopc_points = 0;  // at_point faults at a 2PC point: only beside billing
  constexpr uint64_t kSeeds = 1000;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const std::string text = fault::random_scenario_text(seed);
    INFO("seed " << seed << "\n" << text);
    scenario::Scenario sc;
    REQUIRE_NOTHROW(sc = scenario::load_scenario_text(text, "random.yaml"));
    CHECK(sc.seed == seed);
    CHECK(sc.duration.ns <= sim::seconds(6).ns);
    CHECK(sc.workload.empty() != sc.requests.empty());  // one model or the other
    tiers += sc.requests.empty() ? 0 : 1;
    with_model += sc.model.cache_capacity ? 1 : 0;
    with_invariants += sc.expect.invariants.empty() ? 0 : 1;
    with_links += sc.network.overrides.empty() ? 0 : 1;
    with_faults += sc.faults.empty() ? 0 : 1;
    large += sc.topology.edge > 6 || sc.topology.core > 6 || sc.topology.cloud > 6 ? 1 : 0;
    billing += sc.billing.empty() ? 0 : 1;
    billing_cache += !sc.billing.empty() && sc.billing.front().cache_entries > 0 ? 1 : 0;
    if (!sc.billing.empty()) CHECK_FALSE(sc.requests.empty());  // billing runs beside requests
    for (const scenario::Fault& f : sc.faults) {
      kinds.insert(f.kind);
      if (f.kind == scenario::Fault::Kind::kAtPoint && proto::point_protocol(proto::point_info(f.point).name) == "twopc") {
        ++twopc_points;
        CHECK_FALSE(sc.billing.empty());
      }
      const bool tier = f.target.text == "edge" || f.target.text == "core" || f.target.text == "cloud";
      tier_crashes += f.kind == scenario::Fault::Kind::kCrash && tier ? 1 : 0;
    }
  }
  CHECK(tiers > kSeeds / 3);
  CHECK(tiers < 2 * kSeeds / 3);
  CHECK(with_model > kSeeds / 10);
  CHECK(with_invariants > kSeeds / 4);
  CHECK(with_links > kSeeds / 4);
  CHECK(with_faults > kSeeds / 2);
  CHECK(large > 10);
  CHECK(tier_crashes > 10);
  CHECK(kinds.size() == 10);  // every kind of fault, at_point included
  CHECK(billing > tiers / 5);
  CHECK(billing < tiers / 2);
  CHECK(billing_cache > billing / 6);
  CHECK(twopc_points > 3);
}

}  // namespace test_random_scenario
