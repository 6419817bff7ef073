#include <catch2/catch.hpp>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {
scenario::Scenario three_tier(uint64_t rate_per_s, uint32_t bad_token_ppm = 0) {
  scenario::Scenario sc;
  sc.name = "tiers-test";
  sc.file = "<test>";
  sc.seed = 9;
  sc.duration = 5_s;
  scenario::RequestWorkload w;
  w.at = {"edge", {}};
  w.rate_per_s = rate_per_s;
  w.subscribers = 2000;
  w.bad_token_ppm = bad_token_ppm;
  sc.requests.push_back(w);
  sc.expect.invariants = {"durability"};
  return sc;
}
}  // namespace

TEST_CASE("tiers: requests flow edge to core to cloud and back", "[tiers]") {
  const run::RunResult r = run::run_scenario(three_tier(500), {});
  REQUIRE(r.tiers.present);
  const run::TierRow& edge = r.tiers.rows[0];
  const run::TierRow& core = r.tiers.rows[1];
  const run::TierRow& cloud = r.tiers.rows[2];
  INFO("edge " << edge.ok << "/" << edge.requests << " core " << core.ok << "/" << core.requests << " cloud "
               << cloud.ok << "/" << cloud.requests);
  CHECK(edge.requests + core.requests > 7000);  // 3 edge nodes x 500/s x 5 s
  CHECK(edge.ok > 0);
  CHECK(core.ok > 0);
  CHECK(cloud.ok >= core.ok);  // every core-coordinated request did at least one quorum op
  CHECK(core.failed == 0);
  CHECK(r.tiers.hits > 0);
  CHECK(r.tiers.misses > 0);
  CHECK(edge.p99_ns < core.p50_ns);  // a hit is faster than a trip through core
  for (const run::Verdict& v : r.verdicts) {
    INFO(v.name << ": " << v.detail);
    CHECK(v.ok);
  }
}

TEST_CASE("tiers: with every token bad, nothing reaches core", "[tiers]") {
  // All four kinds of bad token, no good traffic at all: every request must
  // be refused at the edge and not one edge -> core message sent.
  scenario::Scenario sc = three_tier(400, 1000000);
  const run::RunResult r = run::run_scenario(sc, {});
  REQUIRE(r.tiers.present);
  CHECK(r.tiers.rows[0].refused > 5000);
  CHECK(r.tiers.rows[0].ok == 0);
  CHECK(r.tiers.rows[1].requests == 0);  // core
  CHECK(r.tiers.rows[2].requests == 0);  // cloud
  uint64_t by_reason = 0;
  for (const auto& [reason, n] : r.tiers.refusals) {
    CHECK(n > 0);
    by_reason += n;
  }
  CHECK(r.tiers.refusals.size() == 4);  // malformed, bad signature, expired, forbidden
  CHECK(by_reason == r.tiers.rows[0].refused);
}

TEST_CASE("tiers: same seed same hash, and a crash of a cloud replica loses no acknowledged write", "[tiers]") {
  scenario::Scenario sc = three_tier(300);
  scenario::Fault crash;
  crash.kind = scenario::Fault::Kind::kCrash;
  crash.at = sim::Time{0} + 2_s;
  crash.for_duration = 1_s;
  crash.target = {"cloud-1", {}};
  sc.faults.push_back(crash);
  const run::RunResult a = run::run_scenario(sc, {});
  const run::RunResult b = run::run_scenario(sc, {});
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.nodes.crashes == 1);
  CHECK(a.nodes.restarts == 1);
  CHECK(a.tiers.rows[1].failed == 0);
  for (const run::Verdict& v : a.verdicts) {
    INFO(v.name << ": " << v.detail);
    CHECK(v.ok);
  }
}
