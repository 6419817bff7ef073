// The `recovers_within` verdict from the per-second served counts.
#include "ecsim/run/recovery.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::run {

namespace {
constexpr int64_t kSecondNs = 1000000000;
constexpr int64_t kBaselineNs = 10 * kSecondNs;  // the level is measured over the 10 s before the first fault
constexpr uint64_t kAllowancePpm = 10000;         // 1 percentage point
constexpr double kNoiseSd = 3;                    // standard deviations of a second's sampling noise
// With noisy_level (billing): seconds of a few operations, tens of them
// judged, and aborts in bursts; at 3 sd a low-rate run under heavy lock
// contention failed 1 seed in 13 with no fault touching billing.
constexpr double kNoiseSdNoisy = 4;

double percent(uint64_t served, uint64_t settled) {
  return settled == 0 ? 100.0 : 100.0 * static_cast<double>(served) / static_cast<double>(settled);
}
}  // namespace

RecoveryReport judge_recovery(const RecoveryInput& in) {
  ECSIM_ASSERT(in.by_second != nullptr);
  ECSIM_ASSERT(in.first_fault <= in.last_end && in.within.ns > 0);
  const auto& secs = *in.by_second;
  auto at = [&secs](int64_t k) { return k < static_cast<int64_t>(secs.size()) ? secs[static_cast<size_t>(k)]
                                                                              : std::array<uint64_t, 2>{0, 0}; };
  RecoveryReport r;
  // The level: the whole seconds inside the 10 s before the first fault.
  const int64_t base_from = (std::max<int64_t>(0, in.first_fault.ns - kBaselineNs) + kSecondNs - 1) / kSecondNs;
  const int64_t base_to = in.first_fault.ns / kSecondNs;  // exclusive
  uint64_t base_served = 0;
  uint64_t base_settled = 0;
  for (int64_t k = base_from; k < base_to; ++k) {
    base_served += at(k)[0];
    base_settled += at(k)[1];
  }
  r.baseline_ns = std::max<int64_t>(0, base_to - base_from) * kSecondNs;
  if (base_settled == 0 && !in.full_level_by_default) {
    r.vacuous = true;
    r.detail = fmt::format("nothing to judge: no {} settled in a whole second before the first fault at {}, so there "
                           "is no level to recover to",
                           in.what, sim::format_time(in.first_fault));
    return r;
  }
  // With no request settled before the first fault there is no level to
  // measure: every request served (100 %) is the level then.
  r.level_ppm = base_settled == 0 ? 1000000 : base_served * 1000000 / base_settled;
  const uint64_t need_ppm = r.level_ppm > kAllowancePpm ? r.level_ppm - kAllowancePpm : 0;
  // A second's ratio is a sample of `settled` requests: at the level p it
  // spreads by sqrt(p(1 - p)/settled) (binomial). A cluster holding its
  // level under overload (p well below 1) jitters by more than a point in
  // seconds of thousands of requests, so a second is back when it is within
  // 1 point or within kNoiseSd of that spread of the level, whichever is wider.
  const double p = static_cast<double>(r.level_ppm) / 1e6;
  // With noisy_level: the variance of the level, smoothed so that a level of
  // 100 % from a few dozen operations is not taken as exact ((served + 1) /
  // (settled + 2)), counts once for the level's sample and once for the
  // second's, times the spread the seconds before the fault showed beyond
  // binomial (their chi-square over its degrees of freedom, at least 1).
  double pv = p;
  double dispersion = 1;
  if (in.noisy_level && base_settled > 0) {
    pv = static_cast<double>(base_served + 1) / static_cast<double>(base_settled + 2);
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
  int64_t noisy = 0;  // judged seconds whose band was wider than 1 point
  auto need_of = [&](uint64_t settled) {
    double variance = pv * (1 - pv) / static_cast<double>(settled);
    if (in.noisy_level && base_settled > 0) {
      variance = dispersion * pv * (1 - pv) * (1 / static_cast<double>(settled) + 1 / static_cast<double>(base_settled));
    }
    const double spread = (in.noisy_level ? kNoiseSdNoisy : kNoiseSd) * std::sqrt(variance) * 1e6;
    const uint64_t allowance = std::max<uint64_t>(kAllowancePpm, static_cast<uint64_t>(spread));
    return r.level_ppm > allowance ? r.level_ppm - allowance : 0;
  };
  auto back = [&](const std::array<uint64_t, 2>& s) { return s[0] * 1000000 >= need_of(s[1]) * s[1]; };
  // The whole seconds after the last window, up to the end of the run; the
  // recovery is the first of them from which every later one is back
  // (seconds in which no request settled say nothing and are skipped).
  const int64_t first = (in.last_end.ns + kSecondNs - 1) / kSecondNs;
  const int64_t last = in.run_end.ns / kSecondNs;  // exclusive
  int64_t judged = 0;
  int64_t failable = 0;  // judged seconds that could have fallen short (need above 0)
  int64_t since = -1;  // the first second of the current run of good seconds
  int64_t worst = -1;
  for (int64_t k = first; k < last; ++k) {
    const auto s = at(k);
    if (s[1] == 0) continue;
    ++judged;
    if (need_of(s[1]) < need_ppm) ++noisy;
    if (need_of(s[1]) > 0) ++failable;
    if (back(s)) {
      if (since < 0) since = k;
    } else {
      since = -1;
      if (worst < 0 || s[0] * at(worst)[1] < at(worst)[0] * s[1]) worst = k;
    }
  }
  const std::string level = fmt::format("{:.2f}% over the {}s before the first fault at {}{}",
                                        static_cast<double>(r.level_ppm) / 1e4, r.baseline_ns / kSecondNs,
                                        sim::format_time(in.first_fault),
                                        base_settled == 0 ? fmt::format(" (no {} settled: 100% assumed)", in.what) : "");
  // Where the sampling band was the wider one, say so (and how many seconds).
  const std::string band =
      noisy == 0 ? ""
                 : fmt::format(" (or within {:g} sd of the level for its count of {}s: wider in {} of "
                               "the {} seconds judged)",
                               in.noisy_level ? kNoiseSdNoisy : kNoiseSd, in.what, noisy, judged);
  const std::string need = fmt::format("need >= {:.2f}%{} per second within {} after the last fault window "
                                       "ended at {}",
                                       static_cast<double>(need_ppm) / 1e4, band, sim::format_duration(in.within),
                                       sim::format_time(in.last_end));
  if (judged == 0) {
    r.vacuous = true;
    r.detail = fmt::format("nothing to judge: no {} settled in a whole second between the last fault window's "
                           "end at {} and the end of the run at {}",
                           in.what, sim::format_time(in.last_end), sim::format_time(in.run_end));
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
                   : fmt::format("nothing to judge: each of the {} seconds judged settled too few {}s for its "
                                 "ratio to fall outside 3 sd of its sampling noise around the level {}",
                                 judged, in.what, level);
    return r;
  }
  if (since >= 0) r.recovered_ns = std::max<int64_t>(0, since * kSecondNs - in.last_end.ns);
  r.ok = since >= 0 && r.recovered_ns <= in.within.ns;
  if (r.ok) {
    r.detail = fmt::format("served ratio back from {} ({} after the last fault window ended), every second "
                           "since >= {:.2f}%{}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}), sim::format_duration(sim::Duration{r.recovered_ns}),
                           static_cast<double>(need_ppm) / 1e4, band, level);
  } else if (since >= 0 && worst < 0) {
    r.detail = fmt::format("served ratio back from {} ({} after the last fault window ended, no {} settled "
                           "before), later than {}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}),
                           sim::format_duration(sim::Duration{r.recovered_ns}), in.what, sim::format_duration(in.within),
                           level);
  } else if (since >= 0) {
    r.detail = fmt::format("served ratio back only from {} ({} after the last fault window ended); the second "
                           "from {} served {:.2f}%; {}; level {}",
                           sim::format_time(sim::Time{since * kSecondNs}), sim::format_duration(sim::Duration{r.recovered_ns}),
                           sim::format_time(sim::Time{worst * kSecondNs}), percent(at(worst)[0], at(worst)[1]), need,
                           level);
  } else {
    r.detail = fmt::format("served ratio not back by the end of the run at {}: the second from {} served "
                           "{:.2f}% ({} of {}); {}; level {}",
                           sim::format_time(in.run_end), sim::format_time(sim::Time{worst * kSecondNs}),
                           percent(at(worst)[0], at(worst)[1]), at(worst)[0], at(worst)[1], need, level);
  }
  return r;
}

}  // namespace ecsim::run
