#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "ecsim/sim/rng.hpp"

namespace test_rng {

using ecsim::sim::Rng;
using ecsim::sim::Zipf;

TEST_CASE("rng: golden sequence is pinned", "[rng]") {
  // A change here changes every run's behaviour: it must be deliberate.
  Rng r(42);
  const uint64_t got[4] = {r.next_u64(), r.next_u64(), r.next_u64(), r.next_u64()};
  Rng s = Rng::stream(7, "edge-1/net");
  const uint64_t named[2] = {s.next_u64(), s.next_u64()};
  // Pinned from the first run of this implementation (xoshiro256** seeded by
  // splitmix64; stream seeds are XXH3-64 of the name with the master seed).
  CHECK(got[0] == UINT64_C(0x15780b2e0c2ec716));
  CHECK(got[1] == UINT64_C(0x6104d9866d113a7e));
  CHECK(got[2] == UINT64_C(0xae17533239e499a1));
  CHECK(got[3] == UINT64_C(0xecb8ad4703b360a1));
  CHECK(named[0] == UINT64_C(0xfe9ffd42f55aa785));
  CHECK(named[1] == UINT64_C(0x11f75c6dec536e0a));
}

TEST_CASE("rng: streams are independent of each other and of creation order", "[rng]") {
  Rng a1 = Rng::stream(1, "edge-1/net");
  std::vector<uint64_t> first;
  for (int i = 0; i < 100; ++i) first.push_back(a1.next_u64());
  // Creating and drawing from other streams (a new node) changes nothing.
  Rng extra = Rng::stream(1, "cloud-4/net");
  for (int i = 0; i < 50; ++i) extra.next_u64();
  Rng a2 = Rng::stream(1, "edge-1/net");
  for (int i = 0; i < 100; ++i) CHECK(a2.next_u64() == first[i]);
  // Different names and different seeds give different streams.
  CHECK(Rng::stream(1, "edge-2/net").next_u64() != first[0]);
  CHECK(Rng::stream(2, "edge-1/net").next_u64() != first[0]);
}

namespace {
template <class F>
std::pair<double, double> moments(F draw, int n) {
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double v = draw();
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n;
  return {mean, sq / n - mean * mean};
}
}  // namespace

TEST_CASE("rng: sample moments match each distribution", "[rng]") {
  Rng r(99);
  constexpr int n = 200000;
  auto [um, uv] = moments([&] { return r.uniform01(); }, n);
  CHECK(um == Approx(0.5).margin(0.005));
  CHECK(uv == Approx(1.0 / 12).margin(0.002));
  auto [em, ev] = moments([&] { return r.exponential(3.0); }, n);
  CHECK(em == Approx(3.0).epsilon(0.02));
  CHECK(ev == Approx(9.0).epsilon(0.05));
  auto [nm, nv] = moments([&] { return r.normal(10.0, 2.0); }, n);
  CHECK(nm == Approx(10.0).margin(0.02));
  CHECK(nv == Approx(4.0).epsilon(0.03));
  // lognormal(mu, sigma): mean exp(mu + sigma^2/2).
  auto [lm, lv] = moments([&] { return r.lognormal(0.0, 0.5); }, n);
  CHECK(lm == Approx(std::exp(0.125)).epsilon(0.01));
  (void)lv;
  // pareto(scale 1, alpha 3): mean 1.5.
  auto [pm, pv] = moments([&] { return r.pareto(1.0, 3.0); }, n);
  CHECK(pm == Approx(1.5).epsilon(0.02));
  (void)pv;
  int hits = 0;
  for (int i = 0; i < n; ++i) hits += r.chance_ppm(250000) ? 1 : 0;
  CHECK(hits == Approx(n / 4).epsilon(0.02));
}

TEST_CASE("rng: below and uniform_int stay in range and cover it", "[rng]") {
  Rng r(5);
  std::vector<int> seen(7, 0);
  for (int i = 0; i < 7000; ++i) {
    const uint64_t v = r.below(7);
    REQUIRE(v < 7);
    ++seen[v];
  }
  for (int c : seen) CHECK(c > 800);
  for (int i = 0; i < 1000; ++i) {
    const int64_t v = r.uniform_int(-3, 3);
    REQUIRE(v >= -3);
    REQUIRE(v <= 3);
  }
  CHECK(r.uniform_int(5, 5) == 5);
}

TEST_CASE("rng: zipf ranks follow k^-s", "[rng]") {
  Rng r(11);
  Zipf z(1000, 1.1);
  std::vector<int> count(1001, 0);
  constexpr int n = 200000;
  for (int i = 0; i < n; ++i) {
    const uint64_t k = z.sample(r);
    REQUIRE(k >= 1);
    REQUIRE(k <= 1000);
    ++count[k];
  }
  // P(1)/P(2) = 2^1.1 ~ 2.14; P(1)/P(10) = 10^1.1 ~ 12.6.
  CHECK(static_cast<double>(count[1]) / count[2] == Approx(std::pow(2.0, 1.1)).epsilon(0.05));
  CHECK(static_cast<double>(count[1]) / count[10] == Approx(std::pow(10.0, 1.1)).epsilon(0.1));
  Zipf one(1, 1.0);
  CHECK(one.sample(r) == 1);
}

}  // namespace test_rng
