// The demo actions without a window: an action taken at the cursor is
// recorded at the cursor's time and event, applies right after that event,
// stepping back before it and forwards again replays it, and the saved
// scenario (`ecsim run`'s input) gives the session's trace hash -- and not
// the hash of the scenario without the action.
#include <string>

#include <catch2/catch.hpp>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "model/demo.hpp"
#include "model/records.hpp"

using namespace ecsim;

namespace {
constexpr int64_t kS = 1'000'000'000;

viz::OpenRequest crash_request() {
  viz::OpenRequest r;
  r.scenario_path = ECSIM_SOURCE_DIR "/scenarios/edge-crash-rehydrate.yaml";
  return r;
}

uint32_t node_id(const viz::Timeline& t, const std::string& name) {
  for (uint32_t n = 0; n < t.names().size(); ++n) {
    if (t.names()[n] == name) return n;
  }
  FAIL("no node " << name);
  return 0;
}

uint64_t hash_of(const std::string& text) {
  const scenario::Scenario sc = scenario::load_scenario_text(text, "<saved>");
  return run::run_scenario(sc, {}).trace_hash;
}
}  // namespace

TEST_CASE("demo: a crash at the cursor applies right after the cursor's event and replays") {
  uint64_t session = 0;
  uint64_t event = 0;
  std::string saved;
  {  // one run at a time in a process: the session's goes before the replays
  viz::Demo d(crash_request());
  viz::Timeline& t0 = d.timeline();
  t0.seek_time(5 * kS + 123);
  event = t0.event_of(t0.cursor() - 1);
  const int64_t at_ns = t0.record(t0.cursor() - 1).time_ns;
  const uint32_t edge2 = node_id(t0, "edge-2");
  REQUIRE(t0.state().nodes[edge2].up);
  REQUIRE(d.crash("edge-2").empty());

  viz::Timeline& t = d.timeline();  // rebuilt
  REQUIRE(d.actions().size() == 1);
  CHECK(d.actions()[0].after_event == event);
  CHECK(d.actions()[0].at_ns == at_ns);
  // The cursor sits just past the crash; its records belong to the gap after `event`.
  CHECK_FALSE(t.state().nodes[edge2].up);
  CHECK(t.cursor_ns() == at_ns);
  const uint64_t past = t.cursor();
  t.simulate_records(past + 1);
  CHECK(t.event_of(past - 1) == event);
  CHECK(t.event_of(past) > event);  // the next record is a later event's
  bool crashed = false;
  for (uint64_t i = past; i-- > 0 && t.event_of(i) == event;) {
    if (t.record(i).type == sim::RecordType::kCrash && viz::record_node(t.record(i)) == edge2) crashed = true;
  }
  CHECK(crashed);
  // Back before it, then forwards again: the crash is replayed.
  t.step(-50);
  CHECK(t.state().nodes[edge2].up);
  t.seek_time(6 * kS);
  CHECK_FALSE(t.state().nodes[edge2].up);

  // A crash of a node that is down is refused, and nothing changes.
  CHECK_FALSE(d.crash("edge-2").empty());
  CHECK(d.actions().size() == 1);

  t.simulate_all();
  session = t.result().trace_hash;
  saved = d.scenario_text();
  }
  CHECK(saved.find("after_event: " + std::to_string(event)) != std::string::npos);
  CHECK(hash_of(saved) == session);
  const scenario::Scenario base = scenario::load_scenario_file(crash_request().scenario_path);
  CHECK(run::run_scenario(base, {}).trace_hash != session);
}

TEST_CASE("demo: random nodes are drawn from the seed and recorded as the concrete node") {
  std::string first;
  for (int k = 0; k < 2; ++k) {  // two sessions, one after the other
    viz::Demo d(crash_request());
    d.timeline().seek_time(3 * kS);
    REQUIRE(d.crash("random").empty());
    REQUIRE(d.actions().size() == 1);
    const std::string flow = d.actions()[0].entry.flow;
    CHECK(flow.find("random") == std::string::npos);
    CHECK(flow.find("crash: \"") != std::string::npos);
    if (k == 0) first = flow;
    if (k == 1) CHECK(flow == first);
  }
}
