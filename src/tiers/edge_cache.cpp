#include "ecsim/tiers/edge_cache.hpp"

#include <algorithm>

#include "ecsim/sim/assert.hpp"

namespace ecsim::tiers {

uint64_t hit_ratio_ppm(uint64_t hits, uint64_t misses) {
  const uint64_t lookups = hits + misses;
  if (lookups == 0) return 0;
  // 128-bit product: hits * 1e6 overflows 64 bits past ~1.8e13 lookups.
  const unsigned __int128 scaled = static_cast<unsigned __int128>(hits) * 1000000u;
  return static_cast<uint64_t>(scaled / lookups);
}

// ---------------------------------------------------------------- EdgeCache

EdgeCache::EdgeCache(size_t capacity) : capacity_(capacity) {
  ECSIM_ASSERT(capacity >= 1 && capacity <= kCapacityMax);
  clear();
  counters_.clears = 0;  // the constructor's clear is not a crash
}

void EdgeCache::clear() {
  index_.clear();
  free_.clear();
  // O(slots), but only on a crash: every slot must look unlinked again.
  for (Slot& slot : slots_) slot.prev = slot.next = kNil;
  // Pushed in reverse so slot 0 is taken first, then the slots not yet
  // allocated in order: slot use is deterministic.
  for (size_t s = slots_.size(); s-- > 0;) free_.push_back(static_cast<uint32_t>(s));
  head_ = tail_ = kNil;
  size_ = 0;
  ++counters_.clears;
  check_invariants();
}

std::optional<CacheEntry> EdgeCache::get(uint64_t key, sim::Time now) {
  ECSIM_ASSERT(now >= last_now_);
  last_now_ = now;
  const uint32_t* at = index_.find(key);
  if (at == nullptr) {
    ++counters_.misses;
    return std::nullopt;
  }
  ++counters_.hits;
  const uint32_t s = *at;
  unlink(s);
  push_front(s);
  ECSIM_ASSERT(slots_[s].entry.key == key);
  return slots_[s].entry;
}

std::optional<CacheEntry> EdgeCache::peek(uint64_t key) const {
  const uint32_t* at = index_.find(key);
  if (at == nullptr) return std::nullopt;
  return slots_[*at].entry;
}

PutResult EdgeCache::put(uint64_t key, uint64_t value, Version version, sim::Time now) {
  ECSIM_ASSERT(now >= last_now_);
  last_now_ = now;
  if (const uint32_t* at = index_.find(key); at != nullptr) {
    const uint32_t s = *at;
    CacheEntry& e = slots_[s].entry;
    if (version < e.version) {
      ++counters_.stale_puts;
      return PutResult::kStale;
    }
    if (version == e.version) {
      ++counters_.equal_puts;
      return PutResult::kEqual;
    }
    e = CacheEntry{key, value, version, now};
    unlink(s);
    push_front(s);
    ++counters_.replacements;
    return PutResult::kReplaced;
  }
  const uint32_t s = take_slot();
  slots_[s].entry = CacheEntry{key, value, version, now};
  push_front(s);
  index_.try_emplace(key, s);
  ++size_;
  ++counters_.inserts;
  check_invariants();
  return PutResult::kInserted;
}

uint32_t EdgeCache::take_slot() {
  if (free_.empty() && slots_.size() < capacity_) {
    ECSIM_ASSERT(size_ == slots_.size());
    slots_.emplace_back();
    bytes_.set_entries(slots_.size());
    return static_cast<uint32_t>(slots_.size() - 1);
  }
  if (free_.empty()) {
    ECSIM_ASSERT(tail_ != kNil && size_ == slots_.size() && size_ == capacity_);
    const uint32_t victim = tail_;
    unlink(victim);
    index_.erase(slots_[victim].entry.key);
    --size_;
    ++counters_.evictions;
    return victim;
  }
  const uint32_t s = free_.back();
  free_.pop_back();
  return s;
}

void EdgeCache::unlink(uint32_t s) {
  Slot& slot = slots_[s];
  if (slot.prev != kNil)
    slots_[slot.prev].next = slot.next;
  else
    head_ = slot.next;
  if (slot.next != kNil)
    slots_[slot.next].prev = slot.prev;
  else
    tail_ = slot.prev;
  slot.prev = slot.next = kNil;
}

void EdgeCache::push_front(uint32_t s) {
  Slot& slot = slots_[s];
  ECSIM_ASSERT(slot.prev == kNil && slot.next == kNil && head_ != s);
  slot.next = head_;
  if (head_ != kNil) slots_[head_].prev = s;
  head_ = s;
  if (tail_ == kNil) tail_ = s;
}

std::vector<uint64_t> EdgeCache::keys_by_recency() const {
  std::vector<uint64_t> keys;
  keys.reserve(size_);
  for (uint32_t s = head_; s != kNil; s = slots_[s].next) keys.push_back(slots_[s].entry.key);
  ECSIM_ASSERT(keys.size() == size_);
  return keys;
}

void EdgeCache::check_invariants() const {
  ECSIM_ASSERT(size_ <= slots_.size() && slots_.size() <= capacity_);
  ECSIM_ASSERT(index_.size() == size_);
  ECSIM_ASSERT(free_.size() + size_ == slots_.size());
  ECSIM_ASSERT((size_ == 0) == (head_ == kNil) && (head_ == kNil) == (tail_ == kNil));
}

// ----------------------------------------------------------- StalenessMeter

StalenessMeter::StalenessMeter(size_t keys_max) : keys_max_(keys_max) {
  ECSIM_ASSERT(keys_max >= 1);
}

void StalenessMeter::on_ack(uint64_t key, Version version, sim::Time at) {
  KeyAcks* k = keys_.find(key);
  if (k == nullptr) {
    if (keys_.size() >= keys_max_) {
      ++acks_refused_;
      return;
    }
    k = keys_.try_emplace(key).first;
    keys_bytes_.set_bytes(static_cast<int64_t>(keys_.slot_count() * decltype(keys_)::slot_bytes()));
  }
  insert(*k, Ack{version, at});
  ECSIM_ASSERT(keys_.size() <= keys_max_);
}

// Keeps the history sorted by version and at most kAckHistoryMax long,
// dropping the oldest version: reads far behind matter less than the
// precision of recent staleness. A repeated ack keeps its earliest time.
void StalenessMeter::insert(KeyAcks& k, const Ack& a) {
  uint32_t pos = 0;
  while (pos < k.count && k.acks[pos].version < a.version) ++pos;
  if (pos < k.count && k.acks[pos].version == a.version) {
    k.acks[pos].at = std::min(k.acks[pos].at, a.at);
    return;
  }
  if (k.count == kAckHistoryMax) {
    k.dropped = true;
    if (pos == 0) return;  // older than everything retained
    std::copy(k.acks + 1, k.acks + pos, k.acks);
    --pos;
    --k.count;
  }
  std::copy_backward(k.acks + pos, k.acks + k.count, k.acks + k.count + 1);
  k.acks[pos] = a;
  ++k.count;
  ECSIM_ASSERT(k.count <= kAckHistoryMax);
}

ReadStaleness StalenessMeter::measure(const KeyAcks& k, Version version, sim::Time at,
                                      bool& truncated) const {
  ECSIM_ASSERT(k.count >= 1);
  ReadStaleness r;
  const Version newest = k.acks[k.count - 1].version;
  if (!(version < newest)) return r;
  r.stale = true;
  r.versions_behind = std::max<uint64_t>(
      1, newest.counter > version.counter ? newest.counter - version.counter : 0);
  // The read's value was superseded by the first ack of any newer version.
  sim::Time superseded = sim::Time::max();
  for (uint32_t i = 0; i < k.count; ++i) {
    if (version < k.acks[i].version) superseded = std::min(superseded, k.acks[i].at);
  }
  truncated = k.dropped && version < k.acks[0].version;
  // An ack reported after the read cannot have made it stale earlier than
  // the read itself; clamp so time never runs backwards.
  r.time_behind = at > superseded ? at - superseded : sim::Duration{};
  return r;
}

ReadStaleness StalenessMeter::on_read(uint64_t key, Version version, sim::Time at) {
  ++reads_;
  ReadStaleness r;
  bool truncated = false;
  if (const KeyAcks* k = keys_.find(key); k == nullptr) {
    ++unknown_key_reads_;
  } else {
    r = measure(*k, version, at, truncated);
  }
  if (r.stale) ++stale_reads_;
  if (truncated) ++truncated_reads_;
  versions_.add(static_cast<int64_t>(std::min<uint64_t>(r.versions_behind, INT64_MAX)));
  time_.add(r.time_behind.ns);
  ECSIM_ASSERT(stale_reads_ <= reads_);
  return r;
}

// ------------------------------------------------------------------ HotKeys

HotKeys::HotKeys(size_t capacity) : capacity_(capacity) {
  ECSIM_ASSERT(capacity >= 1 && capacity <= kCapacityMax);
}

void HotKeys::place(size_t i, const Entry& e) {
  heap_[i] = e;
  pos_[e.slot] = static_cast<uint32_t>(i);
}

// Moves the entry at i down while a child is colder.
void HotKeys::sift_down(size_t i) {
  const Entry e = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && colder(heap_[child + 1], heap_[child])) ++child;
    if (!colder(heap_[child], e)) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, e);
}

