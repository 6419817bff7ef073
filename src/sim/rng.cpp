#include "ecsim/sim/rng.hpp"

#include <cmath>

#include <xxhash.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Rng::Rng(uint64_t seed) {
  uint64_t st = seed;
  for (uint64_t& w : s_) w = splitmix64(st);
  // All-zero state is the one fixed point of xoshiro; splitmix64 cannot
  // produce four zero words in a row, but the invariant is cheap to keep.
  ECSIM_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

Rng Rng::stream(uint64_t seed, std::string_view name) {
  // XXH3 is specified byte for byte, so the derived seed is the same on every
  // platform and compiler.
  return Rng(XXH3_64bits_withSeed(name.data(), name.size(), seed));
}

uint64_t Rng::below(uint64_t n) {
  ECSIM_ASSERT(n > 0);
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  ECSIM_ASSERT(lo <= hi);
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span == UINT64_MAX) return static_cast<int64_t>(next_u64());
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + below(span + 1));
}

double Rng::exponential(double mean) {
  ECSIM_ASSERT(mean >= 0);
  // 1 - U lies in (0, 1], so the log is finite.
  return -mean * std::log(1.0 - uniform01());
}

double Rng::normal(double mean, double stddev) {
  const double u1 = 1.0 - uniform01();  // (0, 1]
  const double u2 = uniform01();
  const double r = std::sqrt(-2.0 * std::log(u1));
  return mean + stddev * (r * std::cos(6.283185307179586 * u2));
}

double Rng::lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

double Rng::pareto(double scale, double alpha) {
  ECSIM_ASSERT(scale > 0 && alpha > 0);
  return scale / std::pow(1.0 - uniform01(), 1.0 / alpha);
}

// Rejection-inversion for Zipf: H is an antiderivative of the hat function
// x^-s; a uniform draw between H(1.5) - 1 and H(n + 0.5) is inverted and
// accepted when it falls under the true mass.
Zipf::Zipf(uint64_t n, double s) : n_(n), s_(s) {
  ECSIM_ASSERT(n >= 1);
  ECSIM_ASSERT(s > 0);
  h_x1_ = h(1.5) - 1.0;
  h_n_ = h(static_cast<double>(n) + 0.5);
  threshold_ = 2.0 - h_inv(h(2.5) - std::exp(-s * std::log(2.0)));
}

double Zipf::h(double x) const {
  const double log_x = std::log(x);
  const double e = (1.0 - s_) * log_x;
  // (x^(1-s) - 1) / (1 - s), continuous at s = 1 where it is log x.
  return std::fabs(e) > 1e-8 ? std::expm1(e) / (1.0 - s_) : log_x * (1.0 + e / 2.0);
}

double Zipf::h_inv(double x) const {
  double t = x * (1.0 - s_);
  if (t < -1.0) t = -1.0;  // guards rounding at the domain edge
  return std::fabs(t) > 1e-8 ? std::exp(std::log1p(t) / (1.0 - s_)) : std::exp(x * (1.0 - t / 2.0));
}

uint64_t Zipf::sample(Rng& rng) const {
  for (;;) {
    const double u = h_n_ + rng.uniform01() * (h_x1_ - h_n_);
    const double x = h_inv(u);
    double k = std::floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > static_cast<double>(n_)) k = static_cast<double>(n_);
    if (k - x <= threshold_ || u >= h(k + 0.5) - std::exp(-s_ * std::log(k))) {
      return static_cast<uint64_t>(k);
    }
  }
}

}  // namespace ecsim::sim
