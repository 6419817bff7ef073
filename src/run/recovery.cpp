// The `recovers_within` verdict from the per-second served counts.
#include "ecsim/run/recovery.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::run {

namespace {
constexpr int64_t kSecondNs = 1000000000;
constexpr int64_t kBaselineNs = 10 * kSecondNs;  // the level is measured over the 10 s before the first fault
constexpr uint64_t kAllowancePpm = 10000;         // 1 percentage point
constexpr uint64_t kLevelSettledMin = 50;         // the fewest settled in the level's seconds
// The chance a healthy run may fail the verdict by sampling noise alone,
// shared out over the seconds judged (Bonferroni): a second is short of the
// level only when fewer of its requests were served than its count
// explains at that level with probability kFalseAlarm / seconds judged.
constexpr double kFalseAlarm = 1e-3;

double percent(uint64_t served, uint64_t settled) {
  return settled == 0 ? 100.0 : 100.0 * static_cast<double>(served) / static_cast<double>(settled);
}

double log_beta(double x, double y) { return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y); }

// P(F >= f) for F beta-binomial over n trials with parameters a (failure)
// and b (served): a second's failures when the level itself is known only
// from a sample. Real n and f are allowed (counts scaled down by the
// dispersion). At or below the mean it is at least about one half: 1.
double upper_tail(double n, double f, double a, double b) {
  if (f <= n * a / (a + b)) return 1;
  double term = std::exp(std::lgamma(n + 1) - std::lgamma(f + 1) - std::lgamma(n - f + 1) +
                         log_beta(f + a, n - f + b) - log_beta(a, b));
  double sum = 0;
  for (double k = f; term > 0 && term >= sum * 1e-17; k += 1) {
    sum += term;
    if (k + 1 > n) break;
    term *= (n - k) / (k + 1) * (k + a) / (n - k - 1 + b);
  }
  return std::min(1.0, sum);
}
}  // namespace

