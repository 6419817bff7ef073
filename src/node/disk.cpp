#include "ecsim/node/disk.hpp"

#include <algorithm>
#include <utility>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::node {

namespace {
int64_t entry_bytes(size_t length) {
  return static_cast<int64_t>(length + sim::resource_info(sim::Resource::kDiskEntries).entry_bytes);
}
}  // namespace

Disk::~Disk() { sim::memory_add(sim::Resource::kDiskEntries, -bytes_); }

Disk::Disk(Disk&& other) noexcept
    : entries_(std::move(other.entries_)), durable_(other.durable_), refused_(other.refused_), bytes_(other.bytes_) {
  other.entries_.clear();
  other.durable_ = 0;
  other.bytes_ = 0;
}

Disk& Disk::operator=(Disk&& other) noexcept {
  if (this == &other) return *this;
  sim::memory_add(sim::Resource::kDiskEntries, -bytes_);
  entries_ = std::move(other.entries_);
  durable_ = other.durable_;
  refused_ = other.refused_;
  bytes_ = other.bytes_;
  other.entries_.clear();
  other.durable_ = 0;
  other.bytes_ = 0;
  return *this;
}

bool Disk::append(std::string_view bytes) {
  ECSIM_ASSERT(bytes.size() <= kEntryBytesMax);
  if (entries_.size() >= kEntriesMax) {
    ++refused_;
    return false;
  }
  entries_.emplace_back(bytes);
  bytes_ += entry_bytes(bytes.size());
  sim::memory_add(sim::Resource::kDiskEntries, entry_bytes(bytes.size()));
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
  int64_t lost = 0;
  for (size_t i = durable_ + kept_unsynced; i < entries_.size(); ++i) lost += entry_bytes(entries_[i].size());
  entries_.resize(durable_ + kept_unsynced);
  bytes_ -= lost;
  sim::memory_add(sim::Resource::kDiskEntries, -lost);
  ECSIM_ASSERT(entries_.size() >= durable_);
  return entries_.size();
}

}  // namespace ecsim::node
