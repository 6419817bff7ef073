#include "ecsim/node/disk.hpp"

#include <algorithm>

#include "ecsim/sim/assert.hpp"

namespace ecsim::node {

bool Disk::append(std::string_view bytes) {
  ECSIM_ASSERT(bytes.size() <= kEntryBytesMax);
  if (entries_.size() >= kEntriesMax) {
    ++refused_;
    return false;
  }
  entries_.emplace_back(bytes);
  return true;
}

void Disk::make_durable(size_t length) {
  ECSIM_ASSERT(length <= entries_.size());
  durable_ = std::max(durable_, length);
}

size_t Disk::crash(sim::Rng& rng) {
  ECSIM_ASSERT(durable_ <= entries_.size());
  const size_t unsynced = entries_.size() - durable_;
  const size_t kept_unsynced =
      unsynced == 0 ? 0 : static_cast<size_t>(rng.below(static_cast<uint64_t>(unsynced) + 1));
  entries_.resize(durable_ + kept_unsynced);
  ECSIM_ASSERT(entries_.size() >= durable_);
  return entries_.size();
}

}  // namespace ecsim::node
