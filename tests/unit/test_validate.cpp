// scenario::validate on scenarios built in C++ (no YAML, so no location),
// and through the loader (with FILE:LINE:COL). Issue 9: what validate
// accepts, the model runs to a verdict; what it cannot run is refused here.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/validate.hpp"
#include "ecsim/scenario/windows.hpp"

namespace test_validate {

using namespace ecsim;
using namespace ecsim::sim::literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {
scenario::Scenario three_tier() {
  scenario::Scenario sc;
  sc.name = "validate-test";
  sc.file = "<test>";
  sc.duration = 5_s;
  scenario::RequestWorkload w;
  w.at = {"edge", {}};
  w.rate_per_s = 100;
  sc.requests.push_back(w);
  return sc;
}

scenario::Scenario pings() {
  scenario::Scenario sc;
  sc.name = "validate-pings";
  sc.file = "<test>";
  sc.duration = 5_s;
  scenario::Workload w;
  w.from = {"edge", {}};
  w.to = {"core", {}};
  w.rate_per_s = 10;
  sc.workload.push_back(w);
  return sc;
}
}  // namespace

TEST_CASE("validate: scenarios built in C++ that the model can run pass", "[scenario][validate]") {
  CHECK_NOTHROW(scenario::validate(three_tier()));
  CHECK_NOTHROW(scenario::validate(pings()));
  CHECK_NOTHROW(scenario::validate(scenario::load_quickstart()));
}

TEST_CASE("validate: a requests workload needs a multiple of three cloud nodes", "[scenario][validate]") {
  for (int cloud : {1, 2, 4, 5, 7}) {
    scenario::Scenario sc = three_tier();
    sc.topology.cloud = cloud;
    REQUIRE_THROWS_WITH(scenario::validate(sc),
                        StartsWith(fmt::format("<test>: a requests workload with {} cloud nodes (topology.cloud), "
                                               "expected a multiple of 3",
                                               cloud)));
  }
  for (int cloud : {3, 6, 9}) {
    scenario::Scenario sc = three_tier();
    sc.topology.cloud = cloud;
    CHECK_NOTHROW(scenario::validate(sc));
  }
}

TEST_CASE("validate: requests are placed at edge nodes only", "[scenario][validate]") {
  scenario::Scenario sc = three_tier();
  sc.requests[0].at = {"core-1", {}};
  REQUIRE_THROWS_WITH(scenario::validate(sc),
                      Equals("<test>: requests workload 1 at 'core-1' includes core-1 (a core node), expected edge "
                             "nodes only (clients enter at the edge)"));
  sc.requests[0].at = {"*", {}};
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("includes core-1 (a core node)"));
  sc.requests[0].at = {"cloud-2", {}};
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("includes cloud-2 (a cloud node)"));
}

TEST_CASE("validate: no link, ping or link fault between a node and itself only", "[scenario][validate]") {
  scenario::Scenario sc = pings();
  sc.workload[0].from = {"edge-1", {}};
  sc.workload[0].to = {"edge-1", {}};
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("edge-1 would ping only itself"));
  sc.workload[0].from = {"edge", {}};
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("edge-1 would ping only itself"));
  sc.workload[0].to = {"edge", {}};
  CHECK_NOTHROW(scenario::validate(sc));  // each edge pings the two others

  scenario::Scenario links = pings();
  scenario::LinkOverride o;
  o.between[0] = {"core-2", {}};
  o.between[1] = {"core-2", {}};
  o.patch.drop_ppm = 1000;
  links.network.overrides.push_back(o);
  REQUIRE_THROWS_WITH(scenario::validate(links),
                      Equals("<test>: network.links[0] is between core-2 and itself only, expected two different "
                             "nodes (a node has no link to itself)"));

  scenario::Scenario faults = pings();
  scenario::Fault f;
  f.kind = scenario::Fault::Kind::kDrop;
  f.at = sim::Time{0} + 1_s;
  f.ppm = 500000;
  f.between[0] = {"edge-3", {}};
  f.between[1] = {"edge-3", {}};
  faults.faults.push_back(f);
  REQUIRE_THROWS_WITH(scenario::validate(faults), Contains("fault 1 is between edge-3 and itself only"));
}

