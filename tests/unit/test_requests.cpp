#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "ecsim/sim/rng.hpp"
#include "ecsim/workload/requests.hpp"

namespace test_requests {

using ecsim::sim::Rng;
using ecsim::workload::BadToken;
using ecsim::workload::Permutation;
using ecsim::workload::Request;
using ecsim::workload::RequestConfig;
using ecsim::workload::RequestGenerator;
using ecsim::workload::RequestKind;

namespace {
// True when `count` successes out of n lie within 5 standard deviations of
// a binomial(n, p): a correct generator fails this about once in 1.7 million.
bool within_binomial(uint64_t count, uint64_t n, double p) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  return std::fabs(static_cast<double>(count) - mean) <= 5 * sd + 1e-9;
}

RequestConfig mixed_config() {
  RequestConfig c;
  c.rate_per_s = 2000;
  c.subscribers = 1000;
  c.zipf_s = 1.0;
  c.records_per_subscriber = 4;
  c.mix = {.session_check = 1, .read = 2, .write = 3, .dsm_set = 4, .dsm_get = 0};
  c.dsm_keys = 64;
  c.bad_token_ppm = 100000;
  return c;
}

bool same_request(const Request& a, const Request& b) {
  return a.id == b.id && a.kind == b.kind && a.subscriber == b.subscriber && a.key == b.key &&
         a.value == b.value && a.bad_token == b.bad_token &&
         a.token_subscriber == b.token_subscriber;
}
}  // namespace

TEST_CASE("requests: config validation names the problem", "[requests]") {
  CHECK(RequestConfig{}.validate().empty());
  CHECK(mixed_config().validate().empty());
  auto bad = [](auto mutate) {
    RequestConfig c = mixed_config();
    mutate(c);
    return c.validate();
  };
  CHECK_THAT(bad([](RequestConfig& c) { c.rate_per_s = 0; }), Catch::Contains("rate"));
  CHECK_THAT(bad([](RequestConfig& c) { c.subscribers = 0; }), Catch::Contains("subscribers"));
  CHECK_THAT(bad([](RequestConfig& c) { c.zipf_s = -1; }), Catch::Contains("zipf"));
  CHECK_THAT(bad([](RequestConfig& c) { c.zipf_s = std::numeric_limits<double>::quiet_NaN(); }),
             Catch::Contains("zipf"));
  CHECK_THAT(bad([](RequestConfig& c) { c.records_per_subscriber = 0; }),
             Catch::Contains("records_per_subscriber"));
  CHECK_THAT(bad([](RequestConfig& c) { c.dsm_keys = 1u << 20; }), Catch::Contains("dsm_keys"));
  CHECK_THAT(bad([](RequestConfig& c) { c.mix = {}; }), Catch::Contains("mix"));
  CHECK_THAT(bad([](RequestConfig& c) { c.bad_token_ppm = 1000001; }),
             Catch::Contains("bad_token_ppm"));
  CHECK_THAT(bad([](RequestConfig& c) {
               c.bad_token_mix = {0, 0, 0, 0};
             }),
             Catch::Contains("bad token mix"));
  CHECK_THAT(bad([](RequestConfig& c) { c.subscribers = 1; }), Catch::Contains("2 subscribers"));
}

TEST_CASE("requests: the permutation is a bijection and not the identity", "[requests]") {
  for (uint64_t n : {1u, 2u, 3u, 5u, 17u, 1000u, 4097u}) {
    Permutation p(n, 99);
    std::set<uint64_t> seen;
    uint64_t fixed = 0;
    for (uint64_t x = 0; x < n; ++x) {
      const uint64_t y = p(x);
      REQUIRE(y < n);
      seen.insert(y);
      fixed += (y == x) ? 1 : 0;
    }
    CHECK(seen.size() == n);
    if (n >= 1000) CHECK(fixed < 10);  // a random permutation has about one
  }
  // Another seed, another permutation.
  Permutation a(1000, 1), b(1000, 2);
  int differ = 0;
  for (uint64_t x = 0; x < 1000; ++x) differ += a(x) != b(x) ? 1 : 0;
  CHECK(differ > 900);
}

