// A node's disk: an append-only log that survives crashes. A sync costs
// simulated time and makes every write appended before it durable. On a
// crash, a seeded-random suffix of the un-synced writes is lost (possibly
// none, possibly all); a synced write is never lost.
//
// The log is accounted for --memory-max (sim::Resource::kDiskEntries): each
// entry as its length plus the per-entry overhead of the resource table,
// added on append and given back by a crash's truncation or the disk's end.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/sim/rng.hpp"

namespace ecsim::node {

class Disk {
 public:
  static constexpr size_t kEntriesMax = size_t{1} << 24;
  static constexpr size_t kEntryBytesMax = 1 << 20;

  Disk() = default;
  ~Disk();
  Disk(Disk&& other) noexcept;
  Disk& operator=(Disk&& other) noexcept;
  Disk(const Disk&) = delete;
  Disk& operator=(const Disk&) = delete;

  // Appends an entry; returns its index. Refused (returns false, counted)
  // at kEntriesMax.
  bool append(std::string_view bytes);
  size_t length() const { return entries_.size(); }
  size_t durable_length() const { return durable_; }
  const std::string& entry(size_t i) const { return entries_[i]; }
  uint64_t refused() const { return refused_; }
  // The accounted bytes of the log.
  int64_t accounted_bytes() const { return bytes_; }

  // Marks the first `length` entries durable (a sync that covered them
  // completed). Never moves backwards.
  void make_durable(size_t length);
  // Crash: keeps the durable prefix and a uniformly drawn number of the
  // un-synced entries after it. Returns the number of entries kept.
  size_t crash(sim::Rng& rng);

 private:
  std::vector<std::string> entries_;
  size_t durable_ = 0;
  uint64_t refused_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace ecsim::node
