#include "ecsim/net/latency.hpp"

#include <cmath>

#include <fmt/format.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::net {

namespace {
// z such that P(Z < z) = 0.99 for a standard normal.
constexpr double kZ99 = 2.3263478740408408;
constexpr double kNsMax = 3.6e15;  // 1,000 hours (3.6e6 s): a sample beyond is clamped

int64_t to_ns(double v) {
  if (!(v >= 1.0)) return 1;  // also catches NaN
  if (v > kNsMax) return static_cast<int64_t>(kNsMax);
  return static_cast<int64_t>(std::llround(v));
}
}  // namespace

LatencyModel::Prepared LatencyModel::prepare() const {
  if (kind != Kind::kLognormal) return {};
  return {std::log(static_cast<double>(a.ns)),
          std::log(static_cast<double>(b.ns) / static_cast<double>(a.ns)) / kZ99};
}

sim::Duration LatencyModel::sample(sim::Rng& rng, const Prepared& prepared) const {
  switch (kind) {
    case Kind::kConstant:
      return {a.ns < 1 ? 1 : a.ns};
    case Kind::kUniform:
      if (b.ns <= a.ns) return {a.ns < 1 ? 1 : a.ns};
      return {std::max<int64_t>(1, rng.uniform_int(a.ns, b.ns - 1))};
    case Kind::kNormal:
      return {to_ns(rng.normal(static_cast<double>(a.ns), static_cast<double>(b.ns)))};
    case Kind::kLognormal:
      return {to_ns(rng.lognormal(prepared.mu, prepared.sigma))};
    case Kind::kPareto: {
      const int64_t v = to_ns(rng.pareto(static_cast<double>(a.ns), alpha));
      return {b.ns > 0 && v > b.ns ? b.ns : v};
    }
  }
  ECSIM_ASSERT(false);
}

std::string LatencyModel::validate() const {
  switch (kind) {
    case Kind::kConstant:
      return a.ns >= 1 ? "" : "constant latency must be at least 1ns";
    case Kind::kUniform:
      if (a.ns < 0) return "uniform bounds cannot be negative";
      return b.ns > a.ns ? "" : "uniform upper bound must exceed the lower bound";
    case Kind::kNormal:
      if (a.ns < 1) return "normal mean must be at least 1ns";
      return b.ns >= 0 ? "" : "normal stddev cannot be negative";
    case Kind::kLognormal:
      if (a.ns < 1) return "lognormal median must be at least 1ns";
      return b.ns > a.ns ? "" : "lognormal p99 must exceed the median";
    case Kind::kPareto:
      if (a.ns < 1) return "pareto scale must be at least 1ns";
      if (!(alpha > 0.0) || alpha > 100.0) return "pareto alpha must be in (0, 100]";
      return b.ns == 0 || b.ns >= a.ns ? "" : "pareto cap must be at least the scale";
  }
  return "unknown latency model";
}

std::string LatencyModel::describe() const {
  using sim::format_duration;
  switch (kind) {
    case Kind::kConstant: return fmt::format("constant {}", format_duration(a));
    case Kind::kUniform: return fmt::format("uniform [{}, {})", format_duration(a), format_duration(b));
    case Kind::kNormal: return fmt::format("normal mean {} sd {}", format_duration(a), format_duration(b));
    case Kind::kLognormal:
      return fmt::format("lognormal median {} p99 {}", format_duration(a), format_duration(b));
    case Kind::kPareto:
      return fmt::format("pareto scale {} alpha {}{}", format_duration(a), alpha,
                         b.ns > 0 ? " cap " + format_duration(b) : std::string());
  }
  return "?";
}

}  // namespace ecsim::net