TEST_CASE("validate: an expectation that cannot apply is refused", "[scenario][validate]") {
  scenario::Scenario sc = pings();
  sc.expect.tier_latency_p99[0] = 10_ms;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.latency_p99.edge in a scenario without a requests "
                                                       "workload"));
  scenario::Scenario tiers = three_tier();
  tiers.expect.ping_latency_p99 = 10_ms;
  REQUIRE_THROWS_WITH(scenario::validate(tiers), Contains("expect.latency_p99.ping in a scenario without a ping"));
  scenario::Scenario empty = pings();
  empty.workload.clear();
  empty.expect.served_ratio_min = 0.5;
  REQUIRE_THROWS_WITH(scenario::validate(empty), Contains("served_ratio_min in a scenario without a workload"));
  scenario::Scenario durable = three_tier();
  durable.expect.invariants = {"durability"};
  REQUIRE_THROWS_WITH(scenario::validate(durable), Contains("invariant 'durability' has nothing to judge"));
}

TEST_CASE("validate: ranges and the fault schedule hold for C++-built scenarios", "[scenario][validate]") {
  scenario::Scenario sc = three_tier();
  sc.requests[0].rate_per_s = 0;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Equals("<test>: requests workload 1 rate (per second) is 0, expected "
                                                     "1..1000000"));
  sc = three_tier();
  sc.duration = sim::Duration{-1};
  REQUIRE_THROWS_WITH(scenario::validate(sc), StartsWith("<test>: duration is -1ns, expected a duration above 0s"));
  sc = three_tier();
  scenario::Fault crash;
  crash.kind = scenario::Fault::Kind::kCrash;
  crash.target = {"core-1", {}};
  crash.at = sim::Time{0} + 1_s;
  sc.faults = {crash, crash};
  sc.faults[1].at = sim::Time{0} + 2_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Equals("<test>: crash of core-1 at 2s, but core-1 is already down "
                                                     "(crashed at 1s), expected a node that is up"));
  sc.faults = {crash};
  sc.faults[0].at = sim::Time{0} + 5_s;  // the end of the run
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expected a time before the end of the scenario (5s)"));
}

TEST_CASE("validate: bad tokens need two subscribers, a resend under 1 ms needs backoff (C++-built)",
          "[scenario][validate]") {
  scenario::Scenario sc = three_tier();
  sc.requests[0].subscribers = 1;
  sc.requests[0].bad_token_ppm = 100000;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("has bad_tokens with a single subscriber"));
  sc.requests[0].subscribers = 2;
  CHECK_NOTHROW(scenario::validate(sc));
  sc = three_tier();
  sc.model.resend_timeout = sim::microseconds(999);
  CHECK_NOTHROW(scenario::validate(sc));  // the recovery rules back off
  sc.model.recovery = false;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Equals("<test>: model.messaging.resend_timeout is 999us, expected at "
                                                     "least 1ms with recovery: false"));
  sc.model.resend_timeout = sim::milliseconds(1);
  CHECK_NOTHROW(scenario::validate(sc));
}

TEST_CASE("validate: run::Run refuses what validate refuses, before any event", "[scenario][validate]") {
  scenario::Scenario sc = three_tier();
  sc.topology.cloud = 2;
  REQUIRE_THROWS_AS(run::Run(sc, {}), scenario::LoadError);
  run::RunOptions until;
  until.until = sim::seconds(25 * 3600);
  REQUIRE_THROWS_WITH(run::Run(three_tier(), until),
                      Equals("<test>: until is 90000s, expected a duration above 0s and at most 86400s"));
}