RecoveryReport judge_recovery(const RecoveryInput& in) {
  ECSIM_ASSERT(in.by_second != nullptr);
  ECSIM_ASSERT(in.first_fault <= in.last_end && in.within.ns > 0);
  ECSIM_ASSERT(in.alarm_share > 0 && in.alarm_share <= 1);
  const double false_alarm = kFalseAlarm * in.alarm_share;
  const auto& secs = *in.by_second;
  auto at = [&secs](int64_t k) { return k < static_cast<int64_t>(secs.size()) ? secs[static_cast<size_t>(k)]
                                                                              : std::array<uint64_t, 2>{0, 0}; };
  RecoveryReport r;
  // The level: the whole seconds inside the 10 s before the first fault
  // less the clients' timeout, so that no request of the level was still
  // waiting when the fault began (one begun 300 ms before a blip failed by
  // it); with no whole second that early, the 10 s before the fault.
  const int64_t settled_by = in.first_fault.ns - in.settle.ns >= kSecondNs ? in.first_fault.ns - in.settle.ns
                                                                            : in.first_fault.ns;
  const int64_t base_from = (std::max<int64_t>(0, settled_by - kBaselineNs) + kSecondNs - 1) / kSecondNs;
  const int64_t base_to = settled_by / kSecondNs;  // exclusive
  uint64_t base_served = 0;
  uint64_t base_settled = 0;
  for (int64_t k = base_from; k < base_to; ++k) {
    base_served += at(k)[0];
    base_settled += at(k)[1];
  }
  r.baseline_ns = std::max<int64_t>(0, base_to - base_from) * kSecondNs;
  if (base_settled < kLevelSettledMin) {
    // Fewer cannot tell a lasting drop from chance: 9 operations all served
    // leave a failure ratio of a third about as likely as none.
    r.vacuous = true;
    r.detail = fmt::format("nothing to judge: {} {}s settled in the whole seconds from {} to {} that measure the level "
                           "to recover to (up to 10 s before the first fault at {} less the clients' timeout), fewer "
                           "than {}: too few to tell a lasting drop from chance",
                           base_settled, in.what, sim::format_time(sim::Time{base_from * kSecondNs}),
                           sim::format_time(sim::Time{std::max(base_from, base_to) * kSecondNs}),
                           sim::format_time(in.first_fault), kLevelSettledMin);
    return r;
  }
  r.level_ppm = base_served * 1000000 / base_settled;
  const uint64_t need_ppm = r.level_ppm > kAllowancePpm ? r.level_ppm - kAllowancePpm : 0;
  // A second's ratio is a sample of `settled` requests. A cluster holding
  // its level under overload (well below 100 %) jitters by more than a point
  // in seconds of thousands of requests, and one serving 15 requests a second
  // over lossy links by several points, so a second is back when it is
  // within 1 point of the level or when its failures are not improbably many
  // for its count at the level (kFalseAlarm). The model of a healthy second:
  // its failures are binomial at a failure ratio known only from the seconds
  // before the fault (beta-binomial: a level of 100 % from a few dozen
  // requests is not taken as exact), both counts scaled down by the spread
  // beyond binomial those seconds showed (their chi-square over its degrees
  // of freedom, at least 1: failures come in bursts).
  const double pv = static_cast<double>(base_served + 1) / static_cast<double>(base_settled + 2);
  double dispersion = 1;
  {
    double chi2 = 0;
    int64_t seconds = 0;
    for (int64_t k = base_from; k < base_to; ++k) {
      const auto s = at(k);
      if (s[1] == 0) continue;
      const double expect = pv * static_cast<double>(s[1]);
      const double d = static_cast<double>(s[0]) - expect;
      chi2 += d * d / (expect * (1 - pv));
      ++seconds;
    }
    if (seconds > 1) dispersion = std::max(1.0, chi2 / static_cast<double>(seconds - 1));
  }
  const double fail_a = static_cast<double>(base_settled - base_served) / dispersion + 1;
  const double served_b = static_cast<double>(base_served) / dispersion + 1;
  // The whole seconds after the last window, up to the end of the run.
  const int64_t first = (in.last_end.ns + kSecondNs - 1) / kSecondNs;
  // Up to the end of the run less the timeout: in the last timeout's worth
  // the fast failures have settled and the slow answers not (under
  // overload the run's last second served 55 % against a level of 74 %).
  // And at the second the clients stop in (which may hold a few).
  const int64_t stop = in.sending_until == sim::Time::max()
                           ? INT64_MAX
                           : (std::max<int64_t>(0, in.sending_until.ns) + kSecondNs - 1) / kSecondNs;
  const int64_t complete_to = std::min(in.run_end.ns, in.incomplete_from.ns) / kSecondNs;
  const int64_t last = std::min(stop, complete_to);  // exclusive
  const bool stopped = stop <= complete_to;  // the clients' stop ends the judged seconds
  const std::string judged_end =
      stopped ? fmt::format("the clients' stop at {}", sim::format_time(in.sending_until))
      : in.incomplete_from.ns / kSecondNs < in.run_end.ns / kSecondNs
          ? fmt::format("a {} begun at {} still waiting at the end of the run at {}", in.what,
                        sim::format_time(in.incomplete_from), sim::format_time(in.run_end))
          : fmt::format("the end of the run at {}", sim::format_time(in.run_end));
  int64_t judged = 0;
  for (int64_t k = first; k < last; ++k) judged += at(k)[1] > 0 ? 1 : 0;
  const double alpha = false_alarm / static_cast<double>(std::max<int64_t>(1, judged));
  // The most failures a second of `settled` requests may have and be back
  // by the noise rule (-1: none allowed beyond the 1-point rule).
  // Whether `failed` of `settled` is within the noise rule.
  auto noise_ok = [&](uint64_t settled, uint64_t failed, double p) {
    return upper_tail(static_cast<double>(settled) / dispersion,
                                          static_cast<double>(failed) / dispersion, fail_a, served_b) >= p;
  };
  auto noise_max = [&](uint64_t settled, double p) -> int64_t {
    auto ok = [&](uint64_t f) { return noise_ok(settled, f, p); };
    if (ok(settled)) return static_cast<int64_t>(settled);
    uint64_t lo = 0;  // ok(lo)
    uint64_t hi = settled;  // !ok(hi)
    while (hi - lo > 1) {
      const uint64_t mid = lo + (hi - lo) / 2;
      (ok(mid) ? lo : hi) = mid;
    }
    return static_cast<int64_t>(lo);
  };
  int64_t noisy = 0;  // judged seconds whose bound was wider than 1 point
  // The served ratio a second of `settled` requests needs, in ppm (for the text).
  auto need_of = [&](uint64_t settled, double p) {
    const int64_t most = noise_max(settled, p);
    if (most < 0) return need_ppm;
    return std::min(need_ppm, (settled - static_cast<uint64_t>(most)) * 1000000 / settled);
  };
  // The most failures the 1-point rule allows a second of `settled`.
  auto point_max = [&](uint64_t settled) { return settled - (need_ppm * settled + 999999) / 1000000; };
  auto back = [&](const std::array<uint64_t, 2>& s, double p) {
    return s[1] - s[0] <= point_max(s[1]) || noise_ok(s[1], s[1] - s[0], p);
  };
  // The recovery is the first of the judged seconds from which every later
  // one is back (seconds in which no request settled say nothing).
  int64_t failable = 0;  // judged seconds that could have fallen short (need above 0)
  int64_t since = -1;  // the first second of the current run of good seconds
  int64_t worst = -1;
  for (int64_t k = first; k < last; ++k) {
    const auto s = at(k);
    if (s[1] == 0) continue;
    if (point_max(s[1]) < s[1] && noise_ok(s[1], point_max(s[1]) + 1, alpha)) ++noisy;
    if (point_max(s[1]) < s[1] && !noise_ok(s[1], s[1], alpha)) ++failable;
    if (back(s, alpha)) {
      if (since < 0) since = k;
    } else {
      since = -1;
      if (worst < 0 || s[0] * at(worst)[1] < at(worst)[0] * s[1]) worst = k;
    }
  }
  // Seconds each back by itself may be short together: at 15 requests a
  // second one must lose about 5 of 14 to be short, while 40 seconds at
  // 90 % are far below a level of 99 %. So the seconds from the deadline
  // (the last window's end plus `within`) to the end, as one sample, must be
  // back by the same rule too (one test: p >= kFalseAlarm).
  const int64_t deadline = std::max(first, (in.last_end.ns + in.within.ns + kSecondNs - 1) / kSecondNs);
  std::array<uint64_t, 2> stretch{0, 0};
  for (int64_t k = deadline; k < last; ++k) stretch = {stretch[0] + at(k)[0], stretch[1] + at(k)[1]};
  const bool stretch_back = stretch[1] == 0 || back(stretch, false_alarm);
  if (point_max(stretch[1]) < stretch[1] && !noise_ok(stretch[1], stretch[1], false_alarm)) ++failable;
  const std::string level = fmt::format(
      "{:.2f}% over the {}s before {}", static_cast<double>(r.level_ppm) / 1e4, r.baseline_ns / kSecondNs,
      settled_by == in.first_fault.ns
          ? fmt::format("the first fault at {}", sim::format_time(in.first_fault))
          : fmt::format("{} (the first fault at {} less the clients' timeout)", sim::format_time(sim::Time{settled_by}),
                        sim::format_time(in.first_fault)));
  // Where the sampling band was the wider one, say so (and how many seconds).
  const std::string band =
      noisy == 0 ? ""
                 : fmt::format(" (or a count of failed {}s that chance explains at the level, p >= {:g} over "
                               "the {} seconds judged: a wider bound in {} of them)",
                               in.what, false_alarm, judged, noisy);
  const std::string need = fmt::format("need >= {:.2f}%{} per second within {} after the last fault window "
                                       "ended at {}",
                                       static_cast<double>(need_ppm) / 1e4, band, sim::format_duration(in.within),
                                       sim::format_time(in.last_end));
  if (judged == 0) {
    r.vacuous = true;
    r.detail = fmt::format("nothing to judge: no {} settled in a whole second between the last fault window's "
                           "end at {} and {}",
                           in.what, sim::format_time(in.last_end), judged_end);
    return r;
  }
  if (failable == 0) {
    // At a level of 1 % or less (or within a second's sampling noise of 0)
    // no second can fall below what it needs: the verdict could not fail,
    // whatever came after the faults.
    r.vacuous = true;
    r.detail = need_ppm == 0
                   ? fmt::format("nothing to judge: the cluster served {} of {} {}s before any fault (level "
                                 "{}): no second can fall more than 1 point below that, so recovering to it means "
                                 "nothing",
                                 base_served, base_settled, in.what, level)
                   : fmt::format("nothing to judge: each of the {} seconds judged settled too few {}s for "
                                 "even none served to be improbable at the level {}",
                                 judged, in.what, level);
    return r;
  }
  if (since < 0 && last <= deadline) {
    // Not back by the last second judged, and no second judged begins at or
    // after the deadline: whether it was back in time is not known.
    r.vacuous = true;
    r.undecided = !stopped;
    r.detail = fmt::format("nothing to judge: the judged seconds end at {} ({}), and none begins at or after the "
                           "deadline at {} (the last fault window's end at {} plus {}); the served ratio was not back "
                           "by then, and whether it was back in time is not known; level {}",
                           sim::format_time(sim::Time{last * kSecondNs}), judged_end,
                           sim::format_time(sim::Time{deadline * kSecondNs}), sim::format_time(in.last_end),
                           sim::format_duration(in.within), level);
    return r;
  }
  if (since >= 0) r.recovered_ns = std::max<int64_t>(0, since * kSecondNs - in.last_end.ns);
  // The lowest second that fell short, with the bound its own count set.
  const std::string short_second =
      worst < 0 ? ""
                : fmt::format("the second from {} served {:.2f}% ({} of {}), below the {:.2f}% its count needed",
                              sim::format_time(sim::Time{worst * kSecondNs}), percent(at(worst)[0], at(worst)[1]),
                              at(worst)[0], at(worst)[1], static_cast<double>(need_of(at(worst)[1], alpha)) / 1e4);
  const std::string short_stretch =
      stretch_back ? ""
                   : fmt::format("the seconds from {} to the end served {:.2f}% together ({} of {}), below the "
                                 "{:.2f}% their count needed",
                                 sim::format_time(sim::Time{deadline * kSecondNs}), percent(stretch[0], stretch[1]),
                                 stretch[0], stretch[1], static_cast<double>(need_of(stretch[1], false_alarm)) / 1e4);
  const std::string short_of = short_second + (short_second.empty() || short_stretch.empty() ? "" : "; ") + short_stretch;
  const bool in_time = since >= 0 && r.recovered_ns <= in.within.ns;
  r.ok = in_time && stretch_back;
  if (r.ok) {
    r.detail = fmt::format("served ratio back from {} ({} after the last fault window ended), every second "
                           "since >= {:.2f}%{}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}), sim::format_duration(sim::Duration{r.recovered_ns}),
                           static_cast<double>(need_ppm) / 1e4, band, level);
  } else if (in_time) {
    r.detail = fmt::format("served ratio back from {} ({} after the last fault window ended) in each second, but "
                           "{}; {}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}), sim::format_duration(sim::Duration{r.recovered_ns}),
                           short_stretch, need, level);
  } else if (since >= 0 && short_of.empty()) {
    r.detail = fmt::format("served ratio back from {} ({} after the last fault window ended, no {} settled "
                           "before), later than {}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}),
                           sim::format_duration(sim::Duration{r.recovered_ns}), in.what, sim::format_duration(in.within),
                           level);
  } else if (since >= 0) {
    r.detail = fmt::format("served ratio back only from {} ({} after the last fault window ended); {}; {}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}), sim::format_duration(sim::Duration{r.recovered_ns}),
                           short_of, need, level);
  } else {
    r.detail = fmt::format("served ratio not back by the end of the run at {}: {}; {}; level {}",
                           sim::format_time(in.run_end), short_of, need, level);
  }
  return r;
}

