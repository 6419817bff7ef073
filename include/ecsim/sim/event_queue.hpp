// The pending-event set: a calendar queue with exact (time, seq) order.
//
// Time is cut into buckets of 2^shift ns. The bucket being dispatched is a
// small binary heap (`current_`); the next `ring_size - 1` buckets are
// unsorted vectors in a ring; everything later waits in a binary heap
// (`far_`). Pushing into the ring is O(1); a bucket is heapified only when it
// becomes current, and holds a handful of events, so pops touch a few cache
// lines. The bucket width and the ring size adapt to the observed event
// density (rebuilds are O(n) and rare). The dispatch order never depends on
// the width: buckets partition time and the current heap orders by (time, seq).
// No allocation per event once the vectors have grown to the working set.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/event.hpp"

namespace ecsim::sim {

class EventQueue {
 public:
  EventQueue();

  // REQUIRES: e.time_ns >= 0.
  void push(const Event& e) {
    ECSIM_ASSERT(e.time_ns >= 0);
    ++size_;
    if (e.time_ns < current_end_) {
      current_.push_back(e);
      std::push_heap(current_.begin(), current_.end(), Later{});
    } else if (e.time_ns < window_end_) {
      ring_[bucket_of(e.time_ns)].push_back(e);
      ++ring_count_;
    } else {
      far_.push_back(e);
      std::push_heap(far_.begin(), far_.end(), Later{});
    }
  }

  // REQUIRES: !empty(). The earliest event; may advance the window.
  const Event& top() {
    ECSIM_ASSERT(size_ > 0);
    if (current_.empty()) refill();
    return current_.front();
  }

  // REQUIRES: !empty().
  Event pop() {
    ECSIM_ASSERT(size_ > 0);
    if (current_.empty()) refill();
    std::pop_heap(current_.begin(), current_.end(), Later{});
    Event e = current_.back();
    current_.pop_back();
    --size_;
    if (++pops_since_adapt_ >= kAdaptPops) adapt();
    return e;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  int bucket_shift() const { return shift_; }
  size_t ring_size() const { return ring_.size(); }
  uint64_t rebuilds() const { return rebuilds_; }

 private:
  struct Later {
    bool operator()(const Event& x, const Event& y) const { return event_before(y, x); }
  };
  static constexpr uint64_t kAdaptPops = 8192;
  static constexpr uint64_t kAdaptBuckets = 512;

  size_t bucket_of(int64_t t) const {
    return static_cast<size_t>(static_cast<uint64_t>(t) >> shift_) & (ring_.size() - 1);
  }
  int64_t width() const { return int64_t{1} << shift_; }
  void refill();
  void advance_one();
  void jump_to_far();
  void pull_far();
  void adapt();
  void rebuild(int shift, size_t ring_size);

  std::vector<Event> current_;             // heap: events before current_end_
  std::vector<std::vector<Event>> ring_;   // [current_end_, window_end_)
  std::vector<Event> far_;                 // heap: events at or after window_end_
  int shift_ = 10;
  int64_t current_start_ = 0;
  int64_t current_end_ = 0;
  int64_t window_end_ = 0;
  size_t size_ = 0;
  size_t ring_count_ = 0;
  uint64_t pops_since_adapt_ = 0;
  uint64_t buckets_since_adapt_ = 0;
  uint64_t rebuilds_ = 0;
  std::vector<Event> scratch_;
};

}  // namespace ecsim::sim
