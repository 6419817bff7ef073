#include "ecsim/sim/event_queue.hpp"

#include <bit>

namespace ecsim::sim {

namespace {
constexpr size_t kRingSizeMin = 16;
constexpr size_t kRingSizeMax = size_t{1} << 15;
// Pending events per ring bucket. The window spans about twice the pending
// events, so an occupied bucket holds about 2x this: large enough that the
// bucket tails pushes land on are few (they stay cached), small enough that
// an opened bucket sorts inside L1. A small queue is cache-resident anyway,
// so it takes smaller buckets (cheaper sorts, fewer pushes into the open
// bucket's heap); the per-bucket count grows smoothly with n so the ring
// size never jumps back and forth around a threshold.
constexpr size_t kPerBucketMin = 16;
constexpr size_t kPerBucket = 64;
constexpr int kShiftMax = 46;  // with kRingSizeMax, the window stays <= 2^61 ns
constexpr uint64_t kAdaptPopsMin = 8192;
constexpr size_t kInsertionMax = 16;  // buckets this small skip the counting sort
constexpr int kSubBitsMax = 13;       // counting-sort fan-out <= 8192

size_t ring_size_for(size_t n) {
  const size_t per_bucket = std::clamp(n / 256, kPerBucketMin, kPerBucket);
  return std::clamp(std::bit_ceil(std::max<size_t>(n / per_bucket, 1)), kRingSizeMin, kRingSizeMax);
}

// Sorts a short run; the counting sort leaves runs nearly sorted already.
void insertion_sort(Event* first, Event* last) {
  if (last - first < 2) return;
  for (Event* i = first + 1; i < last; ++i) {
    if (!event_before(*i, *(i - 1))) continue;
    const Event v = *i;
    Event* j = i;
    do {
      *j = *(j - 1);
      --j;
    } while (j > first && event_before(v, *(j - 1)));
    *j = v;
  }
}

// Insertion sort that gives up once it has moved `budget` events; the range
// is then still a permutation of the input. Returns whether it finished.
bool insertion_sort_bounded(Event* first, Event* last, size_t budget) {
  if (last - first < 2) return true;
  for (Event* i = first + 1; i < last; ++i) {
    if (!event_before(*i, *(i - 1))) continue;
    const Event v = *i;
    Event* j = i;
    do {
      *j = *(j - 1);
      --j;
    } while (j > first && event_before(v, *(j - 1)));
    *j = v;
    const size_t moved = static_cast<size_t>(i - j);
    if (moved >= budget) return false;
    budget -= moved;
  }
  return true;
}
}  // namespace

EventQueue::EventQueue() {
  ring_.resize(kRingSizeMin);
  current_start_ = 0;
  current_end_ = width();
  window_end_ = ring_.size() * width();
}

// Makes sorted_ or near_ non-empty. REQUIRES: size_ > 0, both empty.
void EventQueue::refill() {
  ECSIM_ASSERT(cursor_ == sorted_.size() && near_.empty() && size_ > 0);
  while (cursor_ == sorted_.size() && near_.empty()) {
    if (ring_count_ == 0) {
      // Everything waits in far_: restart the window there instead of walking
      // empty buckets. A rebuild also refits the width, but costs O(n), so it
      // is allowed once per quarter adapt period (amortized O(1)); otherwise
      // the window just jumps, O(log n) per event pulled. Without the limit,
      // events spread wider than the largest window (2^61 ns) would rebuild
      // every few pops.
      ECSIM_ASSERT(!far_.empty());
      if (rebuilds_ == 0 || pops_since_adapt_ >= adapt_period_ / 4) {
        rebuild();
        reset_adapt_counters();
      } else {
        jump_to_far();
      }
    } else {
      advance_one();
    }
  }
  ECSIM_ASSERT(cursor_ < sorted_.size() || !near_.empty());
}

// Moves the window one bucket forward and opens the next ring bucket.
void EventQueue::advance_one() {
  ECSIM_ASSERT(cursor_ == sorted_.size() && near_.empty());
  sorted_.clear();
  cursor_ = 0;
  current_start_ = current_end_;
  current_end_ += width();
  window_end_ += width();
  ++buckets_advanced_;
  std::vector<Event>& slot = ring_[bucket_of(current_start_)];
  if (!slot.empty()) {
    sorted_.swap(slot);  // sorted_ was empty: the slot keeps its storage for reuse
    ring_count_ -= sorted_.size();
    sort_open_bucket();
  }
  pull_far();
}

// The ring is empty: restart the window at the earliest far event.
void EventQueue::jump_to_far() {
  ECSIM_ASSERT(ring_count_ == 0 && !far_.empty());
  sorted_.clear();
  cursor_ = 0;
  current_start_ = static_cast<uint64_t>(far_.front().time_ns) & ~(width() - 1);
  current_end_ = current_start_ + width();
  window_end_ = current_start_ + ring_.size() * width();
  pull_far();
  // The earliest far event now sits in the current bucket's ring slot.
  std::vector<Event>& slot = ring_[bucket_of(current_start_)];
  ECSIM_ASSERT(!slot.empty());
  sorted_.swap(slot);
  ring_count_ -= sorted_.size();
  sort_open_bucket();
}

// Moves far events that now fall inside the window into the ring. After an
// advance they land past current_end_ (far events were past the old window
// end); after a jump, the first ones land in the current bucket's slot.
void EventQueue::pull_far() {
  while (!far_.empty() && static_cast<uint64_t>(far_.front().time_ns) < window_end_) {
    std::pop_heap(far_.begin(), far_.end(), Later{});
    const Event e = far_.back();
    far_.pop_back();
    const uint64_t t = static_cast<uint64_t>(e.time_ns);
    ECSIM_ASSERT(t >= current_start_);
    append(ring_[bucket_of(t)], e);
    ++ring_count_;
  }
}

// Sorts sorted_ by (time, seq). REQUIRES: every event in [current_start_,
// current_end_). A stable counting sort on the top time bits inside the
// bucket leaves runs of mostly one event, then an insertion pass sorts
// exactly (same-time runs by seq), so the result never depends on the width.
void EventQueue::sort_open_bucket() {
  const size_t n = sorted_.size();
  ECSIM_ASSERT(cursor_ == 0);
  ++buckets_opened_;
  sorted_pops_ += n;
  if (n <= kInsertionMax) {
    insertion_sort(sorted_.data(), sorted_.data() + n);
    return;
  }
  // 2n..4n sub-buckets: most runs then hold zero or one event, so the tiny
  // sorts all but vanish; a sparse counts_ scan is cheaper than moving
  // 32-byte events (measured: ~2x faster than n/2 sub-buckets at n ~ 30..200).
  const int sub_bits = std::min({shift_, static_cast<int>(std::bit_width(n)) + 1, kSubBitsMax});
  const int key_shift = shift_ - sub_bits;
  const size_t subs = size_t{1} << sub_bits;
  counts_.assign(subs + 1, 0);
  for (const Event& e : sorted_) {
    const uint64_t off = static_cast<uint64_t>(e.time_ns) - current_start_;
    ECSIM_ASSERT(off < width());
    ++counts_[(off >> key_shift) + 1];
  }
  for (size_t k = 1; k <= subs; ++k) counts_[k] += counts_[k - 1];
  sort_buf_.resize(n);
  for (const Event& e : sorted_) {
    sort_buf_[counts_[(static_cast<uint64_t>(e.time_ns) - current_start_) >> key_shift]++] = e;
  }
  sorted_.swap(sort_buf_);
  ECSIM_ASSERT(counts_[subs - 1] == n);
  // Now only events within a sub-bucket can be out of order: one insertion
  // pass over the whole bucket fixes them in ~n steps. A crowded sub-bucket
  // (many events at one time, or within one ns range) would make that
  // quadratic, so past 4n moves it hands over to std::sort.
  Event* const first = sorted_.data();
  if (!insertion_sort_bounded(first, first + n, 4 * n)) {
    std::sort(first, first + n, [](const Event& x, const Event& y) { return event_before(x, y); });
  }
}

// Rebuilds when the window no longer fits the pending events: too many far
// (window too short), opened buckets far denser than planned (too long),
// mostly empty buckets stepped over (too sparse), a near heap holding much of
// the queue, or a ring sized for a very different count. Runs every ~size_
// pops, so the O(n) rebuild is amortized O(1) per event.
void EventQueue::adapt() {
  const uint64_t pops = pops_since_adapt_;
  const uint64_t opened = std::max<uint64_t>(buckets_opened_, 1);
  const size_t want_ring = ring_size_for(size_);
  // The pop rate over the period: a bucket of 2^rate_shift_ ns sees about
  // kPerBucket events.
  const uint64_t elapsed = current_start_ - period_start_;
  if (elapsed > 0 && pops > 0) {
    const uint64_t per_bucket_ns = std::max<uint64_t>(1, elapsed / pops * kPerBucket);
    rate_shift_ = std::min(kShiftMax, static_cast<int>(std::bit_width(per_bucket_ns)) - 1);
  }
  const bool near_bound = near_heap_pops_ * 2 > pops && shift_ > rate_shift_ + 1;
  near_bound_ = near_bound || (capped_ && near_bound_);
  // Long timers beyond a rate-capped window are expected in far_.
  const bool far_heavy =
      far_.size() * 8 > size_ && size_ >= 64 && !(capped_ && far_.size() <= kCappedFarMax);
  const bool too_dense = sorted_pops_ / opened > 16 * kPerBucket;
  const bool too_sparse = buckets_advanced_ > 4 * pops + 64;
  const bool near_heavy = near_.size() > 4 * kPerBucket && near_.size() * 4 > size_;
  const bool ring_off = want_ring >= 4 * ring_.size() || want_ring * 4 <= ring_.size();
  if (size_ > 0 && (far_heavy || too_dense || too_sparse || near_heavy || near_bound || ring_off))
    rebuild();
  reset_adapt_counters();
}

void EventQueue::reset_adapt_counters() {
  pops_since_adapt_ = 0;
  near_heap_pops_ = 0;
  period_start_ = current_start_;
  buckets_opened_ = 0;
  buckets_advanced_ = 0;
  sorted_pops_ = 0;
  adapt_period_ = std::max<uint64_t>(kAdaptPopsMin, size_);
}

// Resizes the ring and readies its slots for a layout of n events.
void EventQueue::size_ring(size_t ring_size, size_t n) {
  ECSIM_ASSERT(std::has_single_bit(ring_size) && ring_count_ == 0);
  if (ring_size != ring_.size()) {
    ring_.clear();
    ring_.shrink_to_fit();
    ring_.resize(ring_size);
  }
  // Give every slot room for ~1.5x its expected share (the window spans
  // about twice the pending events) and touch it now: on a window of seconds
  // the first pass over a fresh ring otherwise grows and page-faults slots
  // one push at a time (measured ~10-20% slower for that pass, noisy VM).
  const size_t slot_cap = 3 * n / ring_size + 8;
  for (auto& slot : ring_) {
    if (slot.capacity() >= slot_cap) continue;
    slot.resize(slot_cap);
    slot.clear();
  }
}

void EventQueue::count_ring_slots() {
  ring_slot_events_ = 0;
  for (const auto& slot : ring_) ring_slot_events_ += slot.capacity();
}

// Re-lays all pending events out: ring size from the count, width so that the
// window spans twice the distance from the earliest event to the 63/64
// quantile (outliers go to far_ instead of stretching every bucket).
void EventQueue::rebuild() {
  ++rebuilds_;
  scratch_.clear();
  scratch_.reserve(size_);
  scratch_.insert(scratch_.end(), sorted_.begin() + static_cast<std::ptrdiff_t>(cursor_), sorted_.end());
  scratch_.insert(scratch_.end(), near_.begin(), near_.end());
  const size_t ring_size = ring_size_for(size_);
  const size_t slot_cap_max = 8 * (size_ / ring_size + kPerBucket);
  for (auto& slot : ring_) {
    scratch_.insert(scratch_.end(), slot.begin(), slot.end());
    slot.clear();
    if (slot.capacity() > slot_cap_max) std::vector<Event>().swap(slot);  // bounded memory
  }
  scratch_.insert(scratch_.end(), far_.begin(), far_.end());
  const size_t n = scratch_.size();
  ECSIM_ASSERT(n == size_);
  sorted_.clear();
  cursor_ = 0;
  near_.clear();
  near_is_heap_ = false;
  far_.clear();
  ring_count_ = 0;
  if (n == 0) {
    count_ring_slots();
    return;
  }
  size_ring(ring_size, n);
  count_ring_slots();
  const auto by_time = [](const Event& x, const Event& y) { return x.time_ns < y.time_ns; };
  const uint64_t earliest = static_cast<uint64_t>(std::min_element(scratch_.begin(), scratch_.end(), by_time)->time_ns);
  const auto q = scratch_.begin() + static_cast<std::ptrdiff_t>(n - 1 - n / 64);
  std::nth_element(scratch_.begin(), q, scratch_.end(), by_time);
  const uint64_t span = static_cast<uint64_t>(q->time_ns) - earliest;
  int shift = 0;
  while (shift < kShiftMax && (uint64_t{ring_size / 2} << shift) <= span) ++shift;
  shift_ = shift;
  capped_ = false;
  if (near_bound_ && rate_shift_ < shift) {
    // The rate's width, if the events beyond its window stay few.
    const uint64_t window_end =
        (earliest & ~((uint64_t{1} << rate_shift_) - 1)) + (uint64_t{ring_size} << rate_shift_);
    const auto beyond =
        static_cast<size_t>(std::count_if(scratch_.begin(), scratch_.end(), [&](const Event& e) {
          return static_cast<uint64_t>(e.time_ns) >= window_end;
        }));
    if (beyond <= kCappedFarMax) {
      shift_ = rate_shift_;
      capped_ = true;
    }
  }
  current_start_ = earliest & ~(width() - 1);
  current_end_ = current_start_ + width();
  window_end_ = current_start_ + ring_size * width();
  for (const Event& e : scratch_) {
    const uint64_t t = static_cast<uint64_t>(e.time_ns);
    if (t < current_end_) {
      sorted_.push_back(e);
    } else if (t < window_end_) {
      append(ring_[bucket_of(t)], e);
      ++ring_count_;
    } else {
      far_.push_back(e);
    }
  }
  std::make_heap(far_.begin(), far_.end(), Later{});
  sort_open_bucket();
  ECSIM_ASSERT(sorted_.size() + ring_count_ + far_.size() == size_);
}

}  // namespace ecsim::sim
