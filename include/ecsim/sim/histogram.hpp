// A latency histogram with bounded memory: log-linear buckets (64 per power
// of two, so a reported percentile is within 1.6 % of the true value), exact
// count, min and max. Integer nanoseconds in, integer nanoseconds out.
#pragma once
#include <array>
#include <cstdint>

namespace ecsim::sim {

class Histogram {
 public:
  void add(int64_t value_ns);
  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  // The value at quantile q in [0, 1] (upper edge of its bucket, capped at
  // max). 0 when empty.
  int64_t quantile(double q) const;
  void merge(const Histogram& other);

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kBuckets = (64 - kSubBits + 1) << kSubBits;
  static int bucket_of(uint64_t v);
  static uint64_t bucket_upper(int b);
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
};

}  // namespace ecsim::sim
