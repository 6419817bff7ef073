#include "ecsim/sim/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

// Values below 2^kSubBits get a bucket each; above, each power of two is cut
// into 2^kSubBits equal buckets.
int Histogram::bucket_of(uint64_t v) {
  if (v < (1u << kSubBits)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);
  const int shift = msb - kSubBits;
  const int sub = static_cast<int>((v >> shift) & ((1u << kSubBits) - 1));
  return ((shift + 1) << kSubBits) + sub;
}

uint64_t Histogram::bucket_upper(int b) {
  if (b < (1 << kSubBits)) return static_cast<uint64_t>(b);
  const int shift = (b >> kSubBits) - 1;
  const uint64_t sub = static_cast<uint64_t>(b & ((1 << kSubBits) - 1));
  const uint64_t low = ((uint64_t{1} << kSubBits) | sub) << shift;
  return low + ((uint64_t{1} << shift) - 1);
}

void Histogram::add(int64_t value_ns) {
  ECSIM_ASSERT(value_ns >= 0);
  ++counts_[bucket_of(static_cast<uint64_t>(value_ns))];
  ++count_;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
}

int64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank is computed in integers from a rounded per-million quantile so
  // no float equality decides anything.
  const uint64_t q_ppm = static_cast<uint64_t>(std::llround(q * 1e6));
  uint64_t rank = (count_ * q_ppm + 999999) / 1000000;
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b];
    if (seen >= rank) return std::min<int64_t>(static_cast<int64_t>(bucket_upper(b)), max_);
  }
  return max_;
}

void Histogram::merge(const Histogram& other) {
  for (int b = 0; b < kBuckets; ++b) counts_[b] += other.counts_[b];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

}  // namespace ecsim::sim
