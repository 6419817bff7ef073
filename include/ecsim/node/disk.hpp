// A node's disk: an append-only log that survives crashes. A sync costs
// simulated time and makes every write appended before it durable. On a
// crash, a seeded-random suffix of the un-synced writes is lost (possibly
// none, possibly all); a synced write is never lost.
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

  // Appends an entry; returns its index. Refused (returns false, counted)
  // at kEntriesMax.
  bool append(std::string_view bytes);
  size_t length() const { return entries_.size(); }
  size_t durable_length() const { return durable_; }
  const std::string& entry(size_t i) const { return entries_[i]; }
  uint64_t refused() const { return refused_; }

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
};

}  // namespace ecsim::node
