// The end state of a three-tier run as traced records (tiers/end_state.hpp)
// and followed from them (check/end_state.hpp): hand-made end states with the
// violations acknowledged_writes, edge_isolation and convergence exist for,
// each named at its simulated time and record index; and a recorded trace
// file that carries the whole end state those verdicts judged.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

#include "ecsim/check/end_state.hpp"
#include <fmt/format.h>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/trace_file.hpp"
#include "ecsim/tiers/end_state.hpp"

namespace test_end_state {

using namespace ecsim;
using namespace ecsim::sim::literals;
using proto::storage::Version;
using sim::Record;

namespace {

// edge-1 = 0, core-1 = 1, core-2 = 2, cloud-1 = 3, cloud-2 = 4, cloud-3 = 5.
const std::vector<std::string> kNames = {"edge-1", "core-1", "core-2", "cloud-1", "cloud-2", "cloud-3"};
const std::vector<bool> kIsCore = {false, true, true, false, false, false};
constexpr int64_t kEnd = 60'000'000'000;

// Feeds records to an EndState as a trace would, counting them from 1.
struct History {
  check::EndState end;
  uint64_t records = 0;
  uint64_t emit(sim::RecordType type, uint16_t code, uint32_t node, uint32_t peer, uint64_t a, uint64_t b,
                uint32_t kind = 0) {
    end.offer(Record{kEnd, type, code, node, peer, kind, a, b});
    return ++records;
  }
  // Unrelated records before the end state, so indices are not trivial.
  void prefix(int n) {
    for (int i = 0; i < n; ++i) {
      end.offer(Record{i, sim::RecordType::kTimer, 0, 0, 0, 0, 0, 0});
      ++records;
    }
  }
};

}  // namespace

TEST_CASE("end state: an acknowledged write missing from a quorum is named at its ack record", "[check][end_state]") {
  History h;
  h.prefix(10);
  // cloud-1 holds key 7 at (3, core-1); cloud-2 is behind; cloud-3 is down
  // and its log lacks key 7.
  h.emit(tiers::kRecordEndReplica, tiers::kEndUp, 3, 0, 2, 0xaa);
  h.emit(tiers::kRecordEndWriter, tiers::kEndUp, 3, 1, 2, 7);
  h.emit(tiers::kRecordEndVersion, tiers::kEndUp, 3, 1, 7, 3);
  h.emit(tiers::kRecordEndVersion, tiers::kEndUp, 3, 1, 9, 1);
  h.emit(tiers::kRecordEndReplica, tiers::kEndUp, 4, 0, 2, 0xbb);
  h.emit(tiers::kRecordEndWriter, tiers::kEndUp, 4, 1, 2, 7);
  h.emit(tiers::kRecordEndVersion, tiers::kEndUp, 4, 1, 7, 2);
  h.emit(tiers::kRecordEndVersion, tiers::kEndUp, 4, 1, 9, 2);
  h.emit(tiers::kRecordEndReplica, tiers::kEndFromLog, 5, 0, 1, 0xcc);
  h.emit(tiers::kRecordEndWriter, tiers::kEndFromLog, 5, 1, 1, 9);
  h.emit(tiers::kRecordEndVersion, tiers::kEndFromLog, 5, 1, 9, 1);
  const uint64_t ack7 = h.emit(tiers::kRecordEndAcked, 0, 1, 1, 7, 3);
  h.emit(tiers::kRecordEndAcked, 0, 1, 1, 9, 1);
  REQUIRE(ack7 == 22);

  REQUIRE(h.end.seen());
  REQUIRE(h.end.replicas().size() == 3);
  CHECK(h.end.replicas()[2].from_disk);
  CHECK(h.end.replicas()[0].versions.at(7) == Version{3, 1});
  REQUIRE(h.end.acked().size() == 2);
  const check::AckedWritesReport rep = check::check_acknowledged_writes(h.end.acked(), h.end.replicas(), kNames);
  CHECK(rep.keys_checked == 2);
  REQUIRE(rep.violation_count == 1);
  const std::string& what = rep.violations.front().what;
  INFO(what);
  CHECK(what ==
        "at 60s, record #22: key 7 acknowledged at version (3, core-1) is held by 1 of 3 replicas, need 2: "
        "cloud-1 has (3, core-1), cloud-2 has (2, core-1), cloud-3 has none (down, from its log)");
}

TEST_CASE("end state: a version written by an edge node is named at its writer record", "[check][end_state]") {
  History h;
  h.prefix(3);
  h.emit(tiers::kRecordEndReplica, tiers::kEndUp, 3, 0, 5, 0xaa);
  h.emit(tiers::kRecordEndWriter, tiers::kEndUp, 3, 1, 3, 2);
  h.emit(tiers::kRecordEndWriter, tiers::kEndUp, 3, 2, 2, 4);
  h.emit(tiers::kRecordEndReplica, tiers::kEndUp, 4, 0, 5, 0xbb);
  const uint64_t forged = h.emit(tiers::kRecordEndWriter, tiers::kEndUp, 4, 0, 1, 11);  // edge-1 wrote key 11
  h.emit(tiers::kRecordEndWriter, tiers::kEndUp, 4, 1, 4, 2);
  h.emit(tiers::kRecordEndReplica, tiers::kEndUp, 5, 0, 0, 0);
  REQUIRE(forged == 8);
  REQUIRE(h.end.writers().size() == 3);
  CHECK(h.end.writers()[2].writers.empty());
  const check::ReplicaWritersReport rep = check::check_replica_writers(h.end.writers(), kIsCore, kNames);
  CHECK(rep.versions_checked == 10);
  REQUIRE(rep.violation_count == 1);
  CHECK(rep.violations.front().key == 11);
  CHECK(rep.violations.front().what ==
        "cloud-2 at 60s, record #8: cloud-2 holds key 11 written by edge-1, which is not a core node");
}

TEST_CASE("end state: a diverging DSM key is named at its first replica's record", "[check][end_state]") {
  History h;
  h.prefix(5);
  const uint64_t clock_a = 0x1111222233334444ULL;
  const uint64_t clock_b = 0x5555666677778888ULL;
  auto key = [&h](uint32_t node, uint64_t k, uint64_t value, uint64_t clock) {
    return h.emit(tiers::kRecordEndDsmKey, 0, node, static_cast<uint32_t>(clock), k, value,
                  static_cast<uint32_t>(clock >> 32));
  };
  h.emit(tiers::kRecordEndDsm, tiers::kEndUp, 0, 0, 2, 0x1);
  key(0, 1, 10, clock_a);
  const uint64_t first7 = key(0, 7, 3, clock_a);
  h.emit(tiers::kRecordEndDsm, tiers::kEndFromLog, 1, 0, 0, 0);  // core-1 is down: skipped
  h.emit(tiers::kRecordEndDsm, tiers::kEndUp, 2, 0, 2, 0x2);
  key(2, 1, 10, clock_a);
  key(2, 7, 4, clock_b);
  REQUIRE(first7 == 8);
  REQUIRE(h.end.dsm_seen());
  CHECK(h.end.dsm_down() == 1);
  REQUIRE(h.end.dsm().size() == 2);
  CHECK(h.end.dsm()[0].entries.at(7).clock_hash == clock_a);  // the hash survives its split in two halves
  const check::ConvergenceReport rep = check::check_convergence(h.end.dsm(), kNames);
  CHECK(rep.keys_checked == 2);
  REQUIRE(rep.divergent_keys == 1);
  CHECK(rep.divergences.front().record == 8);
  CHECK(rep.divergences.front().what ==
        "at 60s, record #8: key 7 diverges: value 3 (clock 1111222233334444) at edge-1; value 4 (clock "
        "5555666677778888) at core-2");
}

TEST_CASE("end state: a recorded trace file carries what the end-state verdicts judged", "[check][end_state]") {
  // A short three-tier run with cloud-2 down at the end: the file alone
  // gives the acknowledged keys, every replica (cloud-2 from its log) and
  // every DSM replica, as the run judged them.
  const std::string path =
      (std::filesystem::temp_directory_path() / "ecsim-test-end-state.trace").string();
  scenario::Scenario sc;
  sc.name = "end-state-test";
  sc.file = "<test>";
  sc.seed = 4;
  sc.duration = 4_s;
  scenario::RequestWorkload w;
  w.at = {"edge", {}};
  w.rate_per_s = 300;
  w.subscribers = 500;
  w.mix_dsm_set = 10;
  w.dsm_keys = 64;
  sc.requests.push_back(w);
  scenario::Fault crash;
  crash.at = sim::Time{0} + 3_s;
  crash.kind = scenario::Fault::Kind::kCrash;
  crash.target = {"cloud-2", {}};
  sc.faults.push_back(crash);
  sc.expect.invariants = {"acknowledged_writes", "convergence"};
  // No recovers_within: no whole second after the crash ends 1 s (the
  // clients' timeout) before the end of the run, so it is not required.
  run::RunOptions o;
  o.trace_path = path;
  const run::RunResult r = run::run_scenario(sc, o);
  check::EndState end;
  sim::RecordType last{};
  const sim::TraceFileInfo info = sim::read_trace_file(path, [&end, &last](const Record& rec) {
    end.offer(rec);
    last = rec.type;
  });
  std::remove(path.c_str());
  CHECK(info.hash == r.trace_hash);
  REQUIRE(end.replicas().size() == 3);
  CHECK(end.replicas()[1].from_disk);  // cloud-2, down at the end
  CHECK_FALSE(end.replicas()[0].from_disk);
  CHECK(end.acked().size() == r.tiers.acked_keys_checked);
  CHECK(end.acked().size() > 100);
  CHECK(end.dsm_down() == 1);
  REQUIRE(end.dsm().size() == 7);
  CHECK_FALSE(end.dsm()[0].entries.empty());
  // The end state is traced at the end of the run, the DSM keys last.
  CHECK(end.replicas()[0].time_ns == r.end.ns);
  CHECK(last == tiers::kRecordEndDsmKey);
  CHECK(check::check_acknowledged_writes(end.acked(), end.replicas(), {}).ok());
}

TEST_CASE("end state: a replica behind slow links is owed its true round trips, and named when it lies", "[check][end_state]") {
  // cloud-2 restarts at 2 s behind links of 3 s to the other replicas (its
  // first request left before the delay: its answer comes at 5 s). The
  // requests it asked again at 2.5 ... 5 s were not lost, only early: the
  // answer names its request, so the round trip is timed from 2 s (3 s),
  // and the next one, asked at 5 s and under way for 5 s at the end, is
  // owed all of it (the delay's round trip is 6 s: until 2026-12-07 only
  // the longest answered one, 3 s, was owed): 13 s owed, 8 s in reach. Until 2026-12-06
  // the checker timed the answer from the latest request (0.5 s) and failed
  // a replica that had no way to catch up by 10 s.
  const std::string text = R"(
name: catch-up-cut
duration: 10s
seed: 3
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 200/s, subscribers: 1000, mix: { read: 50, write: 50 } }
faults:
  - { at: 1s, crash: cloud-2 }
  - { at: 2s, restart: cloud-2 }
  - { at: 2s, delay: { between: [cloud-2, cloud], latency: { constant: 3s } } }
expect:
  invariants: [catch_up]
)";
  {
    const run::RunResult r = run::run_scenario(scenario::load_scenario_text(text, "<test>"), {});
    REQUIRE(r.verdicts.size() >= 1);
    const run::Verdict& v = r.verdicts.front();
    CHECK(v.name == "catch_up");
    // Its only restart not judged: nothing to judge (a pass over nothing before).
    CHECK_FALSE(v.ok);
    CHECK(v.vacuous);
    CHECK(v.detail == "nothing to judge: not judged (a peer in reach less than 5s before the end): cloud-2 (13.000s "
                      "owed: 5s plus its waits on its peers)");
  }
  // The same replica saying it caught up before any peer answered
  // (storage.catch_up_early) is named at that record: its ordinal in the
  // run's trace file.
  uint64_t caught_up_record = 0;
  struct Finder final : sim::TraceObserver {
    uint64_t seen = 0;
    uint64_t* out;
    explicit Finder(uint64_t* o) : out(o) {}
    void on_record(const Record& r) override {
      ++seen;
      if (r.type == proto::storage::kRecordCatchUp && r.node == 6 && *out == 0 &&
          r.code == static_cast<uint16_t>(proto::storage::CatchUpEvent::kCaughtUp) && r.time_ns >= 2'000'000'000) {
        *out = seen;  // cloud-2's first after its restart
      }
    }
  };
  const std::string path = (std::filesystem::temp_directory_path() / "ecsim-test-catch-up.trace").string();
  run::RunOptions o;
  o.trace_path = path;
  o.plant = proto::Plant::kStorageCatchUpEarly;
  const run::RunResult r = run::run_scenario(scenario::load_scenario_text(text, "<test>"), o);
  Finder finder(&caught_up_record);
  sim::read_trace_file(path, [&finder](const Record& rec) { finder.offer(rec); });
  std::remove(path.c_str());
  REQUIRE(caught_up_record > 0);
  REQUIRE(r.verdicts.size() >= 1);
  const run::Verdict& v = r.verdicts.front();
  CHECK(v.name == "catch_up");
  CHECK_FALSE(v.ok);
  CHECK(v.detail.starts_with(fmt::format("cloud-2 at 2s, record #{}: said it caught up 0.000s after its restart at 2.000s but lacked ",
                                         caught_up_record)));
}

}  // namespace test_end_state
