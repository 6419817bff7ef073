// run/recovery.hpp: the `recovers_within` verdict from per-second counts,
// with hand-made histories (issue 9).
#include <catch2/catch.hpp>

#include "ecsim/run/recovery.hpp"

namespace test_recovery {

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
  add(relapse, 1, 90);  // a second at 90 % after: not back for good
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
  // A fault at 0.5 s: no whole second before it, no level, nothing to
  // judge (a failure). Before 2026-12-07 the level was taken as 100 %, and
  // any lossy or overloaded run with an early harmless fault failed.
  Seconds early;
  add(early, 5, 98);
  const run::RecoveryReport e = judge(early, 500, 1000, 2, 5);
  CHECK(e.baseline_ns == 0);
  CHECK_FALSE(e.ok);
  CHECK(e.vacuous);
  CHECK(e.detail.find("nothing to judge: 0 requests settled in the whole seconds from 0s to 0s that measure the level") ==
        0);
  // Fewer than 50 settled in the level's seconds: too few to tell a lasting
  // drop from chance (an adversarial pass: 9 billing operations all served,
  // then 67 % for 39 s, passed).
  Seconds few;
  few.push_back({9, 9});
  for (int i = 0; i < 39; ++i) few.push_back({6, 9});
  const run::RecoveryReport f = judge(few, 1000, 1000, 5, 40);
  CHECK(f.vacuous);
  CHECK(f.detail.find("9 requests settled in the whole seconds from 0s to 1s") != std::string::npos);
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
  CHECK(r.detail.find("or a count of failed requests that chance explains at the level, p >= 0.001 over the 10 "
                      "seconds judged: a wider bound in 10 of them") != std::string::npos);
  // Four points under the level (8.6 sd): not back.
  Seconds low = s;
  low[18] = {2460, 9000};  // 27.3 %
  const run::RecoveryReport l = judge(low, 10000, 13000, 5, 23);
  CHECK_FALSE(l.ok);
  CHECK(l.detail.find("served 27.33%") != std::string::npos);
  // At a level of 100 % over 10,000 requests, 20 failures of 1,000 are far
  // beyond chance: the 1-point rule.
  Seconds full;
  for (int i = 0; i < 10; ++i) full.push_back({1000, 1000});
  full.push_back({980, 1000});
  full.push_back({980, 1000});
  const run::RecoveryReport f = judge(full, 10000, 10000, 1, 12);
  CHECK_FALSE(f.ok);
  CHECK_FALSE(f.vacuous);
  CHECK(f.detail.find("the second from 10s served 98.00% (980 of 1000), below the 99.00% its count needed") !=
        std::string::npos);
  // The same seconds with 5 s to recover in: both lie before the deadline,
  // and the ratio may yet have been back in time.
  const run::RecoveryReport early = judge(full, 10000, 10000, 5, 12);
  CHECK_FALSE(early.ok);
  CHECK(early.vacuous);
  CHECK(early.undecided);  // the run ended there, not the clients
  CHECK(early.detail.starts_with("nothing to judge: the judged seconds end at 12s (the end of the run at 12s), and "
                                 "none begins at or after the deadline at 15s"));
}

