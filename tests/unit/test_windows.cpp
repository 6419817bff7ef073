// scenario::fault_windows: the spans in which a schedule's faults are in force,
// which `latency_p99: {..., outside_faults: D}` leaves out.
#include <catch2/catch.hpp>

#include "ecsim/scenario/windows.hpp"
#include "ecsim/scenario/entries.hpp"
#include "ecsim/scenario/loader.hpp"

namespace test_windows {

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {
std::vector<std::pair<int64_t, int64_t>> windows_s(const std::string& faults, sim::Duration margin) {
  const scenario::Scenario sc = scenario::load_scenario_text(
      // A ping workload: the windows do not depend on it, and no
      // recovers_within is asked for (one is refused when a window lasts to the end).
      "name: t\nduration: 60s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s }\nfaults:\n" + faults,
      "t.yaml");
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const sim::TimeWindow& w : scenario::fault_windows(sc, sim::Time{0} + sc.duration, margin)) {
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
  CHECK(scenario::fault_windows(sc, end, 2_s).empty());
  const auto fired = [](uint64_t index, int64_t at_s) {
    return sim::Record{at_s * 1000000000, sim::RecordType::kFault,
                       static_cast<uint16_t>(scenario::Fault::Kind::kAtPoint), 0, 0, 0, index, 1};
  };
  // From the reach to its `for` restart, plus the margin.
  auto w = scenario::point_window(sc, fired(0, 12), end, 2_s);
  REQUIRE(w);
  CHECK(w->from.ns == 12'000'000'000);
  CHECK(w->to.ns == 19'000'000'000);
  // Without `for`, and with `for` running past the end: to the end.
  w = scenario::point_window(sc, fired(1, 30), end, 2_s);
  REQUIRE(w);
  CHECK(w->to == end);
  w = scenario::point_window(sc, fired(0, 56), end, 2_s);
  REQUIRE(w);
  CHECK(w->to == end);
  // For recovers_within a crash never restarted ends its window at the
  // reach; a `for` restart still ends it.
  w = scenario::point_window(sc, fired(1, 30), end, sim::Duration{0}, scenario::Unrestarted::kAtCrash);
  REQUIRE(w);
  CHECK(w->from.ns == 30'000'000'000);
  CHECK(w->to.ns == 30'000'000'000);
  w = scenario::point_window(sc, fired(0, 12), end, sim::Duration{0}, scenario::Unrestarted::kAtCrash);
  REQUIRE(w);
  CHECK(w->to.ns == 17'000'000'000);
  // A cut at a point ends at its `for` or at the first heal after it.
  const scenario::Scenario cut = scenario::load_scenario_text(
      "name: t\nduration: 60s\nworkload:\n  - { kind: requests, rate: 10/s }\nfaults:\n"
      "  - { at_point: rpc.server.after_execute, node: core-1, nth: 20, do: cut, for: 1h }\n"
      "  - { at: 3s, heal: true }\n",
      "t.yaml");
  w = scenario::point_window(cut, fired(0, 1), end, sim::Duration{0}, scenario::Unrestarted::kAtCrash);
  REQUIRE(w);
  CHECK(w->to.ns == 3'000'000'000);
  w = scenario::point_window(cut, fired(0, 4), end, sim::Duration{0}, scenario::Unrestarted::kAtCrash);
  REQUIRE(w);
  CHECK(w->to == end);  // reached after the heal: its `for` runs past the end
  // Any other record has none.
  sim::Record timed = fired(0, 12);
  timed.code = static_cast<uint16_t>(scenario::Fault::Kind::kCrash);
  CHECK_FALSE(scenario::point_window(sc, timed, end, 2_s));
  sim::Record crash = fired(0, 12);
  crash.type = sim::RecordType::kCrash;
  CHECK_FALSE(scenario::point_window(sc, crash, end, 2_s));
}

// `recovers_within` judges whole seconds after the last outage window in
// which clients still send; validate refuses it when there is none.
TEST_CASE("fault windows: the last outage's end and whether recovery can be judged", "[fault]") {
  // Read without validate(), which would ask for recovers_within or refuse it.
  const auto scenario_with = [](const std::string& duration, const std::string& until, const std::string& faults) {
    return scenario::parse_scenario_text_unvalidated(  // 3 edge nodes at 100/s: 300 requests a second
        "name: t\nduration: " + duration + "\nworkload:\n  - { kind: requests, at: edge, rate: 100/s" +
            (until.empty() ? "" : ", until: " + until) + " }\nfaults:\n" + faults,
        "t.yaml");
  };
  const auto last_s = [](const scenario::Scenario& sc) {
    const std::optional<sim::Time> t = scenario::last_outage_end(sc);
    return t ? t->ns / 1'000'000 : -1;  // ms
  };
  // A crash never restarted ends at the crash; Byzantine behaviour and a
  // restart are no outage; a partition without heal lasts to the end.
  CHECK(last_s(scenario_with("20s", "", "  - { at: 3s, crash: cloud-2, for: 3s }\n  - { at: 4s, crash: core-1 }\n")) ==
        6000);
  CHECK(last_s(scenario_with("20s", "", "  - { at: 4s, crash: core-1 }\n  - { at: 9s, restart: core-1 }\n")) == 9000);
  CHECK(last_s(scenario_with("20s", "", "  - { at: 4s, crash: core-1 }\n")) == 4000);
  CHECK(last_s(scenario_with("20s", "", "  - { at: 5s, partition: [[edge-1], \"*\"] }\n")) == 20000);
  CHECK(last_s(scenario_with("20s", "", "  - { at: 5s, heal: true }\n")) == -1);
  // A heal ends a partition before its own `for` does.
  const std::string core_cut = "  - { at: 2s, partition: [[core], \"*\"], for: ";
  CHECK(last_s(scenario_with("20s", "", core_cut + "8s }\n  - { at: 3s, heal: true }\n")) == 3000);
  CHECK(last_s(scenario_with("20s", "", core_cut + "1s }\n  - { at: 4s, heal: true }\n")) == 3000);

  const std::string crash = "  - { at: 3s, crash: cloud-2, for: 3200ms }\n";  // ends at 6.2s
  const auto why = [&](const std::string& duration, const std::string& until) {
    const scenario::Scenario sc = scenario_with(duration, until, crash);
    return scenario::recovery_unjudgeable(sc, *scenario::last_outage_end(sc), sim::seconds(1));
  };
  // The first whole second after 6.2s is [7s, 8s), judged once all that
  // began in it has settled: by 9s with the clients' 1 s timeout. Whether
  // the ratio was back in time shows only at or after the deadline, 1 s
  // after 6.2s: [8s, 9s), settled by 10s.
  CHECK(why("10s", "") == "");
  CHECK(why("9s", "") ==
        "the last fault window ends at 6.2s, and the deadline 1s later, at 7.2s, leaves no whole second to judge "
        "(from 8s) before 8s (the end of the run at 9s less the clients' timeout of 1s)");
  CHECK(why("8999ms", "") ==
        "the last fault window ends at 6.2s, and no whole second follows it before 7s (the end of the run at 8.999s "
        "less the clients' timeout of 1s, by when all that began in it has settled)");
  // The clients must send into the second at the deadline.
  CHECK(why("20s", "9s") == "");
  // ... with 20 requests or more: 0.3 expected in [8s, 8.001s) cannot show a
  // site down for good (an adversarial pass: one failed request of one is
  // within chance at any level, and such runs passed half their seeds).
  CHECK(why("20s", "8100ms") == "");
  CHECK(why("20s", "8001ms") ==
        "the last fault window ends at 6.2s, and the clients are expected to send 0.3 requests with good tokens in "
        "the whole seconds from 8s to 9s (at or after the deadline 1s later), fewer than 20 (a count that small may "
        "be 0)");
  CHECK(why("20s", "8s") ==
        "the last fault window ends at 6.2s, and the deadline 1s later, at 7.2s, leaves no whole second to judge "
        "(from 8s) before the clients stop at 8s (the requests workload's until)");
  // A fault at a protocol point may fire as late as the end of the run, so
  // a scenario with one need not expect recovery, whatever its other faults:
  // a cut first healed before it fires, or a crash at 19.9 s, would leave no
  // second to judge (found by an adversarial pass: a cut with a heal at 1 s
  // was taken to end at 1 s, and validate required what the run could not
  // judge).
  const std::string point = "  - { at_point: rpc.server.before_execute, node: core-1, ";
  CHECK(scenario::recovers_within_required(scenario_with("20s", "", crash)));
  for (const char* fault : {"do: crash }\n", "do: crash, for: 1s }\n", "do: cut }\n  - { at: 1s, heal: true }\n",
                            "do: cut, for: 1s }\n"}) {
    CHECK_FALSE(scenario::recovers_within_required(scenario_with("20s", "", crash + point + fault)));
  }
  // Without a requests workload there is nothing to measure.
  const scenario::Scenario ping = scenario::load_scenario_text(
      "name: t\nduration: 20s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s }\nfaults:\n" + crash,
      "t.yaml");
  CHECK(scenario::recovery_unjudgeable(ping, *scenario::last_outage_end(ping), sim::seconds(1)) ==
        "the scenario has no requests workload");
  // An `until` past the end of the run is the end of the run.
  CHECK(why("8500ms", "30s") ==
        "the last fault window ends at 6.2s, and no whole second follows it before 7s (the end of the run at 8.5s "
        "less the clients' timeout of 1s, by when all that began in it has settled)");
}

// The viewer's actions change a schedule: fit_recovers_within drops an
// expectation they left nothing to judge, adds one they made necessary,
// and leaves the rest alone.
TEST_CASE("fault windows: recovers_within fitted to a changed schedule", "[fault]") {
  const std::string head = "name: t\nduration: 12s\nworkload:\n  - { kind: requests, rate: 100/s }\n";
  const auto fitted = [](const std::string& text) {
    return scenario::load_scenario_text(scenario::fit_recovers_within(text, "t.yaml", 5_s), "t.yaml")
        .expect.recovers_within;
  };
  const std::string cut = "faults:\n  - { at: 3s, partition: [[edge-1], \"*\"] }\n";  // to the end
  CHECK_FALSE(fitted(head + cut + "expect: { recovers_within: 2s }\n").has_value());
  const std::string crash = "faults:\n  - { at: 3s, crash: edge-1, for: 1s }\n";
  CHECK(fitted(head + crash) == std::optional<sim::Duration>(5_s));
  // The fallback's deadline too late (at 9s, with seconds judged to 9s): the shortest.
  CHECK(fitted(std::string(head).replace(head.find("12s"), 3, "10s") + crash) == std::optional<sim::Duration>(1_s));
  CHECK(fitted(head + crash + "expect: { recovers_within: 2s }\n") == std::optional<sim::Duration>(2_s));
  // The scenario's own value's deadline too late (at 13s in a 12s run), where
  // one is required: the fallback, not none (which the loader refuses); the
  // shortest where the fallback is too late as well.
  CHECK(fitted(head + crash + "expect: { recovers_within: 9s }\n") == std::optional<sim::Duration>(5_s));
  CHECK(fitted(std::string(head).replace(head.find("12s"), 3, "10s") + crash + "expect: { recovers_within: 9s }\n") ==
        std::optional<sim::Duration>(1_s));
  // Other expectations stay.
  const std::string both = head + cut + "expect: { recovers_within: 2s, served_ratio_min: 0.5 }\n";
  CHECK(scenario::load_scenario_text(scenario::fit_recovers_within(both, "t.yaml", 5_s), "t.yaml")
            .expect.served_ratio_min == std::optional<double>(0.5));
  // No fault, or a ping workload: unchanged.
  CHECK(scenario::fit_recovers_within(head, "t.yaml", 5_s) == head);
  // Every fault taken out of a schedule that expected a recovery: the
  // expectation goes too (before 2026-12-07 the fitted text was refused,
  // "without a fault window").
  CHECK_FALSE(fitted(head + "expect: { recovers_within: 2s }\n").has_value());
  // billing.recovers_within goes where it could not be judged (a cut to the
  // end), with the billing map when nothing else is in it; stays otherwise.
  const std::string billing = head + "  - { kind: billing, rate: 50/s }\n";
  const auto billing_fitted = [](const std::string& text) {
    return scenario::load_scenario_text(scenario::fit_recovers_within(text, "t.yaml", 5_s), "t.yaml").expect.billing;
  };
  const scenario::BillingExpect gone =
      billing_fitted(billing + cut + "expect: { billing: { recovers_within: 2s, served_ratio_min: 0.5 } }\n");
  CHECK_FALSE(gone.recovers_within.has_value());
  CHECK(gone.served_ratio_min == std::optional<double>(0.5));
  CHECK_FALSE(billing_fitted(billing + cut + "expect: { billing: { recovers_within: 2s } }\n").any());
  CHECK(billing_fitted(billing + crash + "expect: { billing: { recovers_within: 2s } }\n").recovers_within ==
        std::optional<sim::Duration>(2_s));
}

}  // namespace test_windows
