// The billing workload (issue 11, item 1): its configuration, initial state
// and generator, and the `kind: billing` YAML (values, defaults, and one
// exact error line for each bad input).
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/trace.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/workload/billing.hpp"

namespace test_billing {

using namespace ecsim;
using namespace ecsim::sim::literals;
using workload::BillingConfig;
using workload::BillingGenerator;
using workload::BillingKind;
using workload::BillingOp;

namespace {
std::string error_of(std::string_view text) {
  try {
    scenario::load_scenario_text(text, "t.yaml");
  } catch (const scenario::LoadError& e) {
    return e.what();
  }
  FAIL("loaded, but an error was expected");
  return "";
}
const std::string kTiers = "name: t\nduration: 60s\nworkload:\n  - { kind: requests, rate: 10/s }\n";

struct Collect final : sim::TraceObserver {
  std::vector<sim::Record> records;
  void on_record(const sim::Record& r) override { records.push_back(r); }
};
}  // namespace

TEST_CASE("billing: config validation names the problem", "[billing]") {
  CHECK(BillingConfig{}.validate().empty());
  auto bad = [](auto mutate) {
    BillingConfig c;
    mutate(c);
    return c.validate();
  };
  CHECK_THAT(bad([](BillingConfig& c) { c.rate_per_s = 0; }), Catch::Contains("rate"));
  CHECK_THAT(bad([](BillingConfig& c) { c.subscribers = 1; }), Catch::Contains("subscribers"));
  CHECK_THAT(bad([](BillingConfig& c) { c.numbers_per_subscriber = 9; }), Catch::Contains("numbers"));
  CHECK_THAT(bad([](BillingConfig& c) { c.initial_balance = -1; }), Catch::Contains("balance"));
  CHECK_THAT(bad([](BillingConfig& c) { c.amount_min = 0; }), Catch::Contains("amount"));
  CHECK_THAT(bad([](BillingConfig& c) { c.amount_max = c.amount_min - 1; }), Catch::Contains("amount"));
  CHECK_THAT(bad([](BillingConfig& c) { c.mix = {}; }), Catch::Contains("no positive weight"));
  CHECK_THAT(bad([](BillingConfig& c) {
               c.subscribers = BillingConfig::kSubscribersMax;
               c.numbers_per_subscriber = 2;
             }),
             Catch::Contains("times numbers"));
}

TEST_CASE("billing: initial state gives every subscriber its balance and numbers", "[billing]") {
  BillingConfig c;
  c.subscribers = 5;
  c.numbers_per_subscriber = 2;
  c.initial_balance = 700;
  const auto accounts = workload::initial_accounts(c);
  const auto numbers = workload::initial_numbers(c);
  REQUIRE(accounts.size() == 5);
  REQUIRE(numbers.size() == 10);
  for (uint64_t s = 1; s <= 5; ++s) {
    CHECK(accounts[s - 1].subscriber == s);
    CHECK(accounts[s - 1].balance == 700);
  }
  std::set<uint64_t> distinct;
  for (const auto& n : numbers) {
    CHECK(distinct.insert(n.number).second);  // no number on two subscribers
    CHECK(n.owner == (n.number - workload::kNumberBase) / 2 + 1);
  }
  // The billing keys are apart from every request key (subscriber << 16 | record < 2^56).
  CHECK(workload::billing_key(1) >= (uint64_t{1} << 56));

  // Traced at t = 0: accounts then numbers.
  sim::Trace trace;
  Collect seen;
  trace.add_observer(&seen);
  tiers::trace_billing_state(trace, c);
  REQUIRE(seen.records.size() == 15);
  CHECK(seen.records[0].type == tiers::kRecordBillingAccount);
  CHECK(seen.records[0].a == 1);
  CHECK(seen.records[0].b == 700);
  CHECK(seen.records[5].type == tiers::kRecordBillingNumber);
  CHECK(seen.records[5].a == workload::kNumberBase);
  CHECK(seen.records[5].b == 1);
  for (const auto& r : seen.records) CHECK(r.time_ns == 0);
}

TEST_CASE("billing: the generator is deterministic and follows its mix", "[billing]") {
  BillingConfig c;
  c.subscribers = 50;
  c.numbers_per_subscriber = 2;
  c.amount_min = 10;
  c.amount_max = 20;
  c.mix = {.debit = 1, .transfer = 1, .top_up = 1, .port = 1, .balance = 1, .number_owner = 1};
  BillingGenerator a(c, sim::Rng(7));
  BillingGenerator b(c, sim::Rng(7));
  std::map<BillingKind, int> kinds;
  std::map<uint64_t, uint64_t> owner;  // this generator's own ports, followed
  for (int i = 0; i < 6000; ++i) {
    CHECK(a.next_gap() == b.next_gap());
    const BillingOp x = a.next_op();
    const BillingOp y = b.next_op();
    REQUIRE((x.id == y.id && x.kind == y.kind && x.subscriber == y.subscriber && x.from == y.from &&
             x.to == y.to && x.amount == y.amount && x.number == y.number));
    ++kinds[x.kind];
    REQUIRE(x.subscriber >= 1);
    REQUIRE(x.subscriber <= 50);
    switch (x.kind) {
      case BillingKind::kDebit:
        CHECK(x.from == x.subscriber);
        break;
      case BillingKind::kTransfer:
        CHECK(x.from == x.subscriber);
        CHECK(x.to != x.from);
        break;
      case BillingKind::kTopUp:
        CHECK(x.to == x.subscriber);
        break;
      case BillingKind::kPort: {
        CHECK(x.from == x.subscriber);
        CHECK(x.to != x.from);
        const uint64_t expected = owner.count(x.number) ? owner[x.number] : (x.number - workload::kNumberBase) / 2 + 1;
        CHECK(x.from == expected);  // the owner it believes in: the last one it ported to
        owner[x.number] = x.to;
        break;
      }
      case BillingKind::kBalance:
      case BillingKind::kNumberOwner:
        break;
    }
    if (workload::is_billing_write(x.kind) && x.kind != BillingKind::kPort) {
      CHECK(x.amount >= 10);
      CHECK(x.amount <= 20);
    } else {
      CHECK(x.amount == 0);
    }
    if (x.kind == BillingKind::kPort || x.kind == BillingKind::kNumberOwner) {
      CHECK(x.number >= workload::kNumberBase);
      CHECK(x.number < workload::kNumberBase + 100);
    }
  }
  for (int k = 0; k < workload::kBillingKinds; ++k) {
    CHECK(kinds[static_cast<BillingKind>(k)] > 850);  // 1000 expected each; 5 sd is about 150
    CHECK(kinds[static_cast<BillingKind>(k)] < 1150);
  }
}

TEST_CASE("loader: a billing workload with every field, and its defaults", "[billing][scenario]") {
  const scenario::Scenario s = scenario::load_scenario_text(kTiers + R"(  - { kind: billing, at: edge-1, rate: 200/s, subscribers: 64, numbers: 2, balance: 5000,
      amount: [10, 900], mix: { debit: 5, transfer: 4, top_up: 3, port: 2, balance: 1, number_owner: 6 },
      timeout: 3s, until: 20s, cache: { entries: 128, staleness_max: 250ms } }
  - { kind: billing, rate: 5/s, subscribers: 64, numbers: 2, balance: 5000, mix: { port: 1 },
      cache: { entries: 128, staleness_max: 250ms } }
)",
                                                            "t.yaml");
  REQUIRE(s.billing.size() == 2);
  const scenario::BillingWorkload& w = s.billing[0];
  CHECK(w.at.text == "edge-1");
  CHECK(w.rate_per_s == 200);
  CHECK(w.subscribers == 64);
  CHECK(w.numbers_per_subscriber == 2);
  CHECK(w.initial_balance == 5000);
  CHECK(w.amount_min == 10);
  CHECK(w.amount_max == 900);
  CHECK(w.mix_debit == 5);
  CHECK(w.mix_transfer == 4);
  CHECK(w.mix_top_up == 3);
  CHECK(w.mix_port == 2);
  CHECK(w.mix_balance == 1);
  CHECK(w.mix_number_owner == 6);
  CHECK(w.timeout == 3_s);
  REQUIRE(w.until.has_value());
  CHECK(*w.until == 20_s);
  CHECK(w.cache_entries == 128);
  REQUIRE(w.cache_staleness_max.has_value());
  CHECK(*w.cache_staleness_max == 250_ms);
  CHECK(w.mark.line == 5);
  const scenario::BillingWorkload& d = s.billing[1];
  CHECK(d.at.text == "edge");
  CHECK(d.amount_min == 100);
  CHECK(d.amount_max == 50000);
  CHECK(d.mix_debit == 0);
  CHECK(d.mix_port == 1);
  CHECK(d.timeout == 2_s);
  CHECK_FALSE(d.until.has_value());
  const scenario::Scenario plain = scenario::load_scenario_text(kTiers + "  - { kind: billing, rate: 5/s }\n", "t.yaml");
  CHECK(plain.billing[0].cache_entries == 0);  // the edge billing cache is off by default
  CHECK_FALSE(plain.billing[0].cache_staleness_max.has_value());
}

