// The pending-event set: a coarse calendar queue with exact (time, seq) order.
//
// Time is cut into buckets of 2^shift ns, each holding on the order of a
// hundred events. The bucket being dispatched (`sorted_`) is fully sorted
// when it is opened (a counting sort on the time bits, then tiny sorts of
// the runs) and then read front to back. Events pushed into the open bucket
// after it was sorted go to a small binary heap (`near_`); a pop takes the
// earlier of the two heads. The next `ring_size - 1` buckets are unsorted
// vectors in a ring; everything later waits in a binary heap (`far_`), which
// the adaptation keeps nearly empty by sizing the ring window to about twice
// the span of the pending events -- unless that span is long timers while
// most events are held a short time ahead: then the width follows the pop
// rate (about kPerBucket events per bucket) and the timers wait in far_, as
// long as they are few (kCappedFarMax).
//
// Why coarse buckets: a push appends to one of a few thousand bucket tails,
// whose headers and last cache lines stay in L2, instead of missing twice on
// one of ~10^5 fine buckets; the cost moves to a sort of a contiguous,
// L1-resident bucket at open time, which reads memory sequentially.
//
// The dispatch order never depends on the width: buckets partition time and
// every container that pops orders by (time, seq). No allocation per event
// once the vectors have grown to the working set; rebuilds are O(n) and
// rate-limited to about one per n/4 pops (n >= 8192), so amortized O(1).
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

  // REQUIRES: e.time_ns >= 0. Any time at or after the last popped event is
  // fine, including earlier than the current top.
  void push(const Event& e) {
    ECSIM_ASSERT(e.time_ns >= 0);
    const uint64_t t = static_cast<uint64_t>(e.time_ns);
    ++size_;
    if (t < current_end_) {
      push_near(e);
    } else if (t < window_end_) {
      append(ring_[bucket_of(t)], e);
      ++ring_count_;
    } else {
      far_.push_back(e);
      std::push_heap(far_.begin(), far_.end(), Later{});
    }
  }

  // REQUIRES: !empty(). The earliest event; may advance the window.
  const Event& top() {
    ECSIM_ASSERT(size_ > 0);
    if (cursor_ == sorted_.size() && near_.empty()) refill();
    return take_sorted() ? sorted_[cursor_] : near_top();
  }

  // REQUIRES: !empty().
  Event pop() {
    ECSIM_ASSERT(size_ > 0);
    if (cursor_ == sorted_.size() && near_.empty()) refill();
    Event e;
    if (take_sorted()) {
      e = sorted_[cursor_++];
    } else {
      near_heap_pops_ += near_is_heap_ ? 1 : 0;
      e = pop_near();
    }
    --size_;
    if (++pops_since_adapt_ >= adapt_period_) adapt();
    return e;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // The bytes its buffers hold (--memory-max, sim.events): the ring's slots
  // keep the room of their fullest visit and a rebuild stages every event
  // once more, so this is several times size() x sizeof(Event).
  size_t reserved_bytes() const {
    return (ring_slot_events_ + sorted_.capacity() + sort_buf_.capacity() + near_.capacity() + far_.capacity() +
            scratch_.capacity()) * sizeof(Event) +
           ring_.capacity() * sizeof(std::vector<Event>) + counts_.capacity() * sizeof(uint32_t);
  }
  int bucket_shift() const { return shift_; }
  size_t ring_size() const { return ring_.size(); }
  uint64_t rebuilds() const { return rebuilds_; }

 private:
  struct Later {
    bool operator()(const Event& x, const Event& y) const { return event_before(y, x); }
  };

  // True when the next event comes from the sorted bucket rather than near_.
  // REQUIRES: one of them is non-empty.
  bool take_sorted() const {
    if (cursor_ == sorted_.size()) return false;
    return near_.empty() || event_before(sorted_[cursor_], near_top());
  }

  // near_ holds the few events pushed into the open bucket. While small it is
  // an array sorted latest-first: a push shifts the (few) earlier events one
  // slot, a pop is a branch-free take from the back, where a heap would pay a
  // mispredicted branch per level. Past kNearSortedMax it turns into a heap
  // (O(log n)) until it next runs empty, so a burst never costs O(n) a push.
  static constexpr size_t kNearSortedMax = 32;
  const Event& near_top() const { return near_is_heap_ ? near_.front() : near_.back(); }
  void push_near(const Event& e) {
    if (!near_is_heap_ && near_.size() < kNearSortedMax) {
      near_.push_back(e);
      size_t j = near_.size() - 1;
      for (; j > 0 && event_before(near_[j - 1], e); --j) near_[j] = near_[j - 1];
      near_[j] = e;
      return;
    }
    if (!near_is_heap_) {
      std::make_heap(near_.begin(), near_.end(), Later{});
      near_is_heap_ = true;
    }
    near_.push_back(e);
    std::push_heap(near_.begin(), near_.end(), Later{});
  }
  Event pop_near() {
    ECSIM_ASSERT(!near_.empty());
    if (near_is_heap_) std::pop_heap(near_.begin(), near_.end(), Later{});
    const Event e = near_.back();
    near_.pop_back();
    if (near_.empty()) near_is_heap_ = false;
    return e;
  }
  size_t bucket_of(uint64_t t) const { return static_cast<size_t>(t >> shift_) & (ring_.size() - 1); }
  uint64_t width() const { return uint64_t{1} << shift_; }
  // A fresh slot starts at kSlotCapMin events rather than 1: std::vector's
  // doubling from 1 costs ~7 reallocations and copies per slot on the first
  // pass over a new ring, which a long window (seconds) makes a long phase.
  static constexpr size_t kSlotCapMin = 64;
  void append(std::vector<Event>& slot, const Event& e) {
    if (slot.size() == slot.capacity()) [[unlikely]] {
      const size_t had = slot.capacity();
      slot.reserve(std::max(kSlotCapMin, 2 * slot.capacity()));
      ring_slot_events_ += slot.capacity() - had;
    }
    slot.push_back(e);
  }
  // Walks the ring for its slots' capacity (at a rebuild, which walks it anyway).
  void count_ring_slots();
  void refill();
  void advance_one();
  void jump_to_far();
  void pull_far();
  void sort_open_bucket();
  void adapt();
  void reset_adapt_counters();
  void rebuild();
  void size_ring(size_t ring_size, size_t n);

  // Bounds are unsigned so that start + window never overflows for event
  // times up to INT64_MAX (the window is capped at 2^62 ns).
  std::vector<Event> sorted_;             // the open bucket, sorted; [cursor_, end) pending
  size_t cursor_ = 0;
  std::vector<Event> near_;               // pushed below current_end_ after opening
  bool near_is_heap_ = false;             // else sorted latest-first
  std::vector<std::vector<Event>> ring_;  // [current_end_, window_end_), unsorted
  std::vector<Event> far_;                // heap: at or after window_end_
  int shift_ = 10;
  uint64_t current_start_ = 0;
  uint64_t current_end_ = 0;
  uint64_t window_end_ = 0;
  size_t size_ = 0;
  size_t ring_count_ = 0;
  uint64_t pops_since_adapt_ = 0;
  uint64_t adapt_period_ = 8192;
  uint64_t buckets_opened_ = 0;    // non-empty buckets opened since the last adapt
  uint64_t buckets_advanced_ = 0;  // all buckets stepped over since the last adapt
  uint64_t sorted_pops_ = 0;       // events that went through a sorted bucket
  uint64_t near_heap_pops_ = 0;    // events popped from near_ as a heap since the last adapt
  uint64_t period_start_ = 0;      // current_start_ at the last adapt
  // When most events are scheduled a short hold ahead but the pending set
  // is mostly long timers, the pending spread makes buckets so wide that
  // nearly every push lands in the open bucket, and near_ works as a large
  // binary heap. Then the width is capped by the pop rate instead: a bucket
  // of 2^rate_shift_ ns sees about kPerBucket events, and the long timers
  // wait in far_.
  int rate_shift_ = 64;
  bool near_bound_ = false;  // the last adapt found near_ doing most of the work
  bool capped_ = false;      // the current layout's width is rate_shift_
  // A capped layout is kept only while far_ stays this small: a large far_
  // heap (a hundred thousand timers) costs more than the open bucket's.
  static constexpr size_t kCappedFarMax = 4096;
  uint64_t rebuilds_ = 0;
  std::vector<Event> scratch_;   // rebuild staging
  std::vector<Event> sort_buf_;  // counting-sort target, swapped with sorted_
  std::vector<uint32_t> counts_;
  // Events the ring's slots have room for: counted at each rebuild, plus
  // what the slots grew by since (swaps with sorted_ move room, not add it).
  size_t ring_slot_events_ = 0;
};

}  // namespace ecsim::sim