TEST_CASE("requests: mean inter-arrival gap is 1/rate", "[requests]") {
  for (uint64_t rate : {uint64_t{1000}, uint64_t{3000}, RequestConfig::kRateMax}) {
    RequestConfig c;
    c.rate_per_s = rate;
    RequestGenerator g(c, Rng::stream(1, "workload/test"));
    constexpr int n = 100000;
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const auto gap = g.next_gap();
      REQUIRE(gap.ns >= 1);
      sum += static_cast<double>(gap.ns);
    }
    // The sample mean of n exponentials has a relative sd of 1/sqrt(n)
    // (0.32 %); 5 sd plus the rounding to whole nanoseconds.
    const double mean_ns = 1e9 / static_cast<double>(rate);
    CHECK(sum / n == Approx(mean_ns).epsilon(5 / std::sqrt(n)).margin(0.5));
  }
}

TEST_CASE("requests: the kind mix follows the weights", "[requests]") {
  RequestGenerator g(mixed_config(), Rng::stream(2, "workload/test"));
  constexpr uint64_t n = 100000;
  std::array<uint64_t, ecsim::workload::kRequestKinds> counts{};
  for (uint64_t i = 0; i < n; ++i) ++counts[static_cast<size_t>(g.next_request().kind)];
  CHECK(within_binomial(counts[0], n, 0.1));
  CHECK(within_binomial(counts[1], n, 0.2));
  CHECK(within_binomial(counts[2], n, 0.3));
  CHECK(within_binomial(counts[3], n, 0.4));
  CHECK(counts[4] == 0);
  CHECK(g.generated() == n);
}

TEST_CASE("requests: keys name their subscriber and record", "[requests]") {
  RequestConfig c = mixed_config();
  c.mix.dsm_get = 1;
  RequestGenerator g(c, Rng::stream(3, "workload/test"));
  for (int i = 0; i < 20000; ++i) {
    const Request r = g.next_request();
    REQUIRE(r.subscriber >= 1);
    REQUIRE(r.subscriber <= c.subscribers);
    const bool writes = r.kind == RequestKind::kWrite || r.kind == RequestKind::kDsmSet;
    if (!writes) REQUIRE(r.value == 0);
    switch (r.kind) {
      case RequestKind::kSessionCheck:
        REQUIRE(r.key == ecsim::workload::subscriber_key(r.subscriber, 0));
        break;
      case RequestKind::kRead:
      case RequestKind::kWrite:
        REQUIRE(ecsim::workload::key_subscriber(r.key) == r.subscriber);
        REQUIRE(ecsim::workload::key_record(r.key) < c.records_per_subscriber);
        break;
      case RequestKind::kDsmSet:
      case RequestKind::kDsmGet:
        REQUIRE(r.key < c.dsm_keys);
        break;
    }
  }
  CHECK(ecsim::workload::subscriber_key(5, 3) == (uint64_t{5} << 16 | 3));
}

TEST_CASE("requests: Zipf popularity goes to the permuted hottest subscriber", "[requests]") {
  RequestConfig c;
  c.subscribers = 1000;
  c.zipf_s = 1.0;
  RequestGenerator g(c, Rng::stream(4, "workload/test"));
  constexpr uint64_t n = 200000;
  std::map<uint64_t, uint64_t> counts;
  for (uint64_t i = 0; i < n; ++i) ++counts[g.next_request().subscriber];
  double harmonic = 0;
  for (int k = 1; k <= 1000; ++k) harmonic += 1.0 / k;
  const uint64_t hottest = g.subscriber_at_rank(1);
  CHECK(within_binomial(counts[hottest], n, 1.0 / harmonic));  // about 13.4 %
  CHECK(within_binomial(counts[g.subscriber_at_rank(2)], n, 0.5 / harmonic));
  uint64_t top_seen = 0, top_count = 0;
  for (const auto& [s, k] : counts) {
    if (k > top_count) top_seen = s, top_count = k;
  }
  CHECK(top_seen == hottest);
  CHECK(hottest != 1);  // with this population seed; the mapping is not the identity
}