TEST_CASE("loader: every bad billing input gives its exact one-line error", "[billing][scenario]") {
  const std::string head = "name: t\nduration: 60s\nworkload:\n";
  CHECK(error_of(head + "  - { kind: billing, rate: 10/s }\n") ==
        "t.yaml:4:5: billing workload 1 without a requests workload, expected a requests workload beside it "
        "(the three tiers carry billing; a low rate will do)");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, subscriber: 5 }\n") ==
        "t.yaml:5:34: unknown key 'subscriber' in workload[1] (kind billing), did you mean 'subscribers'?");
  CHECK(error_of(kTiers + "  - { kind: billing }\n") ==
        "t.yaml:5:5: missing key 'rate' in workload[1], expected a rate like 200/s");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, subscribers: 1 }\n") ==
        "t.yaml:5:47: workload[1].subscribers is '1', expected an integer 2..1048576");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, amount: [50, 10] }\n") ==
        "t.yaml:5:47: workload[1].amount[1] is '10', expected an integer 50..281474976710656");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, amount: [50] }\n") ==
        "t.yaml:5:42: workload[1].amount is a list (1 item), expected a list [lo, hi] of minor units like [100, 50000]");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, mix: { debit: 0 } }\n") ==
        "t.yaml:5:39: workload[1].mix is a map (all weights 0), expected at least one weight above 0");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, mix: { refund: 1 } }\n") ==
        "t.yaml:5:41: unknown key 'refund' in workload[1].mix, expected debit, transfer, top_up, port, balance "
        "or number_owner");
  CHECK(error_of(kTiers + "  - { kind: billing, at: core, rate: 10/s }\n") ==
        "t.yaml:5:26: billing workload 1 at 'core' includes core-1 (a core node), expected edge nodes only "
        "(clients enter at the edge)");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s }\n  - { kind: billing, rate: 10/s, balance: 1 }\n") ==
        "t.yaml:6:5: billing workload 2 has subscribers, numbers or balance unlike billing workload 1's, expected "
        "one billing domain per scenario (the same three values, and the same cache)");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, cache: { entries: 8 } }\n  - { kind: billing, rate: 10/s }\n") ==
        "t.yaml:6:5: billing workload 2 has subscribers, numbers or balance unlike billing workload 1's, expected "
        "one billing domain per scenario (the same three values, and the same cache)");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, cache: { entry: 8 } }\n") ==
        "t.yaml:5:43: unknown key 'entry' in workload[1].cache, expected entries or staleness_max");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, cache: { entries: 0 } }\n") ==
        "t.yaml:5:52: workload[1].cache.entries is '0', expected an integer 1..1048576");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, cache: { entries: 8, staleness_max: 0s } }\n") ==
        "t.yaml:5:70: workload[1].cache.staleness_max is '0s', expected a duration above 0s and at most 1h");
  // A core resends invalidations over msgq only with the edge billing cache on.
  const std::string resend = "faults:\n  - { at_point: msgq.sender.before_resend, node: core-1, do: crash }\n";
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s }\n" + resend).find("which never runs that code") !=
        std::string::npos);
  CHECK(scenario::load_scenario_text(kTiers + "  - { kind: billing, rate: 10/s, cache: { entries: 8 } }\n" + resend,
                                     "t.yaml").faults.size() == 1);
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s, cache: 8 }\n") ==
        "t.yaml:5:41: workload[1].cache is '8', expected a map like { entries: 256, staleness_max: 1s }");
  CHECK(error_of(kTiers + "  - { kind: billing, rate: 10/s }\n  - { kind: ping, from: edge, to: core, rate: 1/s }\n") ==
        "t.yaml:6:5: a 'ping' workload after a 'requests' one, expected workloads of one kind per scenario (ping, "
        "or requests and billing)");
}

