// Checkpoints of the probe's run as forked processes (viz/model/forks.hpp):
// taken as the probe's own run passes, serving a target behind it exactly
// as a run from t = 0 does (node snapshots, the trace hash so far, the
// hover clocks), bounded by count and by measured memory, and falling back
// to t = 0 when a checkpoint dies under the viewer.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "crash_run.hpp"
#include "model/probe.hpp"
#include "model/timeline.hpp"

namespace test_forks {

using namespace ecsim;
using viz_test::crash_scenario;
using viz_test::until;

namespace {
constexpr int64_t kS = 1'000'000'000;

void reach(viz::Probe& p, uint64_t event, int64_t capture_from_ns, uint64_t budget) {
  while (!p.advance_to(event, capture_from_ns, budget)) {
  }
  REQUIRE(p.events() == event);
}

// Whether process `pid` has exited (a zombie or gone).
bool gone_or_zombie(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string self, name, state;
  return !(f >> self >> name >> state) || state == "Z" || state == "X";
}

viz::Probe without_forks(const viz::Timeline& t) {
  return viz::Probe(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{0});
}

// Every node's snapshot at `event`, and the trace hash so far.
struct State {
  uint64_t trace_hash = 0;
  std::vector<tiers::NodeSnapshot> nodes;
  bool operator==(const State&) const = default;
};
State state_at(viz::Probe& p, const viz::Timeline& t, uint64_t event, int64_t capture_from_ns) {
  reach(p, event, capture_from_ns, 1 << 20);
  State s;
  s.trace_hash = p.trace_hash_so_far();
  for (uint32_t n = 0; n < t.names().size(); ++n) {
    const tiers::NodeSnapshot* snap = p.snapshot(n, event);
    REQUIRE(snap != nullptr);
    s.nodes.push_back(*snap);
  }
  return s;
}
}  // namespace

TEST_CASE(
    "forks: taken every N events as the probe runs, they serve each step back as a run from t = 0 "
    "does") {
  viz::Timeline t(crash_scenario(), until(3));
  t.seek_time(2 * kS);
  const uint64_t end = t.cursor_event();
  viz::Probe p(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{uint64_t{1} << 30, 4000});
  reach(p, end, 0, 1000);  // in steps: a checkpoint is due every 4000 events
  REQUIRE(p.forks() != nullptr);
  const std::vector<uint64_t> at = p.forks()->events();
  REQUIRE(at.size() >= end / 4000);
  CHECK(at.front() == 0);
  for (size_t i = 1; i < at.size(); ++i) CHECK(at[i] - at[i - 1] >= 4000);
  CHECK(p.forks()->memory_bytes() > 0);  // measured (/proc)

  // Six steps back, one event each; a probe without checkpoints walks the
  // same events forwards from t = 0.
  viz::Probe q = without_forks(t);
  std::vector<State> forwards;
  for (uint64_t e = end / 2 - 6; e < end / 2; ++e) forwards.push_back(state_at(q, t, e, 0));
  for (uint64_t i = 6; i-- > 0;) {
    const State back = state_at(p, t, end / 2 - 6 + i, 0);
    CHECK(p.remote());
    CHECK(back == forwards[i]);
  }
  CHECK(p.restarts() == 0);
  CHECK(q.restarts() == 0);
  // And forwards past the worker to the own run's event: its own run serves again.
  reach(p, end, 0, 1 << 20);
  CHECK_FALSE(p.remote());
  CHECK(p.restarts() == 0);
}

TEST_CASE(
    "forks: the clocks a worker meets reach the owner's hover cache, equal to a fresh run's") {
  viz::Timeline t(crash_scenario(), until(3));
  t.seek_time(2 * kS);
  const uint64_t end = t.cursor_event();
  const int64_t from_ns = 1 * kS;
  viz::Probe p(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{uint64_t{1} << 30, 4000});
  reach(p, end, 2 * kS, 1000);  // captures nothing before 2 s on the way
  t.seek_time(from_ns + 100'000'000);
  reach(p, t.cursor_event(), from_ns, 1 << 20);  // back: a worker captures from 1 s
  REQUIRE(p.remote());
  viz::Probe q = without_forks(t);
  reach(q, t.cursor_event(), from_ns, 1 << 20);
  // The worker captured from its checkpoint on (before it, the probe's own
  // pass had captured from 2 s only): every send from there has its clock.
  REQUIRE(p.remote_from_ns() > from_ns);
  REQUIRE(p.remote_from_ns() < t.cursor_ns());
  uint64_t compared = 0, before = 0;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != sim::RecordType::kSend || r.time_ns < from_ns) continue;
    const viz::CapturedClock* mine = p.clock(r.a, true);
    const viz::CapturedClock* fresh = q.clock(r.a, true);
    REQUIRE(fresh != nullptr);
    if (r.time_ns <= p.remote_from_ns()) {  // at its time: maybe in an event before it
      before += mine == nullptr;
      continue;
    }
    REQUIRE(mine != nullptr);
    CHECK(mine->clock == fresh->clock);
    CHECK(mine->time_ns == fresh->time_ns);
    ++compared;
  }
  CHECK(compared > 100);
  CHECK(before > 0);  // not captured by anyone: documented (docs/viewer.md)
  CHECK(p.cache_bytes() == p.cache_bytes_recounted());
}