TEST_CASE("recovery: at 15 requests a second over lossy links, a second with two failures is back, none served is not",
          "[recovery]") {
  // An adversarial sweep's case: 3 edge nodes at 5 requests/s, 8 % of the
  // messages lost, about 1 request in 70 failed before and after a core
  // crash. At 3 sd of a normal approximation, 44 seeds in 60 failed on
  // seconds such as 12 of 14 served; the failures' tail is far from normal
  // at such counts.
  Seconds s;
  for (int i = 0; i < 10; ++i) s.push_back({i == 4 ? 14u : 15u, 15});  // 149 of 150: 99.33 %
  for (int i = 0; i < 3; ++i) s.push_back({5, 15});                   // the fault
  for (int i = 0; i < 40; ++i) s.push_back({i % 9 == 0 ? 12u : 15u, i % 9 == 0 ? 14u : 15u});
  const run::RecoveryReport r = judge(s, 10000, 13000, 5, 53);
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.recovered_ns == 0);
  // The same seconds with one that served none of 14: not back after it.
  Seconds out = s;
  out[40] = {0, 14};
  const run::RecoveryReport o = judge(out, 10000, 13000, 5, 53);
  INFO(o.detail);
  CHECK_FALSE(o.ok);
  CHECK(o.recovered_ns == sim::seconds(28).ns);
  CHECK(o.detail.find("the second from 40s served 0.00% (0 of 14)") != std::string::npos);
  // Forty seconds each within its noise, but at 90 % together, far below
  // 99.33 %: not back (the stretch rule).
  Seconds low = s;
  for (size_t i = 13; i < low.size(); ++i) low[i] = {i % 2 == 0 ? 13u : 14u, 15};  // 2 or 1 of 15 failed
  const run::RecoveryReport l = judge(low, 10000, 13000, 5, 53);
  INFO(l.detail);
  CHECK_FALSE(l.ok);
  CHECK(l.detail.find("served ratio back from 13s (0s after the last fault window ended) in each second, but the "
                      "seconds from 18s to the end served 89.90% together (472 of 525), below the ") != std::string::npos);
  CHECK(l.detail.find("the second from") == std::string::npos);  // no second short by itself
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
  // At 2 % over 100 requests a second, none served in a second is within
  // its sampling noise (0.98^100 = 13 %), and in two seconds together too
  // (1.8 %): nothing to judge. Over the ten seconds after the deadline
  // (0.98^1000) it can fail, and does when nothing is served after the
  // fault, as over 10,000 a second.
  Seconds s;
  add(s, 10, 2);
  add(s, 2, 0);
  const run::RecoveryReport few = judge(s, 10000, 10000, 5, 12);
  INFO(few.detail);
  CHECK(few.vacuous);
  CHECK(few.detail.find("settled too few requests") != std::string::npos);
  add(s, 13, 0);
  const run::RecoveryReport ten = judge(s, 10000, 10000, 5, 25);
  INFO(ten.detail);
  CHECK_FALSE(ten.ok);
  CHECK_FALSE(ten.vacuous);
  CHECK(ten.detail.find("the seconds from 15s to the end served 0.00% together (0 of 1000)") != std::string::npos);
  Seconds many;
  for (int i = 0; i < 10; ++i) many.push_back({200, 10000});
  for (int i = 0; i < 10; ++i) many.push_back({0, 10000});
  const run::RecoveryReport r = judge(many, 10000, 12000, 5, 20);
  INFO(r.detail);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.vacuous);
}

TEST_CASE("recovery: the level leaves out the requests still waiting when the first fault began", "[recovery]") {
  // core-cloud-blip: requests begun in the second before the blip at 10 s
  // failed by it (30 of 2,427); with them in the level, its seconds looked
  // bursty and every later second's bound widened.
  Seconds s;
  for (int i = 0; i < 9; ++i) s.push_back({2400, 2400});
  s.push_back({2370, 2400});  // 9..10 s: caught by the fault
  s.push_back({2100, 2400});  // the fault
  for (int i = 0; i < 10; ++i) s.push_back({2400, 2400});
  run::RecoveryInput in;
  in.by_second = &s;
  in.first_fault = sim::Time{0} + sim::seconds(10);
  in.last_end = sim::Time{0} + sim::milliseconds(10300);
  in.within = sim::seconds(5);
  in.run_end = sim::Time{0} + sim::seconds(21);
  in.settle = sim::seconds(1);
  const run::RecoveryReport r = run::judge_recovery(in);
  INFO(r.detail);
  CHECK(r.ok);
  CHECK(r.level_ppm == 1000000);
  CHECK(r.baseline_ns == sim::seconds(9).ns);
  CHECK(r.detail.find("level 100.00% over the 9s before 9s (the first fault at 10s less the clients' timeout)") !=
        std::string::npos);
  // A timeout as long as the time before the fault: the 10 s before it, as without one.
  in.settle = sim::seconds(10);
  CHECK(run::judge_recovery(in).baseline_ns == sim::seconds(10).ns);
}

