// The viewer's model without a window: the cursor moves forwards and
// backwards to identical states, a crash marks its node down at its time
// and up at the restart, a jump to a time equals stepping there, checkpoint
// memory stays in its budget, and the viewer leaves the trace hash alone.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "crash_run.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "model/layout.hpp"
#include "model/records.hpp"
#include "model/session.hpp"
#include "model/timeline.hpp"

namespace test_view_model {

using namespace ecsim;
using viz::Timeline;

namespace {
constexpr int64_t kS = 1'000'000'000;

using viz_test::crash_scenario;
using viz_test::until;

uint32_t node_id(const Timeline& t, const std::string& name) {
  for (uint32_t n = 0; n < t.names().size(); ++n) {
    if (t.names()[n] == name) return n;
  }
  FAIL("no node " << name);
  return 0;
}
}  // namespace

TEST_CASE("a crash marks its node down at its time and up at its restart") {
  Timeline t(crash_scenario(), until(13));
  const uint32_t edge1 = node_id(t, "edge-1");
  t.seek_time(10 * kS - 1);
  CHECK(t.state().nodes[edge1].up);
  CHECK(t.state().up_count(t.tiers(), viz::Tier::kEdge) == 3);
  REQUIRE(t.seek_next([&](const sim::Record& r) { return r.type == sim::RecordType::kCrash; }));
  CHECK(t.record(t.cursor() - 1).node == edge1);
  CHECK(t.cursor_ns() == 10 * kS);
  CHECK_FALSE(t.state().nodes[edge1].up);
  CHECK(viz::severity(t.record(t.cursor() - 1)) == viz::Severity::kCritical);
  t.seek_time(11 * kS);
  CHECK_FALSE(t.state().nodes[edge1].up);
  CHECK(t.state().up_count(t.tiers(), viz::Tier::kEdge) == 2);
  t.seek_time(12 * kS);
  CHECK(t.state().nodes[edge1].up);
  // And backwards again, through the checkpoints.
  t.seek_time(10 * kS + 1);
  CHECK_FALSE(t.state().nodes[edge1].up);
  t.seek_time(5 * kS);
  CHECK(t.state().nodes[edge1].up);
}

TEST_CASE("a partition cuts every link across it, whether or not it carried traffic") {
  // edge-3 against the rest, then a second partition of the cores alone for
  // a second, then a heal. Edges talk only to cores: edge-3 to edge-1 or to
  // a cloud node carries nothing, so no drop marks it (it looked whole when
  // the cut links were taken from the drops: an adversarial pass).
  const scenario::Scenario sc = scenario::load_scenario_text(
      "name: p\nseed: 5\nduration: 10s\ntopology: { edge: 3, core: 2, cloud: 3 }\n"
      "workload:\n  - { kind: requests, rate: 100/s }\n"
      "faults:\n  - { at: 3s, partition: [[edge-3], \"*\"] }\n"
      "  - { at: 4s, partition: [[core-1], [core-2]], for: 1s }\n  - { at: 6s, heal: all }\n"
      "expect: { recovers_within: 1s }\n",
      "p.yaml");
  Timeline t(sc, {});
  const auto cut = [&](const char* a, const char* b) { return t.link_cut(node_id(t, a), node_id(t, b)); };
  t.seek_time(3 * kS - 1);
  CHECK_FALSE(cut("edge-3", "core-1"));
  t.seek_time(3 * kS + kS / 2);
  for (const char* other : {"edge-1", "edge-2", "core-1", "core-2", "cloud-1", "cloud-2", "cloud-3"}) {
    CHECK(cut("edge-3", other));
    CHECK(cut(other, "edge-3"));
  }
  CHECK_FALSE(cut("edge-1", "core-1"));
  CHECK_FALSE(cut("core-1", "core-2"));
  CHECK_FALSE(cut("edge-1", "cloud-2"));
  t.seek_time(4 * kS + kS / 2);  // both in force
  CHECK(cut("core-1", "core-2"));
  CHECK(cut("edge-3", "cloud-1"));
  CHECK_FALSE(cut("edge-1", "cloud-1"));
  t.seek_time(5 * kS + kS / 2);  // the cores' partition over
  CHECK_FALSE(cut("core-1", "core-2"));
  CHECK(cut("edge-3", "edge-2"));
  t.seek_time(6 * kS + kS / 2);  // healed
  CHECK_FALSE(cut("edge-3", "edge-2"));
  CHECK(t.state().partitions.empty());
  // And backwards again, through the checkpoints.
  t.seek_time(3 * kS + kS / 2);
  CHECK(cut("edge-3", "cloud-3"));
}

TEST_CASE("stepping forwards then backwards returns to an identical state") {
  Timeline t(crash_scenario(), until(4));
  t.seek_time(2 * kS);
  const viz::ViewState before = t.state();
  REQUIRE(before.applied > 5000);
  for (int i = 0; i < 700; ++i) t.step(+1);
  CHECK(t.state().digest() != before.digest());
  for (int i = 0; i < 700; ++i) t.step(-1);
  CHECK(t.state().digest() == before.digest());
  CHECK(t.state() == before);
  t.step(-100000000);
  CHECK(t.cursor() == 0);
  CHECK(t.state() == viz::ViewState(t.names().size()));
}

TEST_CASE("a jump to a time gives the state that stepping there gives") {
  Timeline jumped(crash_scenario(), until(3));
  jumped.seek_time(2 * kS + 500'000'000);
  const viz::ViewState target = jumped.state();
  jumped.seek(0);
  // Stepping one record at a time from the start, never restoring.
  while (jumped.cursor() < target.applied) jumped.step(+1);
  CHECK(jumped.state() == target);
  CHECK(target.now_ns <= 2 * kS + 500'000'000);
  REQUIRE(target.applied < jumped.collected());
  CHECK(jumped.record(target.applied).time_ns > 2 * kS + 500'000'000);
  CHECK(!target.in_flight.empty());
}

TEST_CASE("checkpoint memory stays within its budget and random access stays exact") {
  viz::TimelineLimits small;
  small.checkpoint_memory_bytes = 256 << 10;
  small.checkpoint_every = 64;
  Timeline t(crash_scenario(), until(3), small);
  t.simulate_all();
  CHECK(t.checkpoint_bytes() <= small.checkpoint_memory_bytes);
  CHECK(t.checkpoint_every() > 64);  // it thinned
  CHECK(t.checkpoint_count() * t.checkpoint_every() >= t.collected());
  t.seek(t.collected() / 3);
  const viz::ViewState a = t.state();
  t.seek(t.collected());
  t.seek(t.collected() / 3);
  CHECK(t.state() == a);
}

TEST_CASE("viewing a run leaves its trace hash unchanged") {
  const scenario::Scenario sc = crash_scenario();
  const run::RunResult plain = run::run_scenario(sc, until(3));
  Timeline t(sc, until(3));
  t.seek_time(1 * kS);
  t.step(-10);
  t.simulate_all();
  REQUIRE(t.finished());
  CHECK(t.result().trace_hash == plain.trace_hash);
  CHECK(t.result().records == plain.records);
  CHECK(t.seconds().size() == 3);
  CHECK(t.seconds()[1].tiers[0].ok > 1000);       // edge answers per second
  CHECK(t.seconds()[1].tiers[0].p99_ns > 0);
}

TEST_CASE("a trace file opens when its hash reproduces and is refused when not") {
  const std::string path = "viz_test_trace.trc";
  run::RunOptions o = until(2);
  o.trace_path = path;
  run::run_scenario(crash_scenario(), o);
  {
    viz::OpenRequest req;
    req.trace_path = path;
    viz::Session s = viz::open_session(req);
    CHECK(viz::verify_trace(s).empty());
    CHECK(s.timeline->names().size() == 8);
  }
  // The header is outside the file's hash: another seed there reads fine
  // but does not reproduce the records.
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = bytes.find("\"seed\":1");
  REQUIRE(at != std::string::npos);
  bytes[at + 7] = '2';
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  viz::OpenRequest req;
  req.trace_path = path;
  viz::Session s = viz::open_session(req);
  CHECK(viz::verify_trace(s).find("not this build's run") != std::string::npos);
  std::remove(path.c_str());
  req.trace_path = "no-such-file.trc";
  CHECK_THROWS_AS(viz::open_session(req), viz::OpenError);
}

TEST_CASE("the default layout puts tiers in rows and a layout file moves named nodes") {
  const std::vector<viz::Tier> tiers = {viz::Tier::kEdge, viz::Tier::kCore, viz::Tier::kCloud, viz::Tier::kEdge};
  viz::Layout l = viz::default_layout(tiers, {0, 0, 600, 300});
  CHECK(l.centre[2].y < l.centre[1].y);  // cloud above core
  CHECK(l.centre[1].y < l.centre[0].y);  // core above edge
  CHECK(l.centre[0].y == l.centre[3].y);
  CHECK(l.centre[0].x < l.centre[3].x);
  const std::string path = "viz_test_layout.json";
  {
    std::ofstream out(path);
    out << R"({"nodes": {"b": [10, 20]}})";
  }
  viz::apply_layout_file(l, path, {"a", "b", "c", "d"});
  CHECK(l.centre[1].x == 10);
  CHECK(l.centre[1].y == 20);
  CHECK_THROWS_WITH(viz::apply_layout_file(l, path, {"a"}), Catch::Contains("no node 'b'"));
  std::remove(path.c_str());
}

TEST_CASE("records get the log's severities and the steps' kinds") {
  using sim::Record;
  using sim::RecordType;
  const auto rec = [](RecordType t, uint16_t code = 0) { return Record{0, t, code, 0, 1, 0, 0, 0}; };
  CHECK(viz::severity(rec(RecordType::kSend)) == viz::Severity::kDetail);
  CHECK(viz::severity(rec(RecordType::kCrash)) == viz::Severity::kCritical);
  CHECK(viz::severity(rec(RecordType::kRestart)) == viz::Severity::kSuccess);
  CHECK(viz::severity(rec(RecordType::kDrop, 2)) == viz::Severity::kWarning);
  CHECK(viz::severity(rec(RecordType::kFault)) == viz::Severity::kWarning);
  const auto client_end = static_cast<RecordType>(36);
  CHECK(viz::severity(rec(client_end, 0)) == viz::Severity::kSuccess);
  CHECK(viz::severity(rec(client_end, 2)) == viz::Severity::kCritical);
  CHECK_FALSE(viz::stored(rec(client_end, 0)));  // counted per second only
  CHECK(viz::stored(rec(client_end, 4)));
  CHECK(viz::is_phase(rec(static_cast<RecordType>(72))));  // 2PC participant
  CHECK(viz::is_fault(rec(RecordType::kCrash)));
  CHECK(viz::is_message(rec(RecordType::kDeliver)));
  CHECK(viz::describe(rec(RecordType::kCrash), {"edge-1", "core-1"}).find("edge-1 CRASHED") == 0);
}

TEST_CASE("opening at first-failure: the first critical record, edge-1 crashing at 10 s") {
  // `ecsim viz FILE --at first-failure` puts the cursor just past it (the
  // window reaches it over frames: model/mover.hpp, tests/viz/test_mover.cpp).
  Timeline t(crash_scenario(), until(13));
  const auto first = t.find_first(viz::is_failure);
  REQUIRE(first.has_value());
  CHECK(t.record(*first).type == sim::RecordType::kCrash);
  CHECK(t.record(*first).node == node_id(t, "edge-1"));
  CHECK(t.record(*first).time_ns == 10 * kS);
  for (uint64_t i = 0; i < *first; ++i) REQUIRE_FALSE(viz::is_failure(t.record(i)));
  t.seek(*first + 1);
  CHECK_FALSE(t.state().nodes[node_id(t, "edge-1")].up);
}

TEST_CASE("a dropped message is marked near the end of its link where it died") {
  // drop_position puts a drop near the sender when the network recorded it
  // at the send (it never left) and near the receiver when it recorded it
  // later (at its arrival): checked against every drop of a lossy run with a
  // partition and of a run with a crash.
  std::map<uint16_t, uint64_t> by_reason;
  uint64_t at_send = 0, later = 0;
  for (const char* file : {"/scenarios/lossy-links.yaml", "/scenarios/edge-crash-rehydrate.yaml"}) {
    Timeline t(scenario::load_scenario_file(std::string(ECSIM_SOURCE_DIR) + file), until(12));
    t.simulate_all();
    std::map<uint64_t, int64_t> sent;  // message id -> send time
    for (uint64_t i = 0; i < t.collected(); ++i) {
      const sim::Record& r = t.record(i);
      if (r.type == sim::RecordType::kSend) sent[r.a] = r.time_ns;
      if (r.type != sim::RecordType::kDrop) continue;
      const auto s = sent.find(r.a);
      REQUIRE(s != sent.end());
      const float where = viz::drop_position(r.code);
      INFO(file << ": drop reason " << r.code << " of message " << r.a);
      if (r.time_ns == s->second) {
        CHECK(where < 0.5f);
        ++at_send;
      } else {
        CHECK(where > 0.5f);
        ++later;
      }
      ++by_reason[r.code];
    }
  }
  CHECK(by_reason.size() >= 2);  // random losses and a down node's at least
  CHECK(at_send > 0);
  CHECK(later > 0);
}

}  // namespace test_view_model