void HotKeys::touch(uint64_t key, uint64_t weight) {
  ECSIM_ASSERT(weight >= 1);
  if (const uint32_t* slot = at_.find(key); slot != nullptr) {
    // A larger count only makes the entry hotter: it can only move down.
    const uint32_t i = pos_[*slot];
    heap_[i].count += weight;
    sift_down(i);
    return;
  }
  if (heap_.size() == capacity_) {
    // The victim is the root: the coldest key, the largest among equals.
    // The newcomer takes its slot and inherits its count, so it is at
    // least as hot as the victim was and sinks from the root.
    const Entry victim = heap_[0];
    at_.erase(victim.key);
    ++replacements_;
    at_.try_emplace(key, victim.slot);
    heap_[0] = Entry{victim.count + weight, key, victim.slot};
    sift_down(0);
    check_invariants();
    return;
  }
  if (heap_.empty()) {
    heap_.reserve(std::min<size_t>(capacity_, 1024));
    pos_.reserve(std::min<size_t>(capacity_, 1024));
  }
  // A new entry takes the next slot, goes in at the end of the heap and
  // rises while it is colder than its parent.
  const auto slot = static_cast<uint32_t>(heap_.size());
  at_.try_emplace(key, slot);
  pos_.push_back(slot);
  size_t i = heap_.size();
  const Entry e{weight, key, slot};
  heap_.push_back(e);
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!colder(e, heap_[parent])) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, e);
  account();
  check_invariants();
}

