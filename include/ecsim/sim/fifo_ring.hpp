// FifoRing: a first-in, first-out queue held in one array used as a ring,
// in place of a std::deque that is only pushed at the back and popped at
// the front (a node's service queue). A std::deque allocates and frees a
// block every few hundred bytes as such a queue moves along, and reaches
// an element through its block map; the ring allocates only when it grows
// and indexes one array.
//
// What it promises:
// - push_back, pop_front, front, back, and [i] (0: the front) as a deque.
// - Lazy: no allocation until the first push; the array doubles (a power
//   of two, from 16) when a push finds it full, keeping the order. It
//   never shrinks; clear() empties it and keeps the array.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

template <class T>
class FifoRing {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

  // REQUIRES: i < size().
  T& operator[](size_t i) {
    ECSIM_ASSERT(i < size_);
    return slots_[(head_ + i) & (slots_.size() - 1)];
  }
  const T& operator[](size_t i) const {
    ECSIM_ASSERT(i < size_);
    return slots_[(head_ + i) & (slots_.size() - 1)];
  }
  // REQUIRES: !empty().
  T& front() { return (*this)[0]; }
  const T& front() const { return (*this)[0]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }

  void push_back(T value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = std::move(value);
    ++size_;
  }
  // REQUIRES: !empty().
  void pop_front() {
    ECSIM_ASSERT(size_ > 0);
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
  }
  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  void grow() {
    std::vector<T> bigger(slots_.empty() ? kFirstCapacity : slots_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    slots_.swap(bigger);
    head_ = 0;
  }

  static constexpr size_t kFirstCapacity = 16;
  std::vector<T> slots_;  // a power of two long, or empty
  size_t head_ = 0;       // the front's slot
  size_t size_ = 0;
};

}  // namespace ecsim::sim
