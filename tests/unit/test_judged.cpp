// What each verdict counts as judged, from the twenty-fifth session's
// adversarial pass: a pass over nothing the promise was tested on is
// "nothing to judge" (a failed, vacuous verdict), and the tokens checker
// judges what the edge did with a bad token, not only how the client's
// request ended.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"

namespace test_judged {

using namespace ecsim;

namespace {

const run::Verdict& verdict_of(const run::RunResult& r, const std::string& name) {
  const run::Verdict* found = nullptr;
  for (const run::Verdict& v : r.verdicts) {
    if (v.name == name) found = &v;
  }
  REQUIRE(found != nullptr);
  return *found;
}

run::RunResult run_text(const std::string& text, proto::Plant plant = proto::Plant::kNone) {
  run::RunOptions o;
  o.plant = plant;
  return run::run_scenario(scenario::load_scenario_text(text, "t.yaml"), o);
}

// One edge node cut off from everything for the whole run: a bad token the
// edge accepts goes to core and fails there. The checker passed it as
// "failed" (allowed only for an edge down or overloaded).
constexpr const char* kCutOffEdge =
    "name: t\nduration: 3s\ntopology: { edge: 1, core: 1, cloud: 3 }\n"
    "workload: [{ kind: requests, rate: 200/s, mix: { write: 1 }, bad_tokens: 20% }]\n"
    "faults: [{ at: 0s, partition: [[edge], \"*\"] }]\n"
    "expect: { invariants: [tokens] }\n";

}  // namespace

TEST_CASE("judged: a bad token passed on to core fails tokens however the request ended", "[judged][tokens]") {
  const run::RunResult clean = run_text(kCutOffEdge);
  const run::Verdict& ok = verdict_of(clean, "tokens");
  INFO(ok.detail);
  CHECK(ok.ok);
  CHECK(ok.detail.find("none answered ok or passed on to core") != std::string::npos);
  const run::RunResult planted = run_text(kCutOffEdge, proto::Plant::kAuthSkipVerify);
  const run::Verdict& bad = verdict_of(planted, "tokens");
  INFO(bad.detail);
  CHECK_FALSE(bad.ok);
  CHECK(bad.detail.find("token was passed on to core (its edge node accepted the token)") != std::string::npos);
}

TEST_CASE("judged: bad-token requests lost or open at the end are counted", "[judged][tokens]") {
  // Every token bad, and the edge crashes for a while: requests lost in it
  // or still open at the end were left out of the count (traced only when
  // their outcome was known). Now the checker counts every request sent.
  const run::RunResult r = run_text(
      "name: t\nduration: 5s\ntopology: { edge: 1, core: 1, cloud: 3 }\n"
      "workload: [{ kind: requests, rate: 2000/s, mix: { read: 1 }, bad_tokens: 100% }]\n"
      "faults: [{ at: 1s, crash: edge-1, for: 1500ms }]\n"
      "expect: { invariants: [tokens] }\n");
  const run::Verdict& v = verdict_of(r, "tokens");
  INFO(v.detail);
  CHECK(v.ok);
  uint64_t offered = 0;
  for (const run::TierRow& row : r.tiers.rows) {
    if (row.label != "cloud") offered += row.requests;
  }
  CHECK(v.detail.rfind(fmt::format("{} requests with a bad token: ", offered), 0) == 0);
  CHECK(v.detail.find(" still open at the end") != std::string::npos);
}

TEST_CASE("judged: forged writes that all got lost leave edge_isolation nothing to judge", "[judged]") {
  const std::string text =
      "name: t\nduration: 3s\ntopology: { edge: 2, core: 1, cloud: 3 }\n"
      "workload: [{ kind: requests, rate: 100/s, mix: { read: 1 } }]\n"
      "faults:\n  - { at: 0s, drop: { between: [edge-1, cloud], rate: 100% } }\n"
      "  - { at: 0s, byzantine: edge-1, strategy: cloud_direct_write, rate: 50/s }\n"
      "expect: { invariants: [edge_isolation] }\n";
  for (const proto::Plant plant : {proto::Plant::kNone, proto::Plant::kStorageAcceptAnyWriter}) {
    const run::RunResult r = run_text(text, plant);
    const run::Verdict& v = verdict_of(r, "edge_isolation");
    INFO(v.detail);
    CHECK_FALSE(v.ok);
    CHECK(v.vacuous);
    CHECK(v.detail.rfind("nothing to judge: ", 0) == 0);
  }
}

TEST_CASE("judged: exactly_once with nothing delivered has nothing to judge", "[judged]") {
  const run::RunResult r = run_text(
      "name: t\nduration: 3s\ntopology: { edge: 1, core: 1, cloud: 3 }\n"
      "workload: [{ kind: requests, rate: 100/s, mix: { dsm_set: 1 } }]\n"
      "faults: [{ at: 0s, partition: [[edge-1], \"*\"] }]\n"
      "expect: { invariants: [exactly_once] }\n");
  const run::Verdict& v = verdict_of(r, "exactly_once");
  INFO(v.detail);
  CHECK(v.vacuous);
  CHECK(v.detail.find(" 0 delivered exactly once") != std::string::npos);
}

TEST_CASE("judged: a restart catch_up could not judge leaves it nothing to judge", "[judged]") {
  // cloud-2 restarts into a partition that never heals.
  const run::RunResult r = run_text(
      "name: t\nduration: 5s\ntopology: { edge: 2, core: 1, cloud: 3 }\n"
      "workload: [{ kind: requests, rate: 300/s, mix: { write: 1, read: 1 } }]\n"
      "faults:\n  - { at: 1s, crash: cloud-2, for: 1s }\n"
      "  - { at: 1500ms, partition: [[cloud-2], \"*\"] }\n"
      "expect: { invariants: [catch_up] }\n");
  const run::Verdict& v = verdict_of(r, "catch_up");
  INFO(v.detail);
  CHECK(v.vacuous);
  CHECK(v.detail.find("not judged (every peer down, cut off or losing most messages at the end): cloud-2") !=
        std::string::npos);
}

TEST_CASE("judged: durability over no promise made before a crash has nothing to judge", "[judged]") {
  // Three tiers: cloud-2 crashes before any write was acknowledged.
  const run::RunResult tiers_run = run_text(
      "name: t\nduration: 5s\ntopology: { edge: 1, core: 1, cloud: 3 }\n"
      "workload: [{ kind: requests, rate: 100/s, mix: { write: 1 } }]\n"
      "faults: [{ at: 0s, crash: cloud-2, for: 1s }]\n"
      "expect: { invariants: [durability] }\n");  // a fault at 0s leaves no level to recover to
  const run::Verdict& tiers = verdict_of(tiers_run, "durability");
  INFO(tiers.detail);
  CHECK(tiers.vacuous);
  CHECK(tiers.detail.find("holding all 0 promises made before") != std::string::npos);
  // The ping model: the crashed node never wrote its disk.
  const run::RunResult ping_run = run_text(
      "name: t\nduration: 3s\nworkload: [{ kind: ping, from: edge, to: core, rate: 100/s }]\n"
      "faults: [{ at: 2999ms, crash: cloud-1 }]\nexpect: { invariants: [durability] }\n");
  const run::Verdict& ping = verdict_of(ping_run, "durability");
  INFO(ping.detail);
  CHECK(ping.vacuous);
  CHECK(ping.detail.find("(0 synced entries held)") != std::string::npos);
}

TEST_CASE("judged: a timed crash skipped for a node already down does not restart it", "[judged][faults]") {
  // cloud-2 goes down for good at a protocol point; the timed crash with
  // `for` is skipped, and its `for` must not bring the node back.
  const run::RunResult r = run_text(
      "name: t\nduration: 7s\ntopology: { edge: 2, core: 2, cloud: 3 }\n"
      "workload: [{ kind: requests, rate: 300/s, mix: { read: 1, write: 1 } }]\n"
      "faults:\n  - { at_point: storage.replica.after_sync, node: cloud-2, nth: 50, do: crash }\n"
      "  - { at: 3s, crash: cloud-2, for: 500ms }\n"
      "expect: { recovers_within: 1s }\n");
  CHECK(r.nodes.crashes == 1);
  CHECK(r.nodes.restarts == 0);
}

TEST_CASE("judged: billing promises over reads and no transaction have nothing to judge", "[judged][billing]") {
  // Only balance and owner reads: no transaction, so no conservation, no
  // port and nothing uncommitted a read could have seen (the three said
  // "12 checked", "12 checked" and "284 checked" before).
  const run::RunResult r = run_text(
      "name: t\nduration: 3s\ntopology: { edge: 3, core: 2, cloud: 3 }\n"
      "workload:\n  - { kind: requests, rate: 10/s, mix: { session_check: 1 } }\n"
      "  - { kind: billing, at: edge, rate: 20/s, subscribers: 4, numbers: 1, balance: 1000,\n"
      "      mix: { balance: 1, number_owner: 1 } }\n");
  for (const char* name : {"billing_conservation", "billing_number_uniqueness", "billing_isolation"}) {
    const run::Verdict& v = verdict_of(r, name);
    INFO(name << ": " << v.detail);
    CHECK(v.vacuous);
    CHECK(v.informational);
  }
  // Debits and transfers, no port: conservation judged, numbers not.
  const run::RunResult money = run_text(
      "name: t\nduration: 3s\ntopology: { edge: 3, core: 2, cloud: 3 }\n"
      "workload:\n  - { kind: requests, rate: 10/s, mix: { session_check: 1 } }\n"
      "  - { kind: billing, at: edge, rate: 50/s, subscribers: 20, numbers: 1, balance: 1000,\n"
      "      mix: { debit: 2, transfer: 1 } }\n");
  CHECK_FALSE(verdict_of(money, "billing_conservation").vacuous);
  CHECK(verdict_of(money, "billing_number_uniqueness").vacuous);
}

}  // namespace test_judged