TEST_CASE("requests: zipf 0 spreads subscribers uniformly", "[requests]") {
  RequestConfig c;
  c.subscribers = 10;
  c.zipf_s = 0;
  RequestGenerator g(c, Rng::stream(5, "workload/test"));
  constexpr uint64_t n = 50000;
  std::array<uint64_t, 11> counts{};
  for (uint64_t i = 0; i < n; ++i) ++counts[g.next_request().subscriber];
  for (int s = 1; s <= 10; ++s) CHECK(within_binomial(counts[s], n, 0.1));
}

TEST_CASE("requests: same seed same sequence, other streams change nothing", "[requests]") {
  const RequestConfig c = mixed_config();
  RequestGenerator a(c, Rng::stream(7, "workload/billing"));
  RequestGenerator b(c, Rng::stream(7, "workload/billing"));
  RequestGenerator other(c, Rng::stream(7, "workload/sessions"));
  RequestGenerator reseeded(c, Rng::stream(8, "workload/billing"));
  int differ = 0;
  for (int i = 0; i < 5000; ++i) {
    const auto gap_a = a.next_gap();
    const Request ra = a.next_request();
    // Interleaved draws of another generator must not perturb b.
    other.next_gap();
    other.next_request();
    REQUIRE(b.next_gap() == gap_a);
    REQUIRE(same_request(b.next_request(), ra));
    reseeded.next_gap();
    differ += same_request(reseeded.next_request(), ra) ? 0 : 1;
  }
  CHECK(differ > 4000);
}

TEST_CASE("requests: the bad-token fraction follows bad_token_ppm", "[requests]") {
  RequestConfig c = mixed_config();
  c.bad_token_ppm = 100000;  // 10 %
  c.bad_token_mix = {.forged = 1, .expired = 1, .malformed = 1, .cross_subscriber = 1};
  RequestGenerator g(c, Rng::stream(9, "workload/test"));
  constexpr uint64_t n = 100000;
  std::array<uint64_t, ecsim::workload::kBadTokenKinds> counts{};
  for (uint64_t i = 0; i < n; ++i) {
    const Request r = g.next_request();
    ++counts[static_cast<size_t>(r.bad_token)];
    if (r.bad_token == BadToken::kCrossSubscriber) {
      REQUIRE(r.token_subscriber != r.subscriber);
      REQUIRE(r.token_subscriber >= 1);
      REQUIRE(r.token_subscriber <= c.subscribers);
    } else {
      REQUIRE(r.token_subscriber == r.subscriber);
    }
  }
  CHECK(within_binomial(n - counts[0], n, 0.1));
  for (int k = 1; k < ecsim::workload::kBadTokenKinds; ++k) {
    CHECK(within_binomial(counts[k], n, 0.025));
  }
  // ppm 0: never a bad token.
  c.bad_token_ppm = 0;
  RequestGenerator clean(c, Rng::stream(9, "workload/test"));
  for (int i = 0; i < 10000; ++i) REQUIRE(clean.next_request().bad_token == BadToken::kNone);
}

TEST_CASE("requests: a subscriber base shifts the whole population, bad tokens included", "[requests]") {
  RequestConfig c = mixed_config();
  RequestConfig shifted = c;
  shifted.subscriber_base = 5000;
  RequestGenerator a(c, Rng::stream(9, "workload/test"));
  RequestGenerator b(shifted, Rng::stream(9, "workload/test"));
  CHECK(b.subscriber_at_rank(1) == a.subscriber_at_rank(1) + 5000);
  int cross = 0;
  for (int i = 0; i < 20000; ++i) {
    const Request x = a.next_request();
    const Request y = b.next_request();
    // The same draws, 5000 higher: popularity and mix are those of the base-0 population.
    REQUIRE(y.subscriber == x.subscriber + 5000);
    REQUIRE(y.token_subscriber == x.token_subscriber + 5000);
    REQUIRE(y.kind == x.kind);
    REQUIRE((y.subscriber > 5000 && y.subscriber <= 6000));
    REQUIRE((y.token_subscriber > 5000 && y.token_subscriber <= 6000));
    cross += y.bad_token == BadToken::kCrossSubscriber ? 1 : 0;
  }
  CHECK(cross > 100);  // cross-subscriber tokens stay inside the node's own population
  RequestConfig too_far = c;
  too_far.subscriber_base = ecsim::workload::kSubscribersMax;
  CHECK(too_far.validate().find("subscriber_base") != std::string::npos);
}

}  // namespace test_requests
