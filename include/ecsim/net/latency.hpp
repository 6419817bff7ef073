// A latency model for one directed link: how long a message takes from send
// to delivery. Sampling is in-house (no std::*_distribution) and the result is
// rounded to whole nanoseconds at once, never below 1 ns, so no delivery can
// happen at the instant it was sent (no zero-delay message loops).
#pragma once
#include <cstdint>
#include <string>

#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::net {

struct LatencyModel {
  enum class Kind : uint8_t { kConstant, kUniform, kNormal, kLognormal, kPareto };
  Kind kind = Kind::kConstant;
  // kConstant: a = value.           kUniform: [a, b).
  // kNormal: a = mean, b = stddev.  kLognormal: a = median, b = p99.
  // kPareto: a = scale (minimum), b = cap (0 = none), alpha = tail index.
  sim::Duration a{1000000};
  sim::Duration b{0};
  double alpha = 0.0;

  static LatencyModel constant(sim::Duration v) { return {Kind::kConstant, v, {0}, 0.0}; }
  static LatencyModel uniform(sim::Duration lo, sim::Duration hi) { return {Kind::kUniform, lo, hi, 0.0}; }
  static LatencyModel normal(sim::Duration mean, sim::Duration sd) { return {Kind::kNormal, mean, sd, 0.0}; }
  static LatencyModel lognormal(sim::Duration median, sim::Duration p99) {
    return {Kind::kLognormal, median, p99, 0.0};
  }
  static LatencyModel pareto(sim::Duration scale, double alpha, sim::Duration cap = {0}) {
    return {Kind::kPareto, scale, cap, alpha};
  }

  // What a sample needs beyond the model's figures, computed once: the
  // lognormal's mu and sigma (two logarithms), so that a link configured
  // once does not take them per message.
  struct Prepared {
    double mu = 0.0;
    double sigma = 0.0;
  };
  Prepared prepare() const;
  // REQUIRES: the model is valid (see valid()). Returns >= 1 ns.
  sim::Duration sample(sim::Rng& rng) const { return sample(rng, prepare()); }
  // The same draw, with `prepared` = prepare() of this model.
  sim::Duration sample(sim::Rng& rng, const Prepared& prepared) const;
  // Empty string when valid, otherwise what is wrong ("p99 must exceed median").
  std::string validate() const;
  std::string describe() const;
  bool operator==(const LatencyModel&) const = default;
};

}  // namespace ecsim::net
