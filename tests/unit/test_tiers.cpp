#include <catch2/catch.hpp>
#include <map>
#include <vector>

#include "ecsim/check/acked_writes.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/tiers/end_state.hpp"
#include "ecsim/tiers/world.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/windows.hpp"

namespace test_tiers {

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
  sc.expect.invariants = {"acknowledged_writes"};
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
  sc.expect.invariants.clear();  // nothing is written: validate refuses acknowledged_writes
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
  if (scenario::recovers_within_required(sc)) sc.expect.recovers_within = 1_s;  // required where judgeable
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

namespace {
// Clients at every edge node write 64 shared DSM keys while edge-1 is cut
// off from 2 s to 5 s; `tail` ends the workload entry (e.g. "until: 7s").
scenario::Scenario partition_heal_dsm(const std::string& tail, const std::string& quiescence = "2s") {
  return scenario::load_scenario_text(
      "name: dsm\nduration: 13s\nseed: 3\n"
      "workload:\n"
      "  - { kind: requests, rate: 300/s, subscribers: 2000, dsm_keys: 64,\n"
      "      mix: { read: 20, dsm_set: 50, dsm_get: 30 }" + tail + " }\n"
      "faults:\n  - { at: 2s, partition: [[edge-1], \"*\"], for: 3s }\n"
      "expect:\n  invariants: [causality, convergence]\n  recovers_within: 1s\n  quiescence: " + quiescence + "\n",
      "dsm.yaml");
}

const run::Verdict* verdict(const run::RunResult& r, const std::string& name) {
  const run::Verdict* found = nullptr;
  for (const run::Verdict& v : r.verdicts) {
    if (v.name != name) continue;
    REQUIRE(found == nullptr);  // each verdict once
    found = &v;
  }
  REQUIRE(found != nullptr);
  return found;
}
}  // namespace

TEST_CASE("tiers: DSM replicas written on both sides of a partition converge after the heal", "[tiers][dsm]") {
  const scenario::Scenario sc = partition_heal_dsm(", until: 7s");
  REQUIRE(sc.requests.front().until == 7_s);
  REQUIRE(sc.expect.quiescence == 2_s);
  const run::RunResult r = run::run_scenario(sc, {});
  const run::Verdict* v = verdict(r, "convergence");
  INFO(v->detail);
  CHECK(v->ok);
  CHECK(v->detail.find("64 keys checked on 8 replicas") == 0);
  verdict(r, "causality");  // listed and judged on every tier run: reported once
}

TEST_CASE("tiers: the convergence check fails when the run leaves no quiet time at the end", "[tiers][dsm]") {
  // DSM writes up to the very end.
  const run::RunResult busy = run::run_scenario(partition_heal_dsm(""), {});
  const run::Verdict* v = verdict(busy, "convergence");
  INFO(v->detail);
  CHECK_FALSE(v->ok);
  CHECK(v->detail.find("not quiescent: last DSM activity at ") == 0);
  CHECK(v->detail.find("need 2s of quiet before the end at 13.000s") != std::string::npos);
  CHECK_FALSE(busy.ok());
  // Quiet from about 10 s (the last UPDATEs lost in the partition are
  // resent 5 s later), but the scenario asks for 5 s of quiet.
  const run::RunResult short_quiet = run::run_scenario(partition_heal_dsm(", until: 7s", "5s"), {});
  const run::Verdict* w = verdict(short_quiet, "convergence");
  INFO(w->detail);
  CHECK_FALSE(w->ok);
  CHECK(w->detail.find("not quiescent: last DSM activity at ") == 0);
  CHECK(w->detail.find("need 5s of quiet before the end at 13.000s") != std::string::npos);
  // The partition never heals.
  scenario::Scenario cut = partition_heal_dsm(", until: 7s");
  cut.faults.front().for_duration.reset();
  cut.expect.recovers_within.reset();  // nothing left to judge: validate refuses it
  const run::RunResult unhealed = run::run_scenario(cut, {});
  const run::Verdict* x = verdict(unhealed, "convergence");
  INFO(x->detail);
  CHECK_FALSE(x->ok);
  CHECK(x->detail.find("not quiescent: the network is not healed") == 0);
}

// UPDATEs held back for an hour on one link for 10 ms: the network is whole
// again and no DSM write happens after 2 s, yet the replicas still differ
// because those UPDATEs (and, FIFO behind them, their resends) are on their
// way. That is a run not yet quiescent, not a divergence (found by an
// adversarial pass: the verdict said "4 of 4 keys diverge").
TEST_CASE("tiers: convergence with UPDATEs still un-ACKed at the end is not quiescent", "[tiers][dsm]") {
  const scenario::Scenario sc = scenario::load_scenario_text(
      "name: t\nduration: 10s\nworkload:\n"
      "  - { kind: requests, rate: 100/s, mix: { dsm_set: 1 }, dsm_keys: 4, until: 2s }\nfaults:\n"
      "  - { at: 1s, delay: { between: [edge-1, \"*\"], latency: { constant: 1h } }, for: 10ms }\n"
      "expect:\n  invariants: [convergence]\n",
      "t.yaml");
  const run::RunResult r = run::run_scenario(sc, {});
  const run::Verdict* v = verdict(r, "convergence");
  INFO(v->detail);
  CHECK_FALSE(v->ok);
  CHECK(v->detail.find("not quiescent: ") == 0);
  CHECK(v->detail.find("to nodes up at the end still un-ACKed at 10.000s") != std::string::npos);
  CHECK(v->detail.find("keys diverge: they may settle in a longer run, or never") != std::string::npos);
  CHECK_FALSE(v->vacuous);
}

// msgq messages still un-ACKed for a node down for good change nothing the
// verdict judges (down replicas are skipped): with the replicas that are up
// diverging, that is the finding, not "they may settle in a longer run".
TEST_CASE("tiers: convergence ignores UPDATEs pending to a node down at the end", "[tiers][dsm]") {
  const scenario::Scenario sc = scenario::load_scenario_text(
      "name: t\nduration: 10s\nworkload:\n"
      "  - { kind: requests, rate: 2000/s, mix: { dsm_set: 1 }, dsm_keys: 4, until: 3s }\n"
      "faults:\n  - { at: 1s, crash: edge-3 }\n"
      "expect:\n  recovers_within: 1s\n  invariants: [convergence]\n",
      "t.yaml");
  run::RunOptions o;
  o.plant = proto::Plant::kDsmArrivalOrderTiebreak;
  const run::RunResult r = run::run_scenario(sc, o);
  const run::Verdict* v = verdict(r, "convergence");
  INFO(v->detail);
  CHECK_FALSE(v->ok);
  CHECK(v->detail.find(" keys diverge and never settle: ") != std::string::npos);
  CHECK(v->detail.find("un-ACKed") == std::string::npos);
  // Without the plant the replicas that are up agree.
  const run::RunResult plain = run::run_scenario(sc, {});
  const run::Verdict* clean = verdict(plain, "convergence");
  INFO(clean->detail);
  CHECK(clean->ok);
  CHECK(clean->detail.find("1 down node skipped") != std::string::npos);
}

// A figure over no request fails as nothing to judge, never as "p99 0ms".
TEST_CASE("tiers: a latency over no request has nothing to judge", "[tiers]") {
  // Reads only, and no edge cache: no request is served at the edge.
  const scenario::Scenario sc = scenario::load_scenario_text(
      "name: t\nduration: 3s\nworkload:\n  - { kind: requests, rate: 100/s, mix: { read: 1 } }\n"
      "expect:\n  latency_p99: { edge: 10ms, core: 900ms, cloud: 900ms }\n",
      "t.yaml");
  const run::RunResult r = run::run_scenario(sc, {});
  const run::Verdict* edge = verdict(r, "latency_p99.edge");
  CHECK(edge->detail == "nothing to judge: no client request counted in the edge tier's row, need p99 <= 10ms");
  CHECK(edge->vacuous);
  CHECK_FALSE(edge->ok);
  CHECK(verdict(r, "latency_p99.core")->ok);
  // The cloud row says what it is over: core's quorum operations, not client requests.
  CHECK(verdict(r, "latency_p99.cloud")->detail.find(" quorum operations at core (") != std::string::npos);
}

// The acknowledged-writes check on hand-made replica states: a key
// acknowledged at a version that only one replica holds must be reported,
// naming the key, the version and the replicas.
TEST_CASE("tiers: acknowledged_writes check reports an acknowledged version missing from a quorum", "[tiers]") {
  using proto::storage::Version;
  const std::vector<std::string> names = {"edge-1", "core-1", "cloud-1", "cloud-2", "cloud-3"};
  // Acknowledged as the end state's records #20 and #21 say, at 60 s.
  std::map<uint64_t, check::AckedVersion> acked = {{7, {Version{3, 1}, 60'000'000'000, 20}},
                                                   {9, {Version{1, 1}, 60'000'000'000, 21}}};
  std::vector<check::ReplicaVersions> replicas = {
      {2, false, {{7, Version{3, 1}}, {9, Version{1, 1}}}},
      {3, false, {{7, Version{2, 1}}, {9, Version{2, 1}}}},  // key 7 behind; key 9 newer: fine
      {4, true, {{9, Version{1, 1}}}},                         // down, from its log; key 7 missing
  };
  const check::AckedWritesReport bad = check::check_acknowledged_writes(acked, replicas, names);
  CHECK_FALSE(bad.ok());
  CHECK(bad.keys_checked == 2);
  REQUIRE(bad.violation_count == 1);
  REQUIRE(bad.violations.size() == 1);
  CHECK(bad.violations[0].key == 7);
  CHECK(bad.violations[0].acked == Version{3, 1});
  const std::string& what = bad.violations[0].what;
  INFO(what);
  CHECK(what.find("at 60s, record #20: key 7") == 0);
  CHECK(what.find("(3, core-1)") != std::string::npos);
  CHECK(what.find("cloud-2 has (2, core-1)") != std::string::npos);
  CHECK(what.find("cloud-3 has none") != std::string::npos);

  // The same states with cloud-2 holding key 7's acknowledged version pass.
  replicas[1].versions[7] = Version{3, 1};
  CHECK(check::check_acknowledged_writes(acked, replicas, names).ok());
}

TEST_CASE("tiers: log_versions keeps the newest version per key of a log", "[tiers]") {
  using proto::storage::Version;
  using proto::storage::WalPut;
  const std::vector<std::string> log = {
      proto::storage::encode(WalPut{5, 50, Version{2, 1}, 10}),
      proto::storage::encode(WalPut{5, 40, Version{1, 1}, 20}),
      std::string("garbage"),
      proto::storage::encode(proto::storage::WalMark{3, 30}),
  };
  const auto v = tiers::log_versions(log);
  REQUIRE(v.size() == 1);
  CHECK(v.at(5) == Version{2, 1});
}

TEST_CASE("tiers: a restarted edge rehydrates its hot keys and a restarted cloud replica catches up", "[tiers]") {
  scenario::Scenario sc = three_tier(500);
  sc.duration = 12_s;
  scenario::Fault crash_edge;
  crash_edge.kind = scenario::Fault::Kind::kCrash;
  crash_edge.at = sim::Time{0} + 4_s;
  crash_edge.for_duration = 1_s;
  crash_edge.target = {"edge-1", {}};
  scenario::Fault crash_cloud = crash_edge;
  crash_cloud.target = {"cloud-3", {}};
  sc.faults = {crash_edge, crash_cloud};
  if (scenario::recovers_within_required(sc)) sc.expect.recovers_within = 1_s;  // required where judgeable
  const run::RunResult r = run::run_scenario(sc, {});
  REQUIRE(r.tiers.rehydrations.size() == 1);
  const run::EdgeRehydration& e = r.tiers.rehydrations[0];
  CHECK(e.node == "edge-1");
  CHECK(e.crash_ns == 4'000'000'000);
  CHECK(e.restart_ns == 5'000'000'000);
  CHECK(e.keys > 0);
  CHECK(e.finished);
  CHECK(e.duration_ns > 0);
  CHECK(e.fetched + e.given_up == e.keys);
  REQUIRE(r.tiers.catch_ups.size() == 1);
  CHECK(r.tiers.catch_ups[0].node == "cloud-3");
  CHECK(r.tiers.catch_ups[0].caught_up);
  for (const run::Verdict& v : r.verdicts) {
    INFO(v.name << ": " << v.detail);
    CHECK(v.ok);
  }
}

TEST_CASE("tiers: a core crash resets the edges' connections to it and their calls move on at once", "[tiers]") {
  const auto run_with = [](bool crash) {
    scenario::Scenario sc = three_tier(500);
    sc.requests.front().mix_write = 40;  // plenty of core traffic
    if (crash) {
      scenario::Fault f;
      f.kind = scenario::Fault::Kind::kCrash;
      f.at = sim::Time{0} + 2_s;
      f.target = {"core-1", {}};
      sc.faults.push_back(f);
      if (scenario::recovers_within_required(sc)) sc.expect.recovers_within = 1_s;  // required where judgeable
    }
    return run::run_scenario(sc, {});
  };
  const run::RunResult calm = run_with(false);
  const run::RunResult crashed = run_with(true);
  CHECK(calm.tiers.rpc.resets == 0);
  CHECK(calm.tiers.rpc.cores_suspected == 0);
  // Calls in flight on core-1's connections were cut at the crash, and the
  // edges' circuit breakers keep sending core-1's share straight to core-2
  // (a call to a suspected core fails at once) instead of letting it wait
  // out a 200 ms timeout there; every second the breaker lets a few
  // through, which fail, and it opens again.
  CHECK(crashed.tiers.rpc.resets > 0);
  CHECK(crashed.tiers.rpc.cores_suspected >= 3);  // each edge at least once
  CHECK(crashed.tiers.rpc.unreachable > 100);
  CHECK(crashed.tiers.rpc.timeouts * 20 < crashed.tiers.rpc.unreachable);
  // After the crash every edge request goes to core-2 (after a failed try
  // at core-1 for half of the first attempts): nothing is lost.
  const run::TierRow* core = nullptr;
  for (const run::TierRow& row : crashed.tiers.rows) {
    if (row.label == "core") core = &row;
  }
  REQUIRE(core != nullptr);
  CHECK(core->failed * 100 < core->requests);
}

TEST_CASE("tiers: an answer after the client's timeout is a failure, not a slow success", "[tiers]") {
  scenario::Scenario sc = three_tier(300);
  sc.requests.front().timeout = 10_ms;  // requests through core take about 20 ms
  const run::RunResult r = run::run_scenario(sc, {});
  const run::TierRow* core = nullptr;
  for (const run::TierRow& row : r.tiers.rows) {
    if (row.label == "core") core = &row;
  }
  REQUIRE(core != nullptr);
  CHECK(r.tiers.answered_late > 0);
  CHECK(core->failed >= r.tiers.answered_late / 2);
  CHECK(core->ok_p99_ns <= (10_ms).ns);  // no ok request slower than its client waited
  CHECK(core->max_ns == (10_ms).ns);     // the failed ones count at the timeout
  // With the default 1 s timeout nothing is late.
  const run::RunResult calm = run::run_scenario(three_tier(300), {});
  CHECK(calm.tiers.answered_late == 0);
}

TEST_CASE("tiers: an edge node is homed to at most four cores, all of them in a small cluster", "[tiers]") {
  using ecsim::tiers::home_cores;
  const std::vector<ecsim::net::NodeId> two = {3, 4};
  CHECK(home_cores(two, 0, 3) == two);
  CHECK(home_cores(two, 2, 3) == two);
  std::vector<ecsim::net::NodeId> cores;
  for (ecsim::net::NodeId c = 100; c < 130; ++c) cores.push_back(c);  // 30 cores
  std::map<ecsim::net::NodeId, int> homed;                          // edges per core
  for (size_t e = 0; e < 90; ++e) {
    const std::vector<ecsim::net::NodeId> h = home_cores(cores, e, 90);
    REQUIRE(h.size() == ecsim::tiers::kHomeCoresMax);
    for (size_t i = 1; i < h.size(); ++i) CHECK(h[i] == (h[i - 1] + 1 - 100) % 30 + 100);  // consecutive, wrapping
    for (ecsim::net::NodeId c : h) ++homed[c];
  }
  REQUIRE(homed.size() == 30);  // every core is someone's home
  for (const auto& [core, n] : homed) CHECK(n == 12);  // 90 edges x 4 homes / 30 cores
}

TEST_CASE("tiers: service_wait_max bounds the longest wait the load model gives", "[tiers][load]") {
  tiers::TierParams p;
  // Defaults: the edge's 600 us on 2 cores behind 2,000 waiting; the core's
  // 1 ms on 4; the cloud's 300 us on 4.
  CHECK(p.service_wait_max(tiers::Role::kEdge) == sim::microseconds(600) * (2000 / 2 + 2));
  CHECK(p.service_wait_max(tiers::Role::kCore) == sim::milliseconds(1) * (2000 / 4 + 2));
  CHECK(p.service_wait_max(tiers::Role::kCloud) == sim::microseconds(300) * (2000 / 4 + 2));
  p.edge_cores = 1;
  CHECK(p.service_wait_max(tiers::Role::kEdge) == sim::microseconds(600) * (2000 + 2));
  // Against the model: every core busy and the queue full of the longest
  // jobs, arriving in one instant; the last one admitted ends within the
  // bound, and the bound is not loose by more than two services.
  for (const uint32_t cores : {1u, 2u, 3u, 4u, 7u}) {
    p.edge_cores = cores;
    p.core_cores = cores;
    p.cloud_cores = cores;
    for (const tiers::Role r : {tiers::Role::kEdge, tiers::Role::kCore, tiers::Role::kCloud}) {
      const node::LoadProfile lp = tiers::load_profile(r, p);
      uint32_t longest_kind = 0;
      for (uint32_t k = 0; k < node::LoadProfile::kKindsMax; ++k) {
        if (lp.service[k] > lp.service[longest_kind]) longest_kind = k;
      }
      node::LoadModel m(lp);
      const sim::Time now{1'000'000'000};
      sim::Time last_done = now;
      while (true) {
        const node::LoadModel::Admission a = m.admit(now, longest_kind);
        if (!a.accepted) break;
        last_done = a.done;
      }
      const sim::Duration bound = p.service_wait_max(r);
      CHECK(last_done - now <= bound);
      CHECK(bound - (last_done - now) <= lp.service[longest_kind] * 2);
    }
  }
}

}  // namespace test_tiers