TEST_CASE("validate: a YAML scenario's errors carry FILE:LINE:COL", "[scenario][validate]") {
  const std::string text =
      "name: t\nduration: 5s\ntopology: { cloud: 2 }\nworkload:\n  - { kind: requests, rate: 10/s }\n";
  REQUIRE_THROWS_WITH(scenario::load_scenario_text(text, "t.yaml"),
                      StartsWith("t.yaml:5:5: a requests workload with 2 cloud nodes"));
  const std::string at_core = "name: t\nduration: 5s\nworkload:\n  - { kind: requests, at: core-1, rate: 10/s }\n";
  REQUIRE_THROWS_WITH(scenario::load_scenario_text(at_core, "t.yaml"),
                      StartsWith("t.yaml:4:27: requests workload 1 at 'core-1' includes core-1 (a core node)"));
  const std::string self_link =
      "name: t\nduration: 5s\nnetwork:\n  links:\n    - { between: [edge-1, edge-1], drop: 0.1 }\n";
  REQUIRE_THROWS_WITH(scenario::load_scenario_text(self_link, "t.yaml"),
                      StartsWith("t.yaml:5:19: network.links[0] is between edge-1 and itself only"));
}

TEST_CASE("validate: memory_max is 1MiB..1TiB in a scenario built in C++ too", "[scenario][validate]") {
  scenario::Scenario sc = pings();
  sc.memory_max = uint64_t{1} << 20;
  CHECK_NOTHROW(scenario::validate(sc));
  sc.memory_max = uint64_t{1} << 40;
  CHECK_NOTHROW(scenario::validate(sc));
  sc.memory_max = (uint64_t{1} << 20) - 1;
  CHECK_THROWS_WITH(scenario::validate(sc), Contains("memory_max (bytes) is 1048575, expected 1048576..1099511627776"));
  sc.memory_max = (uint64_t{1} << 40) + 1;
  CHECK_THROWS_WITH(scenario::validate(sc), Contains("memory_max (bytes) is 1099511627777"));
}

TEST_CASE("validate: the sizes memory_max and --memory-max read", "[scenario][validate]") {
  std::string why;
  CHECK(scenario::parse_memory_size("512MiB", why) == uint64_t{512} << 20);
  CHECK(scenario::parse_memory_size("4GB", why) == uint64_t{4000000000});
  CHECK(scenario::parse_memory_size("1048576", why) == uint64_t{1} << 20);
  CHECK_FALSE(scenario::parse_memory_size("1TB1", why).has_value());
  CHECK_FALSE(scenario::parse_memory_size("1048575", why).has_value());
  CHECK(why == "out of range, expected 1MiB..1TiB");
  CHECK_FALSE(scenario::parse_memory_size("999999999999999TiB", why).has_value());  // no wrap
  CHECK(why == "out of range, expected 1MiB..1TiB");
}

TEST_CASE("validate: causality cannot be expected with vector clocks off", "[scenario][validate]") {
  scenario::Scenario sc = three_tier();
  sc.model.vector_clocks = false;
  CHECK_NOTHROW(scenario::validate(sc));
  sc.expect.invariants.push_back("causality");
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("invariant 'causality' with model.vector_clocks: false"));
  sc.model.vector_clocks = true;
  CHECK_NOTHROW(scenario::validate(sc));
}