TEST_CASE("forks: killed under the viewer, the probe falls back to t = 0 and stays right") {
  viz::Timeline t(crash_scenario(), until(3));
  t.seek_time(2 * kS);
  const uint64_t end = t.cursor_event();
  viz::Probe p(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{uint64_t{1} << 30, 4000});
  reach(p, end, 0, 1000);
  REQUIRE(p.forks()->size() > 1);
  for (const int pid : p.forks()->pids()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);  // dead before the probe asks: no race in the test
  }
  viz::Probe q = without_forks(t);
  const State fresh = state_at(q, t, end / 2, 0);
  CHECK(state_at(p, t, end / 2, 0) == fresh);
  CHECK(p.forks()->failed());
  CHECK(p.forks()->size() == 0);
  CHECK(p.restarts() == 1);

  // And a worker killed in a session: the same.
  viz::Probe r(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{uint64_t{1} << 30, 4000});
  reach(r, end, 0, 1000);
  reach(r, end / 2, 0, 1 << 20);
  REQUIRE(r.remote());
  // The worker first (not a child of ours: waited for by its state), then
  // the checkpoints.
  const int worker = r.forks()->worker();
  REQUIRE(worker > 0);
  ::kill(worker, SIGKILL);
  for (int i = 0; i < 5000 && !gone_or_zombie(worker); ++i) ::usleep(1000);
  REQUIRE(gone_or_zombie(worker));
  for (const int pid : r.forks()->pids()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  CHECK(state_at(r, t, end / 2 + 1, 0) == state_at(q, t, end / 2 + 1, 0));
  CHECK(r.forks()->failed());
}

TEST_CASE(
    "forks: over the memory budget every other one goes and the interval doubles, and by count") {
  viz::Timeline t(crash_scenario(), until(3));
  t.seek_time(2 * kS);
  const uint64_t end = t.cursor_event();
  viz::Probe big(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{uint64_t{1} << 30, 4000});
  reach(big, end, 0, 500);
  const uint64_t measured = big.forks()->memory_bytes();
  REQUIRE(measured > 0);
  CHECK(big.forks()->thinned() == 0);

  const uint64_t budget = measured / 3;
  viz::Probe small(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{budget, 4000});
  reach(small, end, 0, 500);
  CHECK(small.forks()->thinned() >= 1);
  CHECK(small.forks()->every_events() >= 8000);
  CHECK((small.forks()->memory_bytes() <= budget || !small.forks()->enabled()));
  CHECK(state_at(small, t, end / 3, 0) == state_at(big, t, end / 3, 0));

  // A budget no checkpoint fits: none is kept, back is from t = 0.
  viz::Probe none(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{1, 4000});
  reach(none, end, 0, 500);
  CHECK(none.forks()->size() == 0);
  CHECK_FALSE(none.forks()->enabled());
  CHECK_FALSE(none.forks()->failed());
  CHECK(state_at(none, t, end / 3, 0) == state_at(big, t, end / 3, 0));
  CHECK(none.restarts() == 1);

  // By count: a checkpoint every event, at most 16 of them.
  viz::Probe many(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{uint64_t{1} << 40, 1, 16});
  reach(many, 20, 0, 1);
  CHECK(many.forks()->size() <= 16);
  CHECK(many.forks()->thinned() == 1);
  CHECK(many.forks()->every_events() == 2);
  CHECK(state_at(many, t, 7, 0) == state_at(big, t, 7, 0));
}

}  // namespace test_forks