TEST_CASE("recovery: each workload is judged apart, so one stopping early does not change the others' mix",
          "[recovery]") {
  // A: 1000 a second served at 80 % all run long (its path is poor); B: 1000
  // a second served in full, stopping at 30 s. A fault from 10 to 12 s.
  Seconds a;
  Seconds b;
  for (int k = 0; k < 60; ++k) {
    const bool fault = k >= 10 && k < 12;
    a.push_back({fault ? 100u : 800u, 1000});
    if (k < 30) b.push_back({fault ? 100u : 1000u, 1000});
  }
  run::RecoveryInput in;
  in.first_fault = sim::Time{0} + sim::seconds(10);
  in.last_end = sim::Time{0} + sim::seconds(12);
  in.within = sim::seconds(5);
  in.run_end = sim::Time{0} + sim::seconds(60);
  // Pooled, the seconds after B stopped hold 80 % against a level of 90 %:
  // a false alarm.
  Seconds pooled = a;
  for (size_t k = 0; k < b.size(); ++k) pooled[k] = {a[k][0] + b[k][0], a[k][1] + b[k][1]};
  in.by_second = &pooled;
  in.settle = sim::seconds(1);
  CHECK_FALSE(run::judge_recovery(in).ok);
  std::vector<run::RecoveryWorkload> ws(2);
  ws[0].label = "requests workload 1 (at edge-1)";
  ws[0].by_second = &a;
  ws[0].settle = sim::seconds(1);
  ws[1].label = "requests workload 2 (at edge-2)";
  ws[1].by_second = &b;
  ws[1].settle = sim::seconds(1);
  ws[1].sending_until = sim::Time{0} + sim::seconds(30);
  run::RecoveryReport r = run::judge_recovery_by_workload(in, ws);
  CHECK(r.ok);
  CHECK_FALSE(r.vacuous);
  CHECK(r.level_ppm == 800000);  // the lowest level of those judged
  CHECK(r.detail.starts_with("requests workload 1 (at edge-1): served ratio back from 12s"));
  CHECK(r.detail.find("; requests workload 2 (at edge-2): served ratio back from 12s") != std::string::npos);

  // B never back after the fault: the verdict fails, and names B first.
  for (size_t k = 12; k < b.size(); ++k) b[k] = {700, 1000};
  r = run::judge_recovery_by_workload(in, ws);
  CHECK_FALSE(r.ok);
  CHECK(r.recovered_ns == -1);
  CHECK(r.detail.starts_with("requests workload 2 (at edge-2): served ratio not back"));

  // B too small to measure a level: not judged, A alone decides.
  Seconds few(30, {1, 1});
  ws[1].by_second = &few;
  r = run::judge_recovery_by_workload(in, ws);
  CHECK(r.ok);
  CHECK(r.detail.find("; not judged: requests workload 2 (at edge-2): nothing to judge: 9 requests settled") !=
        std::string::npos);

  // Neither judged: nothing to judge, each one's reason given.
  ws[0].by_second = &few;
  r = run::judge_recovery_by_workload(in, ws);
  CHECK_FALSE(r.ok);
  CHECK(r.vacuous);
  CHECK(r.detail.starts_with("nothing to judge: requests workload 1 (at edge-1): 9 requests settled"));
  CHECK(r.detail.find("; requests workload 2 (at edge-2): 9 requests settled") != std::string::npos);
}