TEST_CASE("validate: expect.billing needs a billing workload with operations of its kind", "[scenario][validate]") {
  scenario::Scenario sc = three_tier();
  sc.expect.billing.served_ratio_min = 0.9;
  REQUIRE_THROWS_WITH(scenario::validate(sc),
                      Contains("expect.billing.served_ratio_min in a scenario without a billing workload"));
  scenario::BillingWorkload w;
  w.at = {"edge", {}};
  w.rate_per_s = 10;
  w.mix_debit = w.mix_transfer = w.mix_top_up = w.mix_port = 0;  // reads only
  sc.billing.push_back(w);
  CHECK_NOTHROW(scenario::validate(sc));
  sc.expect.billing.latency_p99 = 1_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc),
                      Contains("expect.billing.latency_p99 in a scenario whose billing clients send no transaction"));
  sc.billing[0].mix_debit = 1;
  sc.billing[0].mix_balance = sc.billing[0].mix_number_owner = 0;
  CHECK_NOTHROW(scenario::validate(sc));
  sc.expect.billing.read_latency_p99 = 1_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc),
                      Contains("expect.billing.read_latency_p99 in a scenario whose billing clients send no read"));
  sc.billing[0].mix_balance = 1;
  CHECK_NOTHROW(scenario::validate(sc));
  sc.expect.billing.served_ratio_min = 1.5;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.served_ratio_min is 1.5, expected a ratio above 0, at most 1"));
  sc.expect.billing.served_ratio_min = 0.0;  // could never fail
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.served_ratio_min is 0, expected a ratio above 0"));
  sc.expect.billing.served_ratio_min = 0.5;
  sc.expect.billing.latency_p99 = sim::Duration{0};
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.latency_p99 is 0s, expected a duration above 0s"));
  // At the clients' timeout (2 s by default) a bound could never fail.
  sc.expect.billing.latency_p99 = 2_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.latency_p99 is 2s, not below the longest "
                                                       "timeout of the billing clients that write (2s)"));
  sc.expect.billing.latency_p99 = 1999_ms;
  CHECK_NOTHROW(scenario::validate(sc));
  // billing.recovers_within: a fault window, starting at 1 s or later.
  sc.expect.billing.recovers_within = 2_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc),
                      Contains("expect.billing.recovers_within in a scenario without a fault window"));
  scenario::Fault crash;
  crash.kind = scenario::Fault::Kind::kCrash;
  crash.target = {"core-1", {}};
  crash.at = sim::Time{0} + 500_ms;
  crash.for_duration = 1_s;
  sc.faults.push_back(crash);
  // Its deadline at 3.5s leaves no second before 3s (5 s less the 2 s timeout).
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.recovers_within can never be judged: the last "
                                                       "fault window ends at 1.5s, and the deadline 2s later, at 3.5s, "
                                                       "leaves no whole second to judge (from 4s) before 3s"));
  sc.duration = 10_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.recovers_within can never be judged: the first "
                                                       "fault window begins at 500ms"));
  // At 1 s: 30 operations a second before it measure no level (100 needed).
  sc.faults[0].at = sim::Time{0} + 1_s;
  if (scenario::recovers_within_required(sc)) sc.expect.recovers_within = 2_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.billing.recovers_within can never be judged: the first "
                                                       "fault window begins at 1s, and the billing clients are "
                                                       "expected to send 30.0 operations"));
  // At 6 s of 15: the 4 s from 0s to 4s (less the 2 s timeout) hold 120.
  sc.duration = 15_s;
  sc.faults[0].at = sim::Time{0} + 6_s;
  if (scenario::recovers_within_required(sc)) sc.expect.recovers_within = 2_s;
  CHECK_NOTHROW(scenario::validate(sc));
}

TEST_CASE("validate: a latency bound at or above its clients' timeout is refused", "[scenario][validate]") {
  scenario::Scenario sc = three_tier();  // requests time out after 1 s
  sc.expect.tier_latency_p99[1] = 1_s;
  REQUIRE_THROWS_WITH(scenario::validate(sc), Contains("expect.latency_p99.core is 1s, not below the longest timeout "
                                                       "of the requests clients (1s)"));
  sc.expect.tier_latency_p99[1] = 999_ms;
  CHECK_NOTHROW(scenario::validate(sc));
  sc.expect.tier_latency_p99[2] = 5_s;  // the cloud row is core's quorum operations: not bounded so
  CHECK_NOTHROW(scenario::validate(sc));
  scenario::Scenario p = pings();  // pings time out after 1 s by default
  p.expect.ping_latency_p99 = 2_s;
  REQUIRE_THROWS_WITH(scenario::validate(p), Contains("expect.latency_p99.ping is 2s, not below the longest timeout"));
  p.expect.served_ratio_min = 0.0;
  p.expect.ping_latency_p99.reset();
  REQUIRE_THROWS_WITH(scenario::validate(p), Contains("expect.served_ratio_min is 0, expected a ratio above 0"));
}

}  // namespace test_validate