uint64_t HotKeys::count(uint64_t key) const {
  const uint32_t* slot = at_.find(key);
  return slot == nullptr ? 0 : heap_[pos_[*slot]].count;
}

std::vector<uint64_t> HotKeys::top(size_t k) const {
  std::vector<Entry> sorted = heap_;
  const size_t n = std::min(k, sorted.size());
  // Hottest first: the reverse of `colder`, a strict total order over
  // distinct keys, so the result does not depend on the heap's layout.
  // The n hottest to the front in linear time, then only they are sorted.
  const auto hotter = [](const Entry& a, const Entry& b) { return colder(b, a); };
  const auto nth = sorted.begin() + static_cast<std::ptrdiff_t>(n);
  if (nth != sorted.end()) std::nth_element(sorted.begin(), nth, sorted.end(), hotter);
  std::sort(sorted.begin(), nth, hotter);
  std::vector<uint64_t> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back(sorted[i].key);
  return keys;
}

// Halving keeps the heap order except among entries whose counts become
// equal, so the heap is rebuilt; the root and `top` are defined by the
// total order alone, never by where entries sit.
void HotKeys::decay() {
  std::vector<Entry> halved;
  halved.reserve(heap_.size());
  for (const Entry& e : heap_) {
    if (e.count / 2 != 0) halved.push_back(Entry{e.count / 2, e.key, 0});
  }
  const auto hotter = [](const Entry& a, const Entry& b) { return colder(b, a); };
  std::make_heap(halved.begin(), halved.end(), hotter);
  heap_.swap(halved);
  // Slots renumbered: slot i starts at heap index i.
  at_.clear();
  at_.reserve(heap_.size());
  pos_.resize(heap_.size());
  for (size_t i = 0; i < heap_.size(); ++i) {
    heap_[i].slot = static_cast<uint32_t>(i);
    pos_[i] = static_cast<uint32_t>(i);
    at_[heap_[i].key] = static_cast<uint32_t>(i);
  }
  account();
  check_invariants();
}

void HotKeys::clear() {
  heap_.clear();
  pos_.clear();
  at_.clear();
  account();
}

void HotKeys::check_invariants() const {
  ECSIM_ASSERT(heap_.size() == at_.size() && pos_.size() == heap_.size());
  ECSIM_ASSERT(heap_.size() <= capacity_);
}

}  // namespace ecsim::tiers
