// The telecom request workload: an open-loop generator of client requests.
// It promises, for one RequestConfig and one sim::Rng stream, the same
// sequence of gaps and requests on every platform and compiler; it draws only
// from its own stream, so adding another generator (another stream) changes
// none of its draws.
//
// - Arrivals are Poisson: gaps are exponential with mean 1/rate, rounded to
//   whole nanoseconds, at least 1 ns (open loop: the gap never depends on
//   whether earlier requests were served).
// - Subscribers are numbered 1..N. Popularity is Zipf(s) over ranks 1..N; a
//   rank is mapped to a subscriber through a fixed bijection seeded by
//   `population_seed` (a Feistel permutation), so the hottest subscriber is
//   not subscriber 1, and generators that share the population seed agree
//   on who is hot. s = 0 means uniform popularity.
// - Records and keys: each subscriber owns `records_per_subscriber` records,
//   numbered 0..R-1; record 0 is the subscriber's session record. The record
//   (subscriber, r) has the key `subscriber_key(subscriber, r)` =
//   subscriber << 16 | r, so a key names its owner (`key_subscriber`), which
//   is what RBAC at the edge checks. Session checks read record 0; reads and
//   writes pick a record uniformly.
// - DSM operations address a separate shared key space 0..dsm_keys-1
//   (uniform), since the DSM replicates every key to every node.
// - A fraction `bad_token_ppm` of requests carries a bad token; its kind is
//   drawn with the integer weights of `bad_token_mix`. A cross-subscriber
//   token is a valid token of another subscriber (`token_subscriber`).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::workload {

enum class RequestKind : uint8_t { kSessionCheck, kRead, kWrite, kDsmSet, kDsmGet };
inline constexpr int kRequestKinds = 5;
std::string_view to_string(RequestKind k);

enum class BadToken : uint8_t { kNone, kForged, kExpired, kMalformed, kCrossSubscriber };
inline constexpr int kBadTokenKinds = 5;  // kNone included
std::string_view to_string(BadToken b);

inline constexpr int kRecordBits = 16;
inline constexpr uint64_t kRecordsPerSubscriberMax = uint64_t{1} << kRecordBits;
inline constexpr uint64_t kSubscribersMax = uint64_t{1} << 40;

// REQUIRES: 1 <= subscriber <= kSubscribersMax, record < kRecordsPerSubscriberMax.
uint64_t subscriber_key(uint64_t subscriber, uint32_t record);
inline uint64_t key_subscriber(uint64_t key) { return key >> kRecordBits; }
inline uint32_t key_record(uint64_t key) {
  return static_cast<uint32_t>(key & (kRecordsPerSubscriberMax - 1));
}

// Integer weights of the request kinds; only their ratios matter.
struct RequestMix {
  uint32_t session_check = 0;
  uint32_t read = 0;
  uint32_t write = 0;
  uint32_t dsm_set = 0;
  uint32_t dsm_get = 0;
  uint64_t total() const { return uint64_t{session_check} + read + write + dsm_set + dsm_get; }
};

// Integer weights of the kinds of bad token, among bad tokens.
struct BadTokenMix {
  uint32_t forged = 1;
  uint32_t expired = 1;
  uint32_t malformed = 1;
  uint32_t cross_subscriber = 1;
  uint64_t total() const { return uint64_t{forged} + expired + malformed + cross_subscriber; }
};

struct RequestConfig {
  static constexpr uint64_t kRateMax = 100'000'000;  // per second; gaps stay >> 1 ns
  static constexpr double kZipfMax = 10.0;
  static constexpr uint64_t kDsmKeysMax = 65536;
  static constexpr uint32_t kWeightMax = 1'000'000;

  uint64_t rate_per_s = 1000;
  uint64_t subscribers = 1000;
  // The subscribers are subscriber_base + 1 .. subscriber_base + subscribers
  // (disjoint ranges give each edge node its own population).
  uint64_t subscriber_base = 0;
  double zipf_s = 1.0;  // 0 = uniform
  uint32_t records_per_subscriber = 4;
  RequestMix mix{.session_check = 1};
  uint64_t dsm_keys = 1024;
  uint32_t bad_token_ppm = 0;
  BadTokenMix bad_token_mix;
  uint64_t population_seed = 0x5eed'5eed'5eed'5eedULL;

  // "" when valid, otherwise the first problem found, in words.
  std::string validate() const;
};

struct Request {
  uint64_t id = 0;  // 1, 2, ... per generator
  RequestKind kind = RequestKind::kSessionCheck;
  uint64_t subscriber = 0;  // who asks, base + 1 .. base + N
  uint64_t key = 0;         // subscriber_key(...) or a DSM key
  uint64_t value = 0;       // for kWrite and kDsmSet; 0 otherwise
  BadToken bad_token = BadToken::kNone;
  uint64_t token_subscriber = 0;  // whose token it carries; != subscriber only for cross
};

// A seeded bijection on [0, n): a balanced Feistel network over the smallest
// even number of bits covering n, with cycle walking to stay inside [0, n).
class Permutation {
 public:
  // REQUIRES: 1 <= n <= 2^62.
  Permutation(uint64_t n, uint64_t seed);
  uint64_t operator()(uint64_t x) const;  // REQUIRES: x < n
  uint64_t n() const { return n_; }

 private:
  static constexpr int kRounds = 4;
  uint64_t feistel(uint64_t x) const;
  uint64_t n_;
  int half_bits_;
  uint64_t half_mask_;
  uint64_t round_keys_[kRounds];
};

class RequestGenerator {
 public:
  // REQUIRES: config.validate() is "".
  RequestGenerator(const RequestConfig& config, sim::Rng rng);

  // The time until the next arrival.
  sim::Duration next_gap();
  // The next request; draws, in order: kind, subscriber, record or DSM key,
  // value (writes), bad token, token subscriber (cross only).
  Request next_request();
  // The subscriber at popularity rank `rank` (1 = hottest). REQUIRES: 1 <= rank <= N.
  uint64_t subscriber_at_rank(uint64_t rank) const;

  const RequestConfig& config() const { return config_; }
  uint64_t generated() const { return next_id_ - 1; }

 private:
  RequestKind draw_kind();
  uint64_t draw_subscriber();
  BadToken draw_bad_token();
  void fill_target(Request& r);

  RequestConfig config_;
  sim::Rng rng_;
  sim::Zipf zipf_;
  Permutation permutation_;
  double mean_gap_ns_;
  uint64_t next_id_ = 1;
};

}  // namespace ecsim::workload
