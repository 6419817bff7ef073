#include "ecsim/tiers/billing_cache.hpp"

#include <utility>

#include "ecsim/sim/assert.hpp"

namespace ecsim::tiers {

BillingCache::BillingCache(uint32_t entries_max, int64_t staleness_max_ns, std::vector<net::NodeId> cores,
                           uint32_t reads_max)
    : entries_max_(entries_max), staleness_max_ns_(staleness_max_ns), cores_(std::move(cores)), reads_max_(reads_max) {
  ECSIM_ASSERT(entries_max_ > 0 && staleness_max_ns_ > 0 && reads_max_ > 0);
  ECSIM_ASSERT(!cores_.empty());
}

bool BillingCache::in_sync(int64_t now_ns, const Delivered& delivered) const {
  for (const net::NodeId core : cores_) {
    const auto it = syncs_.find(core);
    if (it == syncs_.end()) return false;  // never heard from it
    const CacheSync& s = it->second;
    if (s.at_ns < now_ns - staleness_max_ns_) return false;
    if (s.inval_seq > 0 && !delivered(core, s.epoch, s.inval_seq)) return false;
  }
  return true;
}

std::optional<uint64_t> BillingCache::lookup(uint64_t key, int64_t now_ns, const Delivered& delivered) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    ++counters_.misses;
    return std::nullopt;
  }
  if (!in_sync(now_ns, delivered)) {
    ++counters_.misses;
    ++counters_.unsynced;
    return std::nullopt;
  }
  ++counters_.served;
  return it->second.value;
}

void BillingCache::read_started(uint64_t read, uint64_t key) {
  ECSIM_ASSERT(reads_.count(read) == 0);
  if (reads_.size() >= reads_max_) {
    ++counters_.untracked;  // its answer fills nothing
    return;
  }
  reads_.emplace(read, Read{key, false});
}

bool BillingCache::read_answered(uint64_t read, uint64_t value, bool cacheable) {
  const auto it = reads_.find(read);
  if (it == reads_.end()) return false;  // untracked
  const Read r = it->second;
  reads_.erase(it);
  if (r.raced || !cacheable) {
    ++counters_.fill_refused;
    return false;
  }
  const auto held = entries_.find(r.key);
  if (held != entries_.end()) {
    by_order_.erase(held->second.order);
    entries_.erase(held);
  } else if (entries_.size() >= entries_max_) {
    const auto oldest = by_order_.begin();
    entries_.erase(oldest->second);
    by_order_.erase(oldest);
    ++counters_.evicted;
  }
  const uint64_t order = next_order_++;
  entries_.emplace(r.key, Entry{value, order});
  by_order_.emplace(order, r.key);
  ++counters_.filled;
  check_invariants();
  return true;
}

void BillingCache::read_dropped(uint64_t read) { reads_.erase(read); }

bool BillingCache::invalidate(uint64_t key) {
  for (auto& [id, r] : reads_) {
    if (r.key == key) r.raced = true;
  }
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  by_order_.erase(it->second.order);
  entries_.erase(it);
  ++counters_.invalidated;
  check_invariants();
  return true;
}

size_t BillingCache::sync(net::NodeId core, const CacheSync& s) {
  const auto it = syncs_.find(core);
  if (it == syncs_.end()) {
    // The first word from this core (at start, or since this node
    // restarted): what it did before is unknown, so nothing held is sure.
    syncs_.emplace(core, s);
    return flush();
  }
  CacheSync& held = it->second;
  // An answer of an older epoch, or one older than the last refusal seen,
  // arriving late changes nothing.
  if (s.epoch < held.epoch || (s.epoch == held.epoch && s.refused < held.refused)) return 0;
  if (s.epoch != held.epoch || s.refused != held.refused) {
    // A new incarnation may have lost invalidations it had accepted; a
    // refusal is an invalidation never sent. Either: nothing held is sure.
    held = s;
    return flush();
  }
  if (s.at_ns > held.at_ns) held = s;  // answers may arrive out of order: keep the newest
  return 0;
}

size_t BillingCache::flush() {
  for (auto& [id, r] : reads_) r.raced = true;
  const size_t n = entries_.size();
  entries_.clear();
  by_order_.clear();
  counters_.flushed += n;
  return n;
}

void BillingCache::check_invariants() const {
  ECSIM_ASSERT(entries_.size() == by_order_.size());
  ECSIM_ASSERT(entries_.size() <= entries_max_);
  ECSIM_ASSERT(reads_.size() <= reads_max_);
}

}  // namespace ecsim::tiers
