// A node's disk: an append-only log that survives crashes. A sync costs
// simulated time and makes every write appended before it durable. On a
// crash, a seeded-random suffix of the un-synced writes is lost (possibly
// none, possibly all); a synced write is never lost.
//
// Entries are numbered from 0 in append order, for the disk's whole life: an
// index never moves. The owner may truncate the front of the log (drop the
// entries before an index) once what they held is durable elsewhere on it, a
// checkpoint: then entries [first(), length()) remain, and length() still
// counts every entry ever kept, so a log position stays comparable across a
// truncation (and the traced lengths do not depend on it).
//
// The log is accounted for --memory-max (sim::Resource::kDiskEntries): each
// entry as its length plus the per-entry overhead of the resource table,
// added on append and given back by a truncation, a crash or the disk's end.
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

  // Appends an entry at index length(). Refused (returns false, counted)
  // when kEntriesMax entries are retained.
  bool append(std::string_view bytes);
  // One past the last entry's index (entries truncated away included).
  size_t length() const { return first_ + entries_.size(); }
  // The index of the first entry still held.
  size_t first() const { return first_; }
  // The entries held: length() - first().
  size_t retained() const { return entries_.size(); }
  bool full() const { return entries_.size() >= kEntriesMax; }
  size_t durable_length() const { return durable_; }
  // REQUIRES: first() <= i < length().
  const std::string& entry(size_t i) const;
  uint64_t refused() const { return refused_; }
  // The accounted bytes of the log.
  int64_t accounted_bytes() const { return bytes_; }

  // Marks the first `length` entries durable (a sync that covered them
  // completed). Never moves backwards.
  void make_durable(size_t length);
  // Crash: keeps the durable prefix and a uniformly drawn number of the
  // un-synced entries after it. Returns the log's length after it.
  size_t crash(sim::Rng& rng);
  // Drops the entries before `index` (a checkpoint made them redundant) and
  // returns how many. REQUIRES: first() <= index <= durable_length(): only
  // durable entries are dropped, so a crash never resurrects or loses less
  // than it would have without the truncation.
  size_t truncate_front(size_t index);

 private:
  std::vector<std::string> entries_;  // entries_[i] is entry first_ + i
  size_t first_ = 0;
  size_t durable_ = 0;
  uint64_t refused_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace ecsim::node
