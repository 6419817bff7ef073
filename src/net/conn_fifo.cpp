#include "ecsim/net/conn_fifo.hpp"

#include <algorithm>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::net {

namespace {

// splitmix64's finaliser over the key: spreads consecutive ids.
size_t slot_of(uint32_t link, uint64_t conn, size_t mask) {
  uint64_t z = conn ^ (uint64_t{link} * 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<size_t>(z ^ (z >> 31)) & mask;
}

}  // namespace

ConnFifo::ConnFifo(uint32_t slots_max) : slots_max_(slots_max) {
  ECSIM_ASSERT(slots_max >= kSlotsMin && slots_max <= kSlotsMax && (slots_max & (slots_max - 1)) == 0);
}

int64_t ConnFifo::order(uint32_t link, uint32_t epoch, uint64_t conn, int64_t at_ns, int64_t now_ns,
                        const std::vector<uint32_t>& link_epochs, uint32_t node) {
  ECSIM_ASSERT(conn != 0 && at_ns > now_ns);
  if (slots_.empty()) {
    slots_.resize(kSlotsMin);
    account();
  }
  const size_t mask = slots_.size() - 1;
  size_t i = slot_of(link, conn, mask);
  size_t reusable = slots_.size();  // the first stale slot of the chain
  for (size_t probes = 0;; ++probes) {
    ECSIM_ASSERT(probes < slots_.size());  // the table is never full (rebuild)
    Slot& s = slots_[i];
    if (s.conn == 0) break;
    if (s.conn == conn && s.link == link) {
      if (live(s, now_ns, link_epochs)) at_ns = std::max(at_ns, s.last_deliver_ns);
      s.epoch = epoch;
      s.last_deliver_ns = at_ns;
      return at_ns;
    }
    if (reusable == slots_.size() && !live(s, now_ns, link_epochs)) reusable = i;
    i = (i + 1) & mask;
  }
  // A connection with nothing in flight: a new entry, in a stale slot of
  // its chain if there is one (the key is nowhere further along).
  if (reusable == slots_.size()) {
    if ((used_ + 1) * 2 > slots_max_) {
      // At the limit: drop the stale entries; if the live ones still fill
      // half the largest table, leave this connection untracked.
      rebuild(now_ns, link_epochs);
      if ((used_ + 1) * 2 > slots_max_) {
        sim::limit_reached(sim::Resource::kConnFifo, node);
        return at_ns;
      }
      return order(link, epoch, conn, at_ns, now_ns, link_epochs, node);  // probe the new table
    }
    reusable = i;
    ++used_;
  }
  slots_[reusable] = Slot{conn, link, epoch, at_ns};
  if (used_ * 2 > slots_.size()) rebuild(now_ns, link_epochs);
  return at_ns;
}

// Keeps the live entries only, in a table at least four times their number.
void ConnFifo::rebuild(int64_t now_ns, const std::vector<uint32_t>& link_epochs) {
  // The old slots move to the scratch buffer and the table reuses the
  // scratch buffer's storage: no allocation once both reached their size.
  scratch_.swap(slots_);
  const std::vector<Slot>& old = scratch_;
  size_t live_count = 0;
  for (const Slot& s : old) live_count += s.conn != 0 && live(s, now_ns, link_epochs) ? 1 : 0;
  size_t size = kSlotsMin;
  while (size < live_count * 4 && size < slots_max_) size *= 2;
  ECSIM_ASSERT(size <= slots_max_ && live_count * 2 <= size);
  slots_.assign(size, Slot{});
  used_ = 0;
  const size_t mask = size - 1;
  for (const Slot& s : old) {
    if (s.conn == 0 || !live(s, now_ns, link_epochs)) continue;
    size_t i = slot_of(s.link, s.conn, mask);
    while (slots_[i].conn != 0) i = (i + 1) & mask;
    slots_[i] = s;
    ++used_;
  }
  account();
}

}  // namespace ecsim::net