TEST_CASE("billing: served counts commits business refusals and reads and overdue the unanswered", "[billing]") {
  namespace twopc = proto::twopc;
  sim::Trace trace;
  sim::Simulator sim(1, trace);
  BillingConfig config;
  config.subscribers = 10;
  tiers::Billing billing(sim, config, 1, 2_s);
  uint64_t next = 1;
  const auto request = [&](BillingKind kind, int64_t start_ms) {
    tiers::BillingRequest r;
    r.client_txn = next++;
    r.op.kind = kind;
    r.op.from = 1;
    r.op.to = 2;
    r.op.amount = 1;
    r.start = sim::Time{start_ms * 1'000'000};
    r.deadline = r.start + 60_s;
    billing.started(r);
    return r;
  };
  const auto at = [](int64_t ms) { return sim::Time{ms * 1'000'000}; };
  billing.transaction_done(request(BillingKind::kDebit, 0), twopc::Outcome::kCommitted, twopc::Reason::kNone, at(40));
  billing.transaction_done(request(BillingKind::kDebit, 0), twopc::Outcome::kAborted,
                           twopc::Reason::kInsufficientFunds, at(50));
  billing.transaction_done(request(BillingKind::kTransfer, 0), twopc::Outcome::kAborted, twopc::Reason::kLockDied,
                           at(500));  // the system's reason: not served, and not the bar for overdue
  billing.transaction_done(request(BillingKind::kTransfer, 0), twopc::Outcome::kAborted,
                           twopc::Reason::kVoteTimeout, at(600));
  billing.transaction_done(request(BillingKind::kTransfer, 0), twopc::Outcome::kUnknown, twopc::Reason::kNone,
                           at(70));
  billing.read_done(request(BillingKind::kBalance, 0), true, 5, at(80));  // the longest served answer: 80 ms
  billing.failed(request(BillingKind::kTopUp, 0), at(90));
  request(BillingKind::kTopUp, 800);  // 200 ms old at the end: over twice the longest served answer
  request(BillingKind::kTopUp, 900);  // 100 ms old: older than every served answer, but may yet be answered
  billing.finish(at(1000));
  const tiers::BillingFigures& f = billing.figures();
  CHECK(f.operations == 9);
  CHECK(f.served == 3);  // the commit, the insufficient funds, the read
  CHECK(f.served_max_ns == 80'000'000);
  CHECK(f.unsettled == 2);
  CHECK(f.overdue == 1);
  CHECK(f.failed == 1);
  CHECK(f.unknown == 1);
  CHECK(f.aborted == 3);
  // By the second they began: 8 settled in second 0 (3 served), the overdue top-up too; the young one not.
  REQUIRE(f.by_second.size() == 1);  // one workload
  REQUIRE(f.by_second[0].size() == 1);
  CHECK(f.by_second[0][0] == std::array<uint64_t, 2>{3, 8});
  for (const twopc::Reason r : {twopc::Reason::kInsufficientFunds, twopc::Reason::kUnknownKey,
                                twopc::Reason::kNotOwner, twopc::Reason::kInvalid}) {
    CHECK(tiers::billing_answer_abort(r));
  }
  for (const twopc::Reason r : {twopc::Reason::kLockDied, twopc::Reason::kLockTimeout, twopc::Reason::kDuplicate,
                                twopc::Reason::kFull, twopc::Reason::kDiskFull, twopc::Reason::kVoteTimeout,
                                twopc::Reason::kRecovered, twopc::Reason::kForced}) {
    CHECK_FALSE(tiers::billing_answer_abort(r));
  }
}

