#include "ecsim/workload/requests.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include "ecsim/sim/assert.hpp"

namespace ecsim::workload {

std::string_view to_string(RequestKind k) {
  switch (k) {
    case RequestKind::kSessionCheck:
      return "session_check";
    case RequestKind::kRead:
      return "read";
    case RequestKind::kWrite:
      return "write";
    case RequestKind::kDsmSet:
      return "dsm_set";
    case RequestKind::kDsmGet:
      return "dsm_get";
  }
  return "?";
}

std::string_view to_string(BadToken b) {
  switch (b) {
    case BadToken::kNone:
      return "none";
    case BadToken::kForged:
      return "forged";
    case BadToken::kExpired:
      return "expired";
    case BadToken::kMalformed:
      return "malformed";
    case BadToken::kCrossSubscriber:
      return "cross_subscriber";
  }
  return "?";
}

uint64_t subscriber_key(uint64_t subscriber, uint32_t record) {
  ECSIM_ASSERT(subscriber >= 1 && subscriber <= kSubscribersMax);
  ECSIM_ASSERT(record < kRecordsPerSubscriberMax);
  return subscriber << kRecordBits | record;
}

// ----------------------------------------------------------- RequestConfig

namespace {
std::string check_weights(const RequestMix& m) {
  for (uint32_t w : {m.session_check, m.read, m.write, m.dsm_set, m.dsm_get}) {
    if (w > RequestConfig::kWeightMax) {
      return fmt::format("a request mix weight is {}, expected at most {}", w,
                         RequestConfig::kWeightMax);
    }
  }
  if (m.total() == 0) return "the request mix has no positive weight";
  return "";
}

std::string check_bad_tokens(const RequestConfig& c) {
  if (c.bad_token_ppm > 1'000'000) {
    return fmt::format("bad_token_ppm is {}, expected at most 1000000", c.bad_token_ppm);
  }
  if (c.bad_token_ppm == 0) return "";
  const BadTokenMix& b = c.bad_token_mix;
  for (uint32_t w : {b.forged, b.expired, b.malformed, b.cross_subscriber}) {
    if (w > RequestConfig::kWeightMax) {
      return fmt::format("a bad token weight is {}, expected at most {}", w,
                         RequestConfig::kWeightMax);
    }
  }
  if (b.total() == 0) return "bad_token_ppm is positive but the bad token mix has no weight";
  if (b.cross_subscriber > 0 && c.subscribers < 2) {
    return "cross-subscriber tokens need at least 2 subscribers";
  }
  return "";
}
}  // namespace

std::string RequestConfig::validate() const {
  if (rate_per_s < 1 || rate_per_s > kRateMax) {
    return fmt::format("rate is {}/s, expected 1/s to {}/s", rate_per_s, kRateMax);
  }
  if (subscribers < 1 || subscribers > kSubscribersMax) {
    return fmt::format("subscribers is {}, expected 1 to {}", subscribers, kSubscribersMax);
  }
  if (subscriber_base > kSubscribersMax - subscribers) {
    return fmt::format("subscriber_base is {}, expected base + subscribers at most {}", subscriber_base,
                       kSubscribersMax);
  }
  // Written so that NaN fails too.
  if (!(zipf_s >= 0.0 && zipf_s <= kZipfMax)) {
    return fmt::format("zipf is {}, expected 0 (uniform) to {}", zipf_s, kZipfMax);
  }
  if (records_per_subscriber < 1 || records_per_subscriber > kRecordsPerSubscriberMax) {
    return fmt::format("records_per_subscriber is {}, expected 1 to {}", records_per_subscriber,
                       kRecordsPerSubscriberMax);
  }
  if (dsm_keys < 1 || dsm_keys > kDsmKeysMax) {
    return fmt::format("dsm_keys is {}, expected 1 to {}", dsm_keys, kDsmKeysMax);
  }
  if (std::string why = check_weights(mix); !why.empty()) return why;
  return check_bad_tokens(*this);
}

// ------------------------------------------------------------- Permutation

Permutation::Permutation(uint64_t n, uint64_t seed) : n_(n) {
  ECSIM_ASSERT(n >= 1 && n <= (uint64_t{1} << 62));
  const int bits = std::bit_width(n - 1);
  half_bits_ = std::max(1, (bits + 1) / 2);
  half_mask_ = (uint64_t{1} << half_bits_) - 1;
  uint64_t state = seed;
  for (uint64_t& k : round_keys_) k = sim::splitmix64(state);
  // The domain is at most 4n (for n >= 2), so cycle walking takes fewer
  // than four steps on average.
  ECSIM_ASSERT((uint64_t{1} << (2 * half_bits_)) >= n);
}

uint64_t Permutation::feistel(uint64_t x) const {
  uint64_t left = x >> half_bits_;
  uint64_t right = x & half_mask_;
  for (uint64_t key : round_keys_) {
    uint64_t state = right ^ key;
    const uint64_t f = sim::splitmix64(state) & half_mask_;
    const uint64_t next_right = left ^ f;
    left = right;
    right = next_right;
  }
  return left << half_bits_ | right;
}

uint64_t Permutation::operator()(uint64_t x) const {
  ECSIM_ASSERT(x < n_);
  // Cycle walking: the Feistel network permutes [0, 2^(2h)); following the
  // cycle of x until it re-enters [0, n) yields a permutation of [0, n).
  uint64_t y = feistel(x);
  while (y >= n_) y = feistel(y);
  return y;
}

// -------------------------------------------------------- RequestGenerator

namespace {
const RequestConfig& checked_requests(const RequestConfig& c) {
  ECSIM_ASSERT(c.validate().empty());
  return c;
}
}  // namespace

RequestGenerator::RequestGenerator(const RequestConfig& config, sim::Rng rng)
    : config_(checked_requests(config)),
      rng_(rng),
      // Zipf needs s > 0; with s = 0 it is built but never sampled.
      zipf_(config.subscribers, config.zipf_s > 0 ? config.zipf_s : 1.0),
      permutation_(config.subscribers, config.population_seed),
      mean_gap_ns_(1e9 / static_cast<double>(config.rate_per_s)) {}

sim::Duration RequestGenerator::next_gap() {
  // Rounded at once (DESIGN rule 6); at least 1 ns so arrivals stay ordered
  // in time. kRateMax keeps the mean at >= 10 ns, so the floor hardly biases it.
  const int64_t gap_ns = std::llround(rng_.exponential(mean_gap_ns_));
  ECSIM_ASSERT(gap_ns >= 0);
  return sim::nanoseconds(std::max<int64_t>(1, gap_ns));
}

uint64_t RequestGenerator::subscriber_at_rank(uint64_t rank) const {
  ECSIM_ASSERT(rank >= 1 && rank <= config_.subscribers);
  return config_.subscriber_base + permutation_(rank - 1) + 1;
}

RequestKind RequestGenerator::draw_kind() {
  const RequestMix& m = config_.mix;
  uint64_t pick = rng_.below(m.total());
  const uint32_t weights[kRequestKinds] = {m.session_check, m.read, m.write, m.dsm_set, m.dsm_get};
  for (int k = 0; k < kRequestKinds; ++k) {
    if (pick < weights[k]) return static_cast<RequestKind>(k);
    pick -= weights[k];
  }
  ECSIM_ASSERT(false && "pick below the total weight always lands on a kind");
  return RequestKind::kSessionCheck;
}

uint64_t RequestGenerator::draw_subscriber() {
  const uint64_t rank =
      config_.zipf_s > 0 ? zipf_.sample(rng_) : rng_.below(config_.subscribers) + 1;
  return subscriber_at_rank(rank);
}

BadToken RequestGenerator::draw_bad_token() {
  if (!rng_.chance_ppm(config_.bad_token_ppm)) return BadToken::kNone;
  const BadTokenMix& b = config_.bad_token_mix;
  uint64_t pick = rng_.below(b.total());
  const uint32_t weights[kBadTokenKinds - 1] = {b.forged, b.expired, b.malformed,
                                                b.cross_subscriber};
  for (int k = 0; k < kBadTokenKinds - 1; ++k) {
    if (pick < weights[k]) return static_cast<BadToken>(k + 1);
    pick -= weights[k];
  }
  ECSIM_ASSERT(false && "pick below the total weight always lands on a kind");
  return BadToken::kNone;
}

void RequestGenerator::fill_target(Request& r) {
  switch (r.kind) {
    case RequestKind::kSessionCheck:
      r.key = subscriber_key(r.subscriber, 0);
      break;
    case RequestKind::kRead:
    case RequestKind::kWrite: {
      const auto record = static_cast<uint32_t>(rng_.below(config_.records_per_subscriber));
      r.key = subscriber_key(r.subscriber, record);
      break;
    }
    case RequestKind::kDsmSet:
    case RequestKind::kDsmGet:
      r.key = rng_.below(config_.dsm_keys);
      break;
  }
  if (r.kind == RequestKind::kWrite || r.kind == RequestKind::kDsmSet) r.value = rng_.next_u64();
}

Request RequestGenerator::next_request() {
  Request r;
  r.id = next_id_++;
  r.kind = draw_kind();
  r.subscriber = draw_subscriber();
  fill_target(r);
  r.bad_token = draw_bad_token();
  r.token_subscriber = r.subscriber;
  if (r.bad_token == BadToken::kCrossSubscriber) {
    // Another subscriber, uniformly: an offset in [1, N) around the circle.
    const uint64_t n = config_.subscribers;
    const uint64_t base = config_.subscriber_base;
    const uint64_t offset = 1 + rng_.below(n - 1);
    r.token_subscriber = base + (r.subscriber - base - 1 + offset) % n + 1;
  }
  ECSIM_ASSERT(r.subscriber > config_.subscriber_base &&
               r.subscriber - config_.subscriber_base <= config_.subscribers);
  ECSIM_ASSERT((r.token_subscriber != r.subscriber) == (r.bad_token == BadToken::kCrossSubscriber));
  return r;
}

}  // namespace ecsim::workload
