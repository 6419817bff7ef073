// The demo actions without a window: an action taken at the cursor is
// recorded at the cursor's time and event, applies right after that event,
// stepping back before it and forwards again replays it, and the saved
// scenario (`ecsim run`'s input) gives the session's trace hash -- and not
// the hash of the scenario without the action.
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "model/demo.hpp"
#include "model/dsm_view.hpp"
#include "model/mover.hpp"
#include "model/records.hpp"

namespace test_demo {

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

TEST_CASE("demo: an action before the last one taken is refused") {
  viz::Demo d(crash_request());
  d.timeline().seek_time(5 * kS + 123);
  REQUIRE(d.crash("edge-2").empty());
  const uint64_t event = d.actions()[0].after_event;
  const int64_t at_ns = d.actions()[0].at_ns;
  // It would change the run before the crash's event, which would then name
  // another point of the run (the saved session failed its after_event
  // verdict).
  d.timeline().seek_time(4 * kS);
  const std::string why = d.crash("edge-3");
  CHECK(why.find("is before the last one taken (") != std::string::npos);
  CHECK(d.actions().size() == 1);
  // At the crash's own event (the cursor just past it) the next action
  // goes after it, at the same event.
  d.timeline().seek_time(at_ns);
  REQUIRE(d.timeline().event_of(d.timeline().cursor() - 1) == event);
  CHECK(d.crash("edge-3").empty());
  REQUIRE(d.actions().size() == 2);
  CHECK(d.actions()[1].after_event == event);
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

namespace {
viz::OpenRequest base_request() {
  viz::OpenRequest r;
  r.scenario_path = ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml";
  return r;
}

// The latest record before the cursor matching `pred`, scanning back.
const sim::Record* latest(const viz::Timeline& t, const std::function<bool(const sim::Record&)>& pred) {
  for (uint64_t i = t.cursor(); i-- > 0;) {
    if (pred(t.record(i))) return &t.record(i);
  }
  return nullptr;
}

constexpr auto kAction = static_cast<sim::RecordType>(89);
constexpr auto kBillingEnd = static_cast<sim::RecordType>(83);
constexpr auto kVote = static_cast<sim::RecordType>(71);
constexpr uint64_t kActionTxnBase = uint64_t{0xffffff} << 40;
}  // namespace

// demo-base.yaml has requests until 4 s and no fault, so no recovers_within.
// At 100 requests a second (300 before 1 s measure a level), a crash at
// 1 s leaves seconds to judge: the session gets the swarm's 5 s (until
// 2026-12-06 the action was refused for the lack of one); a crash at 3.5 s
// leaves none before the clients stop: it gets none. (At demo-base's own
// 20 a second, 60 requests before 1 s measure no level: none either.)
TEST_CASE("demo: a crash fits recovers_within to what the run leaves to judge") {
  const std::string path = (std::filesystem::temp_directory_path() / "ecsim-demo-fit.yaml").string();
  {
    std::ifstream in(ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const size_t at = s.find("{ kind: requests, rate: 20/s");
    REQUIRE(at != std::string::npos);
    s.replace(at, 28, "{ kind: requests, rate: 100/s");
    std::ofstream(path) << s;
  }
  viz::OpenRequest faster;
  faster.scenario_path = path;
  for (const int64_t at_ms : {1000, 3500}) {
    std::string saved;
    {
      viz::Demo d(faster);
      d.timeline().seek_time(at_ms * 1'000'000);
      REQUIRE(d.crash("edge-2") == "");
      saved = d.scenario_text();
    }
    INFO(saved);
    const scenario::Scenario sc = scenario::load_scenario_text(saved, "<saved>");
    if (at_ms == 1000) {
      // The viewer's 5 s would put the deadline at 6 s, after the clients
      // stop at 4 s: nothing could be judged, so the fit takes 1 s.
      CHECK(sc.expect.recovers_within == std::optional<sim::Duration>(sim::seconds(1)));
    } else {
      CHECK_FALSE(sc.expect.recovers_within.has_value());
    }
  }
  std::remove(path.c_str());
}

TEST_CASE("demo: concurrent DSM writes resolve to one value on every replica, and a GET reads it") {
  uint64_t session = 0;
  std::string saved;
  uint64_t winner = 0;
  {
    viz::Demo d(base_request());
    d.timeline().seek_time(1 * kS);
    CHECK_FALSE(d.dsm_concurrent("edge-1", "edge-1", 5000, 1, 2).empty());  // two different nodes
    REQUIRE(d.dsm_concurrent("edge-1", "cloud-3", 5000, 111, 222).empty());
    REQUIRE(d.actions().size() == 2);
    CHECK(d.actions()[0].after_event == d.actions()[1].after_event);  // the same instant
    CHECK(d.actions()[0].at_ns == d.actions()[1].at_ns);
    viz::Timeline& t = d.timeline();
    // Right after the action: each writer holds its own value.
    viz::DsmKeyView now = viz::dsm_key_view(t, 5000);
    REQUIRE(now.by_node[node_id(t, "edge-1")].has_value());
    CHECK(now.by_node[node_id(t, "edge-1")]->value == 111);
    REQUIRE(now.by_node[node_id(t, "cloud-3")].has_value());
    CHECK(now.by_node[node_id(t, "cloud-3")]->value == 222);
    CHECK_FALSE(now.converged);
    // A second later every replica holds the same entry: the tie-break's winner.
    t.seek_time(2 * kS);
    const viz::DsmKeyView later = viz::dsm_key_view(t, 5000);
    CHECK(later.converged);
    for (uint32_t n = 0; n < later.by_node.size(); ++n) {
      INFO(t.names()[n]);
      REQUIRE(later.by_node[n].has_value());
      CHECK(later.by_node[n]->value == later.by_node[0]->value);
    }
    winner = later.by_node[0]->value;
    CHECK((winner == 111 || winner == 222));
    CHECK_FALSE(later.resolutions.empty());
    // A GET on edge-2 traces what its replica holds.
    REQUIRE(d.dsm_get("edge-2", 5000).empty());
    const sim::Record* got = latest(d.timeline(), [](const sim::Record& r) { return r.type == kAction; });
    REQUIRE(got != nullptr);
    CHECK(got->code == 3);  // found
    CHECK(got->node == node_id(d.timeline(), "edge-2"));
    CHECK(got->b == winner);
    CHECK(viz::describe(*got, d.timeline().names()).find("dsm_get key 5000 -> " + std::to_string(winner)) !=
          std::string::npos);
    d.timeline().simulate_all();
    session = d.timeline().result().trace_hash;
    saved = d.scenario_text();
  }
  CHECK(saved.find("dsm_set") != std::string::npos);
  CHECK(saved.find("dsm_get") != std::string::npos);
  CHECK(hash_of(saved) == session);
}

TEST_CASE("demo: a billing transaction commits, a debit beyond the balance is voted NO and rolls back") {
  uint64_t session = 0;
  std::string saved;
  {
    viz::Demo d(base_request());
    d.timeline().seek_time(1 * kS + 500'000'000);
    CHECK_FALSE(d.billing("refund", 1, 2, 5, "edge-1").empty());
    CHECK_FALSE(d.billing("transfer", 1, 2, 5, "core-1").empty());  // an edge node takes it
    CHECK(d.actions().empty());
    REQUIRE(d.billing("transfer", 1, 2, 500, "edge-1").empty());
    d.timeline().seek_time(2 * kS);
    REQUIRE(d.billing("debit", 3, 0, int64_t{1} << 48, "edge-2").empty());
    REQUIRE(d.actions().size() == 2);
    viz::Timeline& t = d.timeline();
    t.seek_time(3 * kS);
    const auto end_of = [&t](uint64_t client) {
      return latest(t, [client](const sim::Record& r) { return r.type == kBillingEnd && r.a == client; });
    };
    const sim::Record* transfer = end_of(kActionTxnBase | 1);
    const sim::Record* debit = end_of(kActionTxnBase | 2);
    REQUIRE(transfer != nullptr);
    REQUIRE(debit != nullptr);
    CHECK(transfer->code == 1);  // committed
    CHECK(debit->code == 2);     // aborted
    // Every cloud replica voted NO for the debit (insufficient funds) and none YES.
    int no = 0, yes = 0;
    for (uint64_t i = 0; i < t.cursor(); ++i) {
      const sim::Record& r = t.record(i);
      if (r.type != kVote || r.b != (kActionTxnBase | 2)) continue;
      const bool cloud = t.names()[r.node].rfind("cloud-", 0) == 0;
      if (cloud && r.code == 2) ++no;
      if (cloud && r.code == 1) ++yes;
    }
    CHECK(no == 3);
    CHECK(yes == 0);
    t.simulate_all();
    session = t.result().trace_hash;
    saved = d.scenario_text();
  }
  CHECK(saved.find("billing") != std::string::npos);
  CHECK(hash_of(saved) == session);
}

TEST_CASE("demo: a participant made to vote NO rolls the next transaction back everywhere") {
  uint64_t session = 0;
  std::string saved;
  {
    viz::Demo d(base_request());
    d.timeline().seek_time(4 * kS + 500'000'000);  // the billing clients have stopped
    CHECK_FALSE(d.twopc_vote_no("core-1", 1).empty());  // a coordinator, not a participant
    CHECK_FALSE(d.twopc_vote_no("cloud-2", 0).empty());
    CHECK(d.actions().empty());
    REQUIRE(d.twopc_vote_no("cloud-2", 1).empty());
    REQUIRE(d.billing("transfer", 1, 2, 500, "edge-1").empty());
    REQUIRE(d.actions().size() == 2);
    CHECK(d.actions()[0].label.find("twopc_vote_no") != std::string::npos);
    viz::Timeline& t = d.timeline();
    t.seek_time(5 * kS + 500'000'000);
    const sim::Record* end =
        latest(t, [](const sim::Record& r) { return r.type == kBillingEnd && r.a == (kActionTxnBase | 1); });
    REQUIRE(end != nullptr);
    CHECK(end->code == 2);  // aborted
    const uint32_t cloud2 = node_id(t, "cloud-2");
    int forced = 0, yes = 0, rolled_back = 0;
    for (uint64_t i = 0; i < t.cursor(); ++i) {
      const sim::Record& r = t.record(i);
      if (r.b != (kActionTxnBase | 1)) continue;
      if (r.type == kVote && r.code == 2 && r.node == cloud2 && r.kind == 12) ++forced;
      if (r.type == kVote && r.code == 1) ++yes;
      if (static_cast<int>(r.type) == 72 && r.code == 3) ++rolled_back;  // participant aborted
    }
    CHECK(forced == 1);
    CHECK(yes == 3);          // edge-1, cloud-1, cloud-3
    CHECK(rolled_back == 3);  // each of them rolled back
    t.simulate_all();
    session = t.result().trace_hash;
    saved = d.scenario_text();
  }
  CHECK(saved.find("twopc_vote_no") != std::string::npos);
  CHECK(hash_of(saved) == session);
}

TEST_CASE("demo: an action file takes DSM and billing actions") {
  const std::string path = "demo-actions-test.json";
  {
    std::ofstream out(path);
    out << R"([{"at": "1s", "dsm_set": {"node": "edge-3", "key": 9, "value": 4}},
               {"at": "1500ms", "billing": {"op": "top_up", "to": 7, "amount": 300, "edge": "edge-1"}}])";
  }
  viz::Demo d(base_request());
  REQUIRE(d.apply_file(path) == "");
  std::remove(path.c_str());
  REQUIRE(d.actions().size() == 2);
  viz::Timeline& t = d.timeline();
  t.seek_time(3 * kS);
  const viz::DsmKeyView v = viz::dsm_key_view(t, 9);
  REQUIRE(v.by_node[node_id(t, "core-1")].has_value());
  CHECK(v.by_node[node_id(t, "core-1")]->value == 4);
  CHECK(v.by_node[node_id(t, "core-1")]->writer == node_id(t, "edge-3"));
  const sim::Record* end =
      latest(t, [](const sim::Record& r) { return r.type == kBillingEnd && r.a == (kActionTxnBase | 1); });
  REQUIRE(end != nullptr);
  CHECK(end->code == 1);
}

TEST_CASE("demo: a session opened from a trace file takes actions on its header's scenario, seed and options") {
  const std::string path = "viz_test_demo_trace.trc";
  const scenario::Scenario sc = scenario::load_scenario_file(ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml");
  run::RunOptions o;
  o.seed = 9;  // not the scenario's own
  o.until = sim::seconds(3);
  o.trace_path = path;
  const uint64_t file_hash = run::run_scenario(sc, o).trace_hash;
  uint64_t session = 0;
  std::string saved;
  {
    viz::OpenRequest req;
    req.trace_path = path;
    viz::Session s = viz::open_session(req);
    REQUIRE(viz::verify_trace(s).empty());
    viz::Demo d(req, std::move(s));
    d.timeline().seek_time(1 * kS);
    REQUIRE(d.dsm_set("edge-1", 5000, 77).empty());
    viz::Timeline& t = d.timeline();  // rebuilt with the header's options
    CHECK(t.seed() == 9);
    CHECK(t.end_ns() == 3 * kS);
    const sim::Record* set = latest(t, [](const sim::Record& r) { return r.type == kAction; });
    REQUIRE(set != nullptr);
    CHECK(set->node == node_id(t, "edge-1"));
    CHECK(set->b == 77);
    t.simulate_all();
    session = t.result().trace_hash;
    saved = d.scenario_text();
    CHECK(d.replay_flags() == "--until 3s");  // what the saved text does not carry
  }
  std::remove(path.c_str());
  CHECK(session != file_hash);
  CHECK(saved.find("seed: 9") != std::string::npos);
  // The saved scenario replays the session (its duration is the scenario's:
  // give the header's `until` as ecsim run --until would).
  run::RunOptions replay;
  replay.until = sim::seconds(3);
  CHECK(run::run_scenario(scenario::load_scenario_text(saved, "<saved>"), replay).trace_hash == session);
}

TEST_CASE("demo: an action keeps the old records before it, and the new timeline equals one collected from t = 0") {
  std::string text;
  std::vector<sim::Record> kept;
  std::vector<uint64_t> digests;
  const std::vector<int64_t> at_ms = {500, 5000, 9000, 9500, 9600, 12000};
  {
    viz::Demo d(crash_request());
    d.timeline().seek_time(9 * kS + 500 * 1'000'000);
    const uint64_t event = d.timeline().cursor_event();
    REQUIRE(d.crash("edge-2").empty());
    viz::Timeline& t = d.timeline();
    CHECK(t.records_reused() > 100000);  // the records up to the action were not kept again
    CHECK(t.event_of(t.records_reused() - 1) <= event);
    // A second action with a new DSM key: the prefix watched other keys, so
    // it is collected from t = 0 (its records of the key were not kept).
    t.seek_time(9 * kS + 600 * 1'000'000);
    REQUIRE(d.dsm_set("edge-1", 5000, 1).empty());
    CHECK(d.timeline().records_reused() == 0);
    // A third with the same key: reused again.
    d.timeline().seek_time(10 * kS);
    REQUIRE(d.dsm_set("edge-3", 5000, 2).empty());
    viz::Timeline& t3 = d.timeline();
    CHECK(t3.records_reused() > 100000);
    t3.simulate_time(12 * kS + 1);
    for (uint64_t i = 0; i < t3.count_at_time(12 * kS); ++i) kept.push_back(t3.record(i));
    for (int64_t ms : at_ms) {
      t3.seek_time(ms * 1'000'000);
      digests.push_back(t3.state().digest());
    }
    text = d.scenario_text();
  }
  // The same scenario collected from the start, without a prefix.
  viz::Timeline fresh(scenario::load_scenario_text(text, "<session>"), {});
  fresh.simulate_time(12 * kS + 1);
  REQUIRE(fresh.count_at_time(12 * kS) == kept.size());
  for (uint64_t i = 0; i < kept.size(); ++i) {
    const sim::Record& a = fresh.record(i);
    const sim::Record& b = kept[i];
    if (a.time_ns != b.time_ns || a.type != b.type || a.node != b.node || a.a != b.a || a.b != b.b) {
      FAIL("record " << i << " differs");
    }
  }
  for (size_t k = 0; k < at_ms.size(); ++k) {
    fresh.seek_time(at_ms[k] * 1'000'000);
    INFO(at_ms[k] << " ms");
    CHECK(fresh.state().digest() == digests[k]);
  }
  CHECK(fresh.records_reused() == 0);
}

TEST_CASE("timeline: a prefix the run does not reproduce is cut where it differs and collected from there") {
  const scenario::Scenario sc = scenario::load_scenario_file(ECSIM_SOURCE_DIR "/scenarios/edge-crash-rehydrate.yaml");
  run::RunOptions o;
  o.until = sim::seconds(2);
  std::vector<sim::Record> expected;
  uint64_t digest = 0;
  {
    viz::Timeline fresh(sc, o);
    fresh.simulate_all();
    for (uint64_t i = 0; i < fresh.collected(); ++i) expected.push_back(fresh.record(i));
    fresh.seek_time(1 * kS);
    digest = fresh.state().digest();
  }
  viz::TimelinePrefix prefix;
  {
    run::RunOptions other = o;
    other.seed = 2;  // another run from its first events on
    viz::Timeline a(sc, other);
    a.simulate_all();
    prefix = a.release_prefix(UINT64_MAX);
  }
  viz::Timeline b(sc, o, {}, std::move(prefix));
  b.simulate_all();
  CHECK(b.records_reused() < expected.size() / 100);
  REQUIRE(b.collected() == expected.size());
  for (uint64_t i = 0; i < expected.size(); ++i) {
    if (b.record(i).time_ns != expected[i].time_ns || b.record(i).a != expected[i].a) FAIL("record " << i << " differs");
  }
  b.seek_time(1 * kS);
  CHECK(b.state().digest() == digest);
}

TEST_CASE("timeline: prefix records past the run's end are not kept, nor the old run's failed expectations") {
  // The prefix is a whole run that went on longer, with its failed
  // expectations at its end; the new run ends sooner. What it never
  // reproduced must go, so it holds exactly a fresh run's records.
  const scenario::Scenario sc = scenario::load_scenario_file(ECSIM_SOURCE_DIR "/scenarios/edge-crash-rehydrate.yaml");
  run::RunOptions o;
  o.until = sim::seconds(2);
  std::vector<sim::Record> expected;
  {
    viz::Timeline fresh(sc, o);
    fresh.simulate_all();
    for (uint64_t i = 0; i < fresh.collected(); ++i) expected.push_back(fresh.record(i));
  }
  viz::TimelinePrefix prefix;
  uint64_t longer_failed = 0;
  {
    run::RunOptions longer = o;
    longer.until = sim::seconds(3);
    viz::Timeline a(sc, longer);
    a.simulate_all();
    for (uint64_t i = 0; i < a.collected(); ++i) longer_failed += a.record(i).type == viz::kExpectationFailed;
    prefix = a.release_prefix(UINT64_MAX);
  }
  REQUIRE(longer_failed > 0);  // the 3 s run misses the scenario's expectations
  viz::Timeline b(sc, o, {}, std::move(prefix));
  b.simulate_all();
  CHECK(b.records_reused() > 0);
  REQUIRE(b.collected() == expected.size());
  for (uint64_t i = 0; i < expected.size(); ++i) {
    const sim::Record& r = b.record(i);
    if (r.time_ns != expected[i].time_ns || r.type != expected[i].type || r.a != expected[i].a) {
      FAIL("record " << i << " differs");
    }
  }
}

TEST_CASE(
    "demo: a deferred placement (the window's) lands where the immediate one does, over frames") {
  // The window rebuilds without placing (Demo::defer_placement) and reaches
  // the action's place over frames (model/mover.hpp); headless it places at
  // once. Both give the same cursor and state.
  viz::ViewState want(0);
  uint64_t want_cursor = 0;
  {
    viz::Demo d(crash_request());
    d.timeline().seek_time(3 * kS);
    REQUIRE(d.crash("edge-2").empty());
    CHECK_FALSE(d.take_placement().has_value());
    want = d.timeline().state();
    want_cursor = d.timeline().cursor();
  }
  viz::Demo d(crash_request());
  d.defer_placement(true);
  d.timeline().seek_time(3 * kS);
  REQUIRE(d.crash("edge-2").empty());
  viz::Timeline& t = d.timeline();
  CHECK(t.cursor() == 0);
  const auto event = d.take_placement();
  REQUIRE(event.has_value());
  CHECK_FALSE(d.take_placement().has_value());  // taken once
  viz::PendingMove m = viz::PendingMove::to_event(t, *event);
  int frames = 0;
  viz::MoveResult r = viz::MoveResult::kPending;
  while (r == viz::MoveResult::kPending && frames < 1'000'000) {
    ++frames;
    int left = 8;
    r = viz::carry_out(
        t, m, [&left] { return left-- > 0; }, [&t] { t.simulate_events(1000); });
  }
  CHECK(r == viz::MoveResult::kPlaced);
  CHECK(frames > 10);
  CHECK(t.cursor() == want_cursor);
  CHECK(t.state() == want);
  // The crash is the record just past the cursor's place or before it: edge-2 is down there.
  CHECK_FALSE(t.state().nodes[node_id(t, "edge-2")].up);
}

}  // namespace test_demo