RecoveryReport judge_recovery_by_workload(RecoveryInput in, const std::vector<RecoveryWorkload>& ws) {
  ECSIM_ASSERT(!ws.empty());
  // The false-alarm chance is shared out over the workloads judged: those
  // not judged at an equal share of all (a wider share only makes more
  // seconds able to fall short) are left out of the second round.
  std::vector<RecoveryReport> reps;
  auto judge_all = [&](double share) {
    for (size_t i = 0; i < ws.size(); ++i) {
      if (i < reps.size() && reps[i].vacuous) continue;
      in.by_second = ws[i].by_second;
      in.settle = ws[i].settle;
      in.incomplete_from = ws[i].incomplete_from;
      in.sending_until = ws[i].sending_until;
      in.alarm_share = share;
      if (i < reps.size()) {
        reps[i] = judge_recovery(in);
      } else {
        reps.push_back(judge_recovery(in));
      }
    }
  };
  judge_all(1.0 / static_cast<double>(ws.size()));
  const auto judged = std::count_if(reps.begin(), reps.end(), [](const RecoveryReport& r) { return !r.vacuous; });
  if (judged > 0 && static_cast<size_t>(judged) < ws.size()) judge_all(1.0 / static_cast<double>(judged));
  if (reps.size() == 1) return reps[0];
  RecoveryReport out;
  constexpr std::string_view kNothing = "nothing to judge: ";
  // Workload i's reason for having nothing to judge, named.
  const auto reason = [&](size_t i) {
    const std::string& d = reps[i].detail;
    return fmt::format("{}: {}", ws[i].label, d.starts_with(kNothing) ? d.substr(kNothing.size()) : d);
  };
  // A workload not known to be back in time decides: nothing to judge.
  for (size_t i = 0; i < reps.size(); ++i) {
    if (!reps[i].undecided) continue;
    out.vacuous = true;
    out.undecided = true;
    out.detail = std::string(kNothing) + reason(i);
    return out;
  }
  const bool none_judged = std::all_of(reps.begin(), reps.end(), [](const RecoveryReport& r) { return r.vacuous; });
  if (none_judged) {
    out.vacuous = true;
    out.detail = std::string(kNothing);
    for (size_t i = 0; i < reps.size(); ++i) out.detail += (i == 0 ? "" : "; ") + reason(i);
    return out;
  }
  // The failing ones first, then those that held, then those not judged.
  out.ok = true;
  out.level_ppm = UINT64_MAX;
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < reps.size(); ++i) {
      const RecoveryReport& r = reps[i];
      const int kind = r.vacuous ? 2 : r.ok ? 1 : 0;
      if (kind != pass) continue;
      if (!r.vacuous) {
        out.ok = out.ok && r.ok;
        out.level_ppm = std::min(out.level_ppm, r.level_ppm);
        out.baseline_ns = std::max(out.baseline_ns, r.baseline_ns);
        // The latest recovery of them all; never, when one never did.
        if (out.recovered_ns != -2) out.recovered_ns = r.recovered_ns < 0 ? -2 : std::max(out.recovered_ns, r.recovered_ns);
      }
      out.detail += fmt::format("{}{}{}: {}", out.detail.empty() ? "" : "; ", kind == 2 ? "not judged: " : "",
                                ws[i].label, r.detail);
    }
  }
  if (out.recovered_ns == -2) out.recovered_ns = -1;
  return out;
}

}  // namespace ecsim::run
