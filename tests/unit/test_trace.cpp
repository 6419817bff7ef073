#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/trace_file.hpp"

namespace test_trace {

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {
std::string temp_path(const char* name) { return std::string("/tmp/ecsim-test-") + name; }
std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void spit(const std::string& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << data;
}
std::string error_of(const std::string& p) {
  try {
    sim::read_trace_file(p);
  } catch (const sim::TraceFileError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("trace: record hashing is independent of batching", "[trace]") {
  sim::Trace t;
  sim::RecordHasher h;
  for (uint64_t i = 0; i < 5000; ++i) {
    const sim::Record r{static_cast<int64_t>(i), sim::RecordType::kTimer, 0, 1, 2, 3, i, i * 7};
    t.record(r);
    h.update(&r, 1);
  }
  CHECK(t.hash() == h.digest());
  CHECK(t.count() == 5000);
}

TEST_CASE("trace file: re-hashing reproduces the run's hash, damage is refused", "[trace]") {
  const scenario::Scenario sc = scenario::load_quickstart();
  run::RunOptions o;
  o.until = 3_s;
  o.trace_path = temp_path("run.trace");
  const run::RunResult r = run::run_scenario(sc, o);
  uint64_t visited = 0;
  const sim::TraceFileInfo info = sim::read_trace_file(o.trace_path, [&](const sim::Record&) { ++visited; });
  CHECK(info.hash == r.trace_hash);
  CHECK(info.record_count == r.records);
  CHECK(visited == r.records);
  CHECK(info.header_json.find("\"seed\":1") != std::string::npos);

  // The same run without a trace file has the same hash.
  o.trace_path.clear();
  CHECK(run::run_scenario(sc, o).trace_hash == r.trace_hash);

  const std::string good = slurp(temp_path("run.trace"));
  const std::string damaged = temp_path("damaged.trace");
  spit(damaged, good.substr(0, good.size() / 2));
  CHECK(error_of(damaged).find("truncated") != std::string::npos);
  spit(damaged, good.substr(0, good.size() - 3));
  CHECK(error_of(damaged).find("truncated") != std::string::npos);
  std::string flipped = good;
  flipped[flipped.size() - 30] ^= 0x40;  // inside the compressed records
  spit(damaged, flipped);
  CHECK(error_of(damaged).find("corrupted") != std::string::npos);
  std::string footer = good;
  footer[footer.size() - 1] ^= 0x01;  // the stored hash
  spit(damaged, footer);
  CHECK(error_of(damaged).find("corrupted") != std::string::npos);
  // Cut within the version or the header's length: truncated, not "bad
  // magic" (the magic is whole).
  for (const size_t cut : {size_t{8}, size_t{12}, size_t{15}}) {
    spit(damaged, good.substr(0, cut));
    CHECK(error_of(damaged) == damaged + ": truncated in the header");
  }
  spit(damaged, good.substr(0, 5));
  CHECK(error_of(damaged).find("bad magic") != std::string::npos);
  spit(damaged, "hello, not a trace");
  CHECK(error_of(damaged) == damaged + ": not an ecsim trace file (bad magic), expected one written by --trace");
  CHECK(error_of(temp_path("does-not-exist")) ==
        temp_path("does-not-exist") + ": cannot read: No such file or directory");
  std::remove(damaged.c_str());
  std::remove(temp_path("run.trace").c_str());
}

TEST_CASE("determinism: same seed same hash, another seed differs", "[trace][golden]") {
  const scenario::Scenario sc = scenario::load_quickstart();
  run::RunOptions o;
  o.until = 5_s;
  const run::RunResult a = run::run_scenario(sc, o);
  const run::RunResult b = run::run_scenario(sc, o);
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.events == b.events);
  o.seed = 2;
  const run::RunResult c = run::run_scenario(sc, o);
  CHECK(c.trace_hash != a.trace_hash);
  REQUIRE(a.tiers.present);
  CHECK((c.net.sent != a.net.sent || c.tiers.rows[1].p99_ns != a.tiers.rows[1].p99_ns));
}

TEST_CASE("max-events stops a run and fails it", "[trace]") {
  const scenario::Scenario sc = scenario::load_quickstart();
  run::RunOptions o;
  o.max_events = 1000;
  run::Run r(sc, o);
  while (!r.advance(300)) {
  }
  const run::RunResult res = r.finish();
  CHECK(res.event_limit_hit);
  CHECK(res.events == 1000);
  CHECK_FALSE(res.ok());
}

}  // namespace test_trace