TEST_CASE("recovery: the judged seconds of a workload end at its until", "[recovery]") {
  // Served in full until the clients stop at 20 s; nothing after. Judged to
  // the end of the run, the empty seconds say nothing, but the level's
  // Bonferroni share is what changes: here only the end matters.
  Seconds s;
  add(s, 10, 100);
  add(s, 2, 10);
  add(s, 8, 100);
  run::RecoveryInput in;
  in.by_second = &s;
  in.first_fault = sim::Time{0} + sim::seconds(10);
  in.last_end = sim::Time{0} + sim::seconds(12);
  in.within = sim::seconds(5);
  in.run_end = sim::Time{0} + sim::seconds(60);
  in.sending_until = sim::Time{0} + sim::seconds(12);
  const run::RecoveryReport stopped = run::judge_recovery(in);
  CHECK(stopped.vacuous);
  CHECK(stopped.detail.find("the clients' stop at 12s") != std::string::npos);
  in.sending_until = sim::Time{0} + sim::seconds(20);
  CHECK(run::judge_recovery(in).ok);
}

TEST_CASE("recovery: the judged seconds end at the first one with a request still waiting at the end",
          "[recovery]") {
  // Not back after the fault: 10 % served to the end of a 30 s run.
  Seconds s;
  add(s, 10, 100);
  add(s, 20, 10);
  run::RecoveryInput in;
  in.by_second = &s;
  in.first_fault = sim::Time{0} + sim::seconds(10);
  in.last_end = sim::Time{0} + sim::seconds(12);
  in.within = sim::seconds(5);
  in.run_end = sim::Time{0} + sim::seconds(30);
  in.settle = sim::seconds(20);  // a long timeout: it sets only the level's end
  run::RecoveryReport r = run::judge_recovery(in);
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.vacuous);
  CHECK(r.detail.find("the seconds from 17s to the end served 10.00% together (130 of 1300)") != std::string::npos);
  // A request begun at 25.5 s still waiting: the seconds from 25 s on are left out.
  in.incomplete_from = sim::Time{0} + sim::milliseconds(25500);
  r = run::judge_recovery(in);
  CHECK_FALSE(r.ok);
  CHECK(r.detail.find("the seconds from 17s to the end served 10.00% together (80 of 800)") != std::string::npos);
  // One begun at 13.2 s: every judged second lies before the deadline at
  // 17 s, and the run, not the clients, ended them: undecided.
  in.incomplete_from = sim::Time{0} + sim::milliseconds(13200);
  r = run::judge_recovery(in);
  CHECK(r.vacuous);
  CHECK(r.undecided);
  CHECK(r.detail.find("(a request begun at 13.2s still waiting at the end of the run at 30s), and none begins at or "
                      "after the deadline at 17s") != std::string::npos);
  // Undecided beside a workload that holds: the verdict has nothing to
  // judge; a workload that stopped sending there is only not judged.
  Seconds good;
  add(good, 30, 100);
  std::vector<run::RecoveryWorkload> ws(2);
  ws[0].label = "requests workload 1 (at edge)";
  ws[0].by_second = &good;
  ws[0].settle = sim::seconds(1);
  ws[1].label = "requests workload 2 (at edge-2)";
  ws[1].by_second = &s;
  ws[1].settle = sim::seconds(1);
  ws[1].incomplete_from = in.incomplete_from;
  in.incomplete_from = sim::Time::max();
  r = run::judge_recovery_by_workload(in, ws);
  CHECK_FALSE(r.ok);
  CHECK(r.vacuous);
  CHECK(r.detail.starts_with("nothing to judge: requests workload 2 (at edge-2): the judged seconds end at 13s"));
  ws[1].incomplete_from = sim::Time::max();
  ws[1].sending_until = sim::Time{0} + sim::milliseconds(13200);
  r = run::judge_recovery_by_workload(in, ws);
  CHECK(r.ok);
  CHECK(r.detail.find("; not judged: requests workload 2 (at edge-2): nothing to judge: the judged seconds end at "
                      "14s (the clients' stop at 13.2s)") != std::string::npos);
}

}  // namespace test_recovery
