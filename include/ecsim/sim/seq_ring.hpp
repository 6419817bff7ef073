// SeqRing: live entries keyed by sequence numbers that are inserted in
// increasing order and span a bounded window, held in a ring indexed by
// seq (in place of a std::map from seq to entry: one tree node allocated
// and freed per message, a pointer chase per step of a walk).
//
// What it promises:
// - Keys are inserted strictly increasing (each above every key inserted
//   before, erased or not) and never 0; every live key lies within
//   `span_max` of the lowest live one. Both are asserted.
// - Erase any live key, in any order; lowest() is the smallest live key.
// - for_each visits the live entries by ascending seq, the order of the
//   map it replaces, so a caller's observable order is unchanged.
// - Lazy: the ring starts empty and doubles (a power of two) while the
//   keys between the lowest live key and the newest need more slots, up
//   to span_max rounded up to a power of two; no allocation otherwise.
#pragma once
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

template <class T>
class SeqRing {
 public:
  // REQUIRES: span_max >= 1.
  explicit SeqRing(uint64_t span_max) : span_max_(span_max) { ECSIM_ASSERT(span_max_ >= 1); }

  bool empty() const { return live_ == 0; }
  size_t size() const { return live_; }
  // REQUIRES: !empty().
  uint64_t lowest() const {
    ECSIM_ASSERT(live_ > 0);
    return lo_;
  }
  // REQUIRES: !empty(). The newest live key.
  uint64_t highest() const {
    ECSIM_ASSERT(live_ > 0);
    uint64_t s = hi_ - 1;
    while (slot(s).seq != s) --s;
    return s;
  }

  // REQUIRES: seq above every key inserted so far, within span_max of
  // lowest() when not empty.
  T& insert(uint64_t seq, const T& value) {
    ECSIM_ASSERT(seq != 0 && seq >= hi_);
    if (live_ == 0) lo_ = seq;
    ECSIM_ASSERT(seq - lo_ < span_max_);
    if (seq - lo_ >= slots_.size()) grow(seq - lo_ + 1);
    Slot& s = slot(seq);
    ECSIM_ASSERT(s.seq == 0);
    s.seq = seq;
    s.value = value;
    hi_ = seq + 1;
    ++live_;
    return s.value;
  }

  // The entry under `seq`, or nullptr when it is not live.
  T* find(uint64_t seq) {
    if (live_ == 0 || seq < lo_ || seq >= hi_) return nullptr;
    Slot& s = slot(seq);
    return s.seq == seq ? &s.value : nullptr;
  }

  // REQUIRES: find(seq) != nullptr.
  void erase(uint64_t seq) {
    ECSIM_ASSERT(find(seq) != nullptr);
    slot(seq).seq = 0;
    --live_;
    if (live_ == 0) {
      lo_ = hi_;
      return;
    }
    while (slot(lo_).seq != lo_) ++lo_;
  }

  // Calls f(seq, T&) for each live entry by ascending seq. f must not
  // insert or erase.
  template <class F>
  void for_each(F&& f) {
    if (live_ == 0) return;
    for (uint64_t s = lo_; s < hi_; ++s) {
      Slot& x = slot(s);
      if (x.seq == s) f(s, x.value);
    }
  }
  template <class F>
  void for_each(F&& f) const {
    if (live_ == 0) return;
    for (uint64_t s = lo_; s < hi_; ++s) {
      const Slot& x = slot(s);
      if (x.seq == s) f(s, x.value);
    }
  }

 private:
  struct Slot {
    uint64_t seq = 0;  // 0: free
    T value{};
  };
  Slot& slot(uint64_t seq) { return slots_[seq & (slots_.size() - 1)]; }
  const Slot& slot(uint64_t seq) const { return slots_[seq & (slots_.size() - 1)]; }

  void grow(uint64_t needed) {
    const size_t size = std::bit_ceil(static_cast<size_t>(std::max<uint64_t>(needed, 4)));
    std::vector<Slot> bigger(size);
    for (const Slot& s : slots_) {
      if (s.seq != 0) bigger[s.seq & (size - 1)] = s;
    }
    slots_.swap(bigger);
  }

  std::vector<Slot> slots_;
  uint64_t span_max_;
  uint64_t lo_ = 0;  // the lowest live key when live_ > 0
  uint64_t hi_ = 1;  // one past the newest key inserted
  size_t live_ = 0;
};

}  // namespace ecsim::sim
