#include "ecsim/proto/vclock.hpp"
#include "ecsim/proto/plant.hpp"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::vclock {

namespace {

using Entries = std::vector<std::pair<NodeId, uint64_t>>;

// Raises `into`'s counters to `other`'s in one forward pass, in place and
// without allocating, as long as every node of `other` already has an entry
// in `into` (the steady state once a node has heard of its peers). Returns
// false at the first node `into` lacks: the maxima taken up to there are
// what the union merge takes for them too, so the caller finishes with it.
bool merge_in_place(Entries& into, const Entries& other) {
  auto it = into.begin();
  const auto end = into.end();
  for (const auto& [node, counter] : other) {
    while (it != end && it->first < node) ++it;
    if (it == end || it->first != node) return false;
    it->second = std::max(it->second, counter);
    ++it;
  }
  return true;
}

Entries merge_union(const Entries& a, const Entries& b) {
  Entries out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, std::max(a[i].second, b[j].second));
      ++i, ++j;
    }
  }
  return out;
}

// One (node u32, counter u64) pair in its 12 little-endian bytes. On a
// little-endian host (the only kind the trace supports, sim/trace.hpp) the
// bytes are the values' own, so two plain copies do what a byte loop would;
// this runs for every clock record, twice per message.
void put_entry(unsigned char* out, NodeId node, uint64_t counter) {
  static_assert(std::endian::native == std::endian::little);
  static_assert(sizeof(NodeId) == 4);
  std::memcpy(out, &node, sizeof node);
  std::memcpy(out + sizeof node, &counter, sizeof counter);
}

}  // namespace

const char* order_name(Order o) {
  switch (o) {
    case Order::kEqual:
      return "equal";
    case Order::kBefore:
      return "before";
    case Order::kAfter:
      return "after";
    case Order::kConcurrent:
      return "concurrent";
  }
  return "?";
}

bool is_valid(const VectorClock& c) {
  if (c.entries.size() > kEntriesMax) return false;
  for (size_t i = 0; i < c.entries.size(); ++i) {
    if (c.entries[i].second == 0) return false;
    if (i > 0 && c.entries[i - 1].first >= c.entries[i].first) return false;
  }
  return true;
}

void increment(VectorClock& c, NodeId node) {
  auto& e = c.entries;
  auto it = std::lower_bound(e.begin(), e.end(), node,
                             [](const auto& x, NodeId n) { return x.first < n; });
  if (it != e.end() && it->first == node) {
    ECSIM_ASSERT(it->second < UINT64_MAX);
    ++it->second;
    return;
  }
  ECSIM_ASSERT(e.size() < kEntriesMax);
  e.insert(it, {node, 1});
}

void merge(VectorClock& into, const VectorClock& other) {
  if (!merge_in_place(into.entries, other.entries)) {
    into.entries = merge_union(into.entries, other.entries);
  }
  ECSIM_ASSERT(into.entries.size() <= kEntriesMax);
}

Order compare(const VectorClock& a, const VectorClock& b) {
  bool a_less = false;  // some entry of a is below b's
  bool b_less = false;  // some entry of b is below a's
  size_t i = 0, j = 0;
  const auto& x = a.entries;
  const auto& y = b.entries;
  // The common case (both clocks name the same nodes) in one tight pass;
  // at the first node that differs, the general walk below goes on from
  // there with what this pass found.
  if (x.size() == y.size()) {
    while (i < x.size() && x[i].first == y[i].first) {
      a_less |= x[i].second < y[i].second;
      b_less |= y[i].second < x[i].second;
      ++i;
    }
    j = i;
  }
  while ((i < x.size() || j < y.size()) && !(a_less && b_less)) {
    // A node missing from one side counts as 0 there.
    if (j == y.size() || (i < x.size() && x[i].first < y[j].first)) {
      b_less = true, ++i;
    } else if (i == x.size() || y[j].first < x[i].first) {
      a_less = true, ++j;
    } else {
      a_less |= x[i].second < y[j].second;
      b_less |= y[j].second < x[i].second;
      ++i, ++j;
    }
  }
  if (a_less && b_less) return Order::kConcurrent;
  if (a_less) return Order::kBefore;
  if (b_less) return Order::kAfter;
  return Order::kEqual;
}

bool happens_before(const VectorClock& a, const VectorClock& b) {
  return compare(a, b) == Order::kBefore;
}

uint64_t sum(const VectorClock& c) {
  uint64_t total = 0;
  for (const auto& [node, counter] : c.entries) total += counter;
  return total;
}

uint64_t hash(const VectorClock& c) {
  constexpr size_t kPairBytes = 12;
  constexpr size_t kStackPairs = 32;
  std::array<unsigned char, kPairBytes * kStackPairs> stack_buf;
  std::vector<unsigned char> heap_buf;
  unsigned char* buf = stack_buf.data();
  // Most clocks are small; only a large one pays for an allocation.
  if (c.entries.size() > kStackPairs) {
    heap_buf.resize(kPairBytes * c.entries.size());
    buf = heap_buf.data();
  }
  for (size_t i = 0; i < c.entries.size(); ++i) {
    put_entry(buf + kPairBytes * i, c.entries[i].first, c.entries[i].second);
  }
  return XXH3_64bits(buf, kPairBytes * c.entries.size());
}

std::string to_string(const VectorClock& c, const std::vector<std::string>& names) {
  std::string out = "{";
  for (size_t i = 0; i < c.entries.size(); ++i) {
    const auto& [node, counter] = c.entries[i];
    if (i > 0) out += ", ";
    out += node < names.size() ? names[node] : std::to_string(node);
    out += ':';
    out += std::to_string(counter);
  }
  out += '}';
  return out;
}

VectorClock ClockKeeper::on_send() {
  increment(clock_, self_);
  return clock_;
}

void ClockKeeper::on_send(VectorClock& out) {
  increment(clock_, self_);
  out.entries.assign(clock_.entries.begin(), clock_.entries.end());
}

void ClockKeeper::on_receive(const VectorClock& carried) {
  ECSIM_ASSERT(is_valid(carried));
  if (planted(Plant::kVclockSkipMerge)) {  // planted bug: the receive forgets what it heard of
    increment(clock_, self_);
    return;
  }
  // Entry-wise max, then self raised: carried is strictly before the clock
  // (tests/unit/test_vclock.cpp checks it over random exchanges). A whole
  // compare here was 1.8 % of the quickstart's instructions; the cheap
  // part of it stays.
  merge(clock_, carried);
  increment(clock_, self_);
  ECSIM_ASSERT(clock_.entries.size() >= carried.entries.size());
}

}  // namespace ecsim::proto::vclock
