#include "ecsim/sim/event_queue.hpp"

#include <bit>

namespace ecsim::sim {

namespace {
constexpr size_t kRingSizeMin = 256;
constexpr size_t kRingSizeMax = size_t{1} << 22;
constexpr int kShiftMax = 40;  // 2^40 ns ~ 18 minutes per bucket
// Events dispatched per visited bucket: a few dozen keeps the current heap in
// L1 and the ring's headers few enough to stay in L2.
constexpr uint64_t kPerBucketMin = 4;
constexpr uint64_t kPerBucketMax = 32;
}  // namespace

EventQueue::EventQueue() {
  ring_.resize(kRingSizeMin);
  current_start_ = 0;
  current_end_ = width();
  window_end_ = static_cast<int64_t>(ring_.size()) * width();
}

// Makes current_ non-empty. REQUIRES: size_ > 0 and current_ empty.
void EventQueue::refill() {
  ECSIM_ASSERT(current_.empty() && size_ > 0);
  while (current_.empty()) {
    if (ring_count_ == 0) {
      jump_to_far();
    } else {
      advance_one();
    }
  }
  ECSIM_ASSERT(!current_.empty());
}

// Moves the window one bucket forward; the next ring bucket becomes current.
void EventQueue::advance_one() {
  current_start_ = current_end_;
  current_end_ += width();
  window_end_ += width();
  std::vector<Event>& slot = ring_[bucket_of(current_start_)];
  current_.swap(slot);  // current_ was empty: the slot is left empty for reuse
  ring_count_ -= current_.size();
  if (current_.size() > 1) std::make_heap(current_.begin(), current_.end(), Later{});
  ++buckets_since_adapt_;
  pull_far();
  if (buckets_since_adapt_ >= kAdaptBuckets) adapt();
}

// The ring is empty: every event is in far_. Restart the window at the
// earliest one instead of walking empty buckets.
void EventQueue::jump_to_far() {
  ECSIM_ASSERT(!far_.empty());
  const int64_t t = far_.front().time_ns;
  current_start_ = t & ~(width() - 1);
  current_end_ = current_start_ + width();
  window_end_ = current_start_ + static_cast<int64_t>(ring_.size()) * width();
  pull_far();
}

// Moves far events that now fall inside the window into current_ or the ring.
void EventQueue::pull_far() {
  while (!far_.empty() && far_.front().time_ns < window_end_) {
    std::pop_heap(far_.begin(), far_.end(), Later{});
    const Event e = far_.back();
    far_.pop_back();
    if (e.time_ns < current_end_) {
      current_.push_back(e);
      std::push_heap(current_.begin(), current_.end(), Later{});
    } else {
      ring_[bucket_of(e.time_ns)].push_back(e);
      ++ring_count_;
    }
  }
}

// Keeps about 4..32 events per visited bucket, and a ring about four times
// as long as the pending set is deep in buckets, so most pushes are O(1).
void EventQueue::adapt() {
  const uint64_t pops = pops_since_adapt_;
  const uint64_t buckets = buckets_since_adapt_ == 0 ? 1 : buckets_since_adapt_;
  pops_since_adapt_ = 0;
  buckets_since_adapt_ = 0;
  int shift = shift_;
  if (pops < kPerBucketMin * buckets && shift < kShiftMax) {
    // Too many near-empty buckets: widen by about the factor that fixes it.
    const int up = static_cast<int>(std::bit_width((kPerBucketMin * buckets) / (pops + 1)));
    shift = std::min(kShiftMax, shift + std::clamp(up, 1, 4));
  } else if (pops > kPerBucketMax * buckets && shift > 0) {
    // Crowded buckets: narrow towards the middle of the band.
    const int down = static_cast<int>(std::bit_width(pops / (2 * kPerBucketMin * buckets))) - 1;
    shift = std::max(0, shift - std::clamp(down, 1, 4));
  }
  // The ring should span the pending events: grow it while many wait in the
  // far heap, shrink it when it dwarfs the pending count.
  size_t want = ring_.size();
  const size_t depth = std::max<size_t>(size_, kRingSizeMin);
  if (far_.size() * 4 > size_ && want < kRingSizeMax && want < 8 * depth) {
    want *= far_.size() * 2 > size_ ? 4 : 2;
  } else if (want > 32 * depth && far_.empty()) {
    want /= 4;
  }
  want = std::clamp(want, kRingSizeMin, kRingSizeMax);
  const bool ring_off = want != ring_.size();
  if (shift != shift_ || ring_off) rebuild(shift, ring_off ? want : ring_.size());
}

void EventQueue::rebuild(int shift, size_t ring_size) {
  ECSIM_ASSERT(std::has_single_bit(ring_size));
  ++rebuilds_;
  scratch_.clear();
  scratch_.reserve(size_);
  scratch_.insert(scratch_.end(), current_.begin(), current_.end());
  for (auto& slot : ring_) {
    scratch_.insert(scratch_.end(), slot.begin(), slot.end());
    slot.clear();
  }
  scratch_.insert(scratch_.end(), far_.begin(), far_.end());
  const size_t n = scratch_.size();
  ECSIM_ASSERT(n == size_);
  current_.clear();
  far_.clear();
  ring_count_ = 0;
  size_ = 0;
  if (ring_size != ring_.size()) {
    ring_.clear();
    ring_.shrink_to_fit();
    ring_.resize(ring_size);
  }
  shift_ = shift;
  int64_t earliest = INT64_MAX;
  for (const Event& e : scratch_) earliest = std::min(earliest, e.time_ns);
  if (n == 0) earliest = current_start_;
  current_start_ = earliest & ~(width() - 1);
  current_end_ = current_start_ + width();
  window_end_ = current_start_ + static_cast<int64_t>(ring_.size()) * width();
  for (const Event& e : scratch_) push(e);
  ECSIM_ASSERT(size_ == n);
}

}  // namespace ecsim::sim
