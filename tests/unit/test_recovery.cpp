// run/recovery.hpp: the `recovers_within` verdict from per-second counts,
// with hand-made histories (issue 9).
#include <catch2/catch.hpp>

#include "ecsim/run/recovery.hpp"

using namespace ecsim;

namespace {
using Seconds = std::vector<std::array<uint64_t, 2>>;

// `n` seconds serving `served` of 100 each.
void add(Seconds& s, int n, uint64_t served) {
  for (int i = 0; i < n; ++i) s.push_back({served, 100});
}

run::RecoveryReport judge(const Seconds& s, int64_t first_ms, int64_t last_end_ms, int64_t within_s, int64_t end_s) {
  run::RecoveryInput in;
  in.by_second = &s;
  in.first_fault = sim::Time{first_ms * 1000000};
  in.last_end = sim::Time{last_end_ms * 1000000};
  in.within = sim::seconds(within_s);
  in.run_end = sim::Time{end_s * 1000000000};
  return run::judge_recovery(in);
}
}  // namespace

TEST_CASE("recovery: back within the time, and staying back, passes", "[recovery]") {
  Seconds s;
  add(s, 10, 100);  // 0..10 s: the level, 100 %
  add(s, 3, 40);    // 10..13 s: the fault and after
  add(s, 7, 99);    // 13..20 s: 99 % >= 100 % - 1 point
  const run::RecoveryReport r = judge(s, 10000, 10300, 5, 20);
  CHECK(r.ok);
  CHECK(r.level_ppm == 1000000);
  CHECK(r.baseline_ns == sim::seconds(10).ns);
  CHECK(r.recovered_ns == sim::milliseconds(2700).ns);  // from 13 s, the window ended at 10.3 s
}

TEST_CASE("recovery: back too late, or not for good, or never, fails", "[recovery]") {
  Seconds late;
  add(late, 10, 100);
  add(late, 6, 50);
  add(late, 4, 100);
  CHECK_FALSE(judge(late, 10000, 10300, 5, 20).ok);  // back from 16 s: 5.7 s after
  Seconds relapse;
  add(relapse, 10, 100);
  add(relapse, 1, 50);
  add(relapse, 5, 100);
  add(relapse, 1, 97);  // a second below 99 % after: not back for good
  add(relapse, 3, 100);
  const run::RecoveryReport r = judge(relapse, 10000, 10000, 5, 20);
  CHECK_FALSE(r.ok);
  CHECK(r.recovered_ns == sim::seconds(7).ns);
  Seconds never;
  add(never, 10, 100);
  add(never, 30, 37);
  const run::RecoveryReport n = judge(never, 10000, 10300, 5, 40);
  CHECK_FALSE(n.ok);
  CHECK(n.recovered_ns == -1);
  CHECK(n.detail.find("not back by the end of the run") != std::string::npos);
}

TEST_CASE("recovery: the level with less than 10 s before the first fault, or none", "[recovery]") {
  Seconds s;
  add(s, 3, 95);   // 0..3 s: 95 %
  add(s, 2, 0);
  add(s, 10, 94);  // 94 % >= 95 % - 1 point
  const run::RecoveryReport r = judge(s, 3000, 5000, 5, 15);
  CHECK(r.ok);
  CHECK(r.level_ppm == 950000);
  CHECK(r.baseline_ns == sim::seconds(3).ns);
  // A fault at 0.5 s: no whole second before it, the level is 100 %.
  Seconds early;
  add(early, 5, 98);
  const run::RecoveryReport e = judge(early, 500, 1000, 2, 5);
  CHECK(e.level_ppm == 1000000);
  CHECK(e.baseline_ns == 0);
  CHECK_FALSE(e.ok);  // 98 % < 99 %
  // No whole second after the last window: nothing to judge, a failure.
  const run::RecoveryReport none = judge(early, 500, 5000, 2, 5);
  CHECK_FALSE(none.ok);
  CHECK(none.detail.find("nothing to judge") == 0);
}

TEST_CASE("recovery: a cluster holding its level under overload jitters by its sampling noise, and that is back",
          "[recovery]") {
  // The adversarial pass's case: about 9,000 requests settled a second, 31 %
  // served before the fault; afterwards seconds at 30.2 % (1.1 points under
  // the level, 2.3 sd of a second's binomial noise at 9,000) are back.
  Seconds s;
  for (int i = 0; i < 10; ++i) s.push_back({i % 2 == 0 ? 2780u : 2852u, 9000});  // 31.29 %
  for (int i = 0; i < 3; ++i) s.push_back({900, 9000});                          // the fault
  for (int i = 0; i < 10; ++i) s.push_back({i % 3 == 0 ? 2716u : 2830u, 9000});  // 30.18 %, 31.4 %
  const run::RecoveryReport r = judge(s, 10000, 13000, 5, 23);
  CHECK(r.ok);
  CHECK(r.level_ppm == 312888);
  CHECK(r.detail.find("within 3 sd of the level for its count of requests: wider in 10 of the 10 seconds judged") !=
        std::string::npos);
  // Four points under the level (8.6 sd): not back.
  Seconds low = s;
  low[18] = {2460, 9000};  // 27.3 %
  const run::RecoveryReport l = judge(low, 10000, 13000, 5, 23);
  CHECK_FALSE(l.ok);
  CHECK(l.detail.find("served 27.33%") != std::string::npos);
  // At a level of 100 % a second has no sampling noise: 1 point, as before.
  Seconds full;
  add(full, 10, 100);
  full.push_back({98, 100});
  CHECK_FALSE(judge(full, 10000, 10000, 5, 11).ok);
}

TEST_CASE("recovery: a level of 1 % or less is nothing to judge, since no second could fall below it", "[recovery]") {
  // Before 2026-12-07 a cluster that served nothing before the first fault
  // and nothing after it passed: every second "served at least 0 %".
  for (const uint64_t level : {uint64_t{0}, uint64_t{1}}) {
    Seconds s;
    add(s, 10, level);
    add(s, 10, 0);
    const run::RecoveryReport r = judge(s, 10000, 12000, 5, 20);
    INFO(r.detail);
    CHECK_FALSE(r.ok);
    CHECK(r.vacuous);
    CHECK(r.detail.rfind("nothing to judge: the cluster served ", 0) == 0);
  }
  // At 2 % over 100 requests a second, 3 sd of sampling noise (4.2 points)
  // cover the level too; over 10,000 a second (0.42 points) it can fail, and
  // does when nothing is served after the fault.
  Seconds s;
  add(s, 10, 2);
  add(s, 10, 0);
  const run::RecoveryReport few = judge(s, 10000, 12000, 5, 20);
  CHECK(few.vacuous);
  CHECK(few.detail.find("settled too few requests") != std::string::npos);
  Seconds many;
  for (int i = 0; i < 10; ++i) many.push_back({200, 10000});
  for (int i = 0; i < 10; ++i) many.push_back({0, 10000});
  const run::RecoveryReport r = judge(many, 10000, 12000, 5, 20);
  INFO(r.detail);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.vacuous);
}
