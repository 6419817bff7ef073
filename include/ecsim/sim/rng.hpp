// Deterministic random numbers. xoshiro256** seeded through splitmix64; every
// component draws from its own stream, derived from (master seed, stable
// stream name) so adding a node or a stream never changes another stream's
// draws (DESIGN rules 3 and 7). All samplers are written here: the standard
// library's distributions differ between implementations.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace ecsim::sim {

class Rng {
 public:
  // A stream from a raw 64-bit seed (expanded with splitmix64).
  explicit Rng(uint64_t seed = 0);
  // The stream named `name` under master seed `seed`.
  static Rng stream(uint64_t seed, std::string_view name);

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), unbiased (Lemire's multiply-shift with rejection).
  // REQUIRES: n > 0.
  uint64_t below(uint64_t n);
  // Uniform in [lo, hi]. REQUIRES: lo <= hi.
  int64_t uniform_int(int64_t lo, int64_t hi);
  // Uniform in [0, 1) with 53 bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // True with probability ppm / 1e6.
  bool chance_ppm(uint32_t ppm) { return ppm != 0 && below(1000000) < ppm; }

  double exponential(double mean);
  double normal(double mean, double stddev);  // Box-Muller
  double lognormal(double mu, double sigma);  // exp(normal(mu, sigma))
  double pareto(double scale, double alpha);  // scale / U^(1/alpha)

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Zipf over ranks 1..n with exponent s > 0: P(k) ~ k^-s. Rejection-inversion
// (Hörmann and Derflinger, 1996): O(1) per draw, no table.
class Zipf {
 public:
  Zipf(uint64_t n, double s);
  uint64_t sample(Rng& rng) const;  // in [1, n]
  uint64_t n() const { return n_; }

 private:
  double h(double x) const;
  double h_inv(double x) const;
  uint64_t n_;
  double s_;
  double h_x1_, h_n_, threshold_;
};

uint64_t splitmix64(uint64_t& state);

}  // namespace ecsim::sim