// The viewer's operations (tiers::Actions::billing) count in the run's
// figures but in no workload's seconds: recovers_within judges each
// workload's own clients (before 2026-12-07 they counted as workload 1's).
TEST_CASE("billing: an operation of no workload counts in the figures but in no workload's seconds", "[billing]") {
  sim::Trace trace;
  sim::Simulator sim(1, trace);
  BillingConfig config;
  config.subscribers = 10;
  tiers::Billing billing(sim, config, 1, 2_s);
  uint64_t next = 1;
  const auto request = [&](uint32_t workload, int64_t start_ms, BillingKind kind = BillingKind::kTopUp) {
    tiers::BillingRequest r;
    r.client_txn = next++;
    r.op.kind = kind;
    r.op.from = 1;
    r.op.amount = 1;
    r.start = sim::Time{start_ms * 1'000'000};
    r.deadline = r.start + 60_s;
    r.workload = workload;
    billing.started(r);
    return r;
  };
  const auto at = [](int64_t ms) { return sim::Time{ms * 1'000'000}; };
  billing.failed(request(tiers::BillingRequest::kNoWorkload, 100), at(150));
  billing.read_done(request(1, 200, BillingKind::kBalance), true, 5, at(210));
  request(tiers::BillingRequest::kNoWorkload, 1500);  // still waiting at the end
  billing.finish(at(1600));
  const tiers::BillingFigures& f = billing.figures();
  CHECK(f.operations == 3);
  CHECK(f.failed == 1);
  CHECK(f.unsettled == 1);
  REQUIRE(f.by_second.size() == 2);  // workload 2's; workload 1 has none
  CHECK(f.by_second[0].empty());
  REQUIRE(f.by_second[1].size() == 1);
  CHECK(f.by_second[1][0] == std::array<uint64_t, 2>{1, 1});
  CHECK(f.incomplete_from.empty());
}

}  // namespace test_billing
