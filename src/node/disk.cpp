#include "ecsim/node/disk.hpp"

#include <algorithm>
#include <cstddef>
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
    : entries_(std::move(other.entries_)),
      first_(other.first_),
      durable_(other.durable_),
      refused_(other.refused_),
      bytes_(other.bytes_) {
  other.entries_.clear();
  other.first_ = 0;
  other.durable_ = 0;
  other.bytes_ = 0;
}

Disk& Disk::operator=(Disk&& other) noexcept {
  if (this == &other) return *this;
  sim::memory_add(sim::Resource::kDiskEntries, -bytes_);
  entries_ = std::move(other.entries_);
  first_ = other.first_;
  durable_ = other.durable_;
  refused_ = other.refused_;
  bytes_ = other.bytes_;
  other.entries_.clear();
  other.first_ = 0;
  other.durable_ = 0;
  other.bytes_ = 0;
  return *this;
}

const std::string& Disk::entry(size_t i) const {
  ECSIM_ASSERT(i >= first_ && i < length());
  return entries_[i - first_];
}

bool Disk::append(std::string_view bytes) {
  ECSIM_ASSERT(bytes.size() <= kEntryBytesMax);
  if (full()) {
    ++refused_;
    return false;
  }
  entries_.emplace_back(bytes);
  bytes_ += entry_bytes(bytes.size());
  sim::memory_add(sim::Resource::kDiskEntries, entry_bytes(bytes.size()));
  return true;
}

void Disk::make_durable(size_t length) {
  ECSIM_ASSERT(length <= this->length());
  durable_ = std::max(durable_, length);
}

size_t Disk::crash(sim::Rng& rng) {
  ECSIM_ASSERT(first_ <= durable_ && durable_ <= length());
  const size_t unsynced = length() - durable_;
  const size_t kept_unsynced =
      unsynced == 0 ? 0 : static_cast<size_t>(rng.below(static_cast<uint64_t>(unsynced) + 1));
  const size_t keep = durable_ + kept_unsynced - first_;  // entries held after the crash
  int64_t lost = 0;
  for (size_t i = keep; i < entries_.size(); ++i) lost += entry_bytes(entries_[i].size());
  entries_.resize(keep);
  bytes_ -= lost;
  sim::memory_add(sim::Resource::kDiskEntries, -lost);
  ECSIM_ASSERT(length() >= durable_);
  return length();
}

size_t Disk::truncate_front(size_t index) {
  ECSIM_ASSERT(index >= first_ && index <= durable_);
  const size_t dropped = index - first_;
  int64_t freed = 0;
  for (size_t i = 0; i < dropped; ++i) freed += entry_bytes(entries_[i].size());
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(dropped));
  first_ = index;
  bytes_ -= freed;
  sim::memory_add(sim::Resource::kDiskEntries, -freed);
  return dropped;
}

}  // namespace ecsim::node
