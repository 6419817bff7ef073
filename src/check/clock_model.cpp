#include "ecsim/check/clock_model.hpp"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "ecsim/sim/assert.hpp"

namespace ecsim::check::clock_model {

namespace {

constexpr size_t kEntryBytes = 12;  // node u32 + counter u64, little-endian

// The canonical encoding: node as u32, counter as u64, both little-endian.
// The trace only runs on little-endian hosts (sim/trace.hpp), where those
// are the values' own bytes; the byte loop is kept for any other host.
void encode(const Clock& c, unsigned char* out) {
  for (const auto& [node, counter] : c.entries) {
    const uint32_t node_u32 = node;
    const uint64_t counter_u64 = counter;
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(out, &node_u32, 4);
      std::memcpy(out + 4, &counter_u64, 8);
      out += kEntryBytes;
    } else {
      for (int k = 0; k < 4; ++k) *out++ = static_cast<unsigned char>((node_u32 >> (8 * k)) & 0xff);
      for (int k = 0; k < 8; ++k) *out++ = static_cast<unsigned char>((counter_u64 >> (8 * k)) & 0xff);
    }
  }
}

}  // namespace

bool well_formed(const Clock& c) {
  for (size_t i = 0; i < c.entries.size(); ++i) {
    if (c.entries[i].second == 0) return false;
    if (i + 1 < c.entries.size() && c.entries[i].first >= c.entries[i + 1].first) return false;
  }
  return true;
}

void tick(Clock& c, net::NodeId node) {
  auto& e = c.entries;
  size_t i = 0;
  while (i < e.size() && e[i].first < node) ++i;
  if (i < e.size() && e[i].first == node) {
    // Raising a counter that exists keeps the nodes and the non-zero
    // counters as they were: only the overflow can go wrong.
    ECSIM_ASSERT(e[i].second < UINT64_MAX);
    ++e[i].second;
    return;
  }
  e.insert(e.begin() + static_cast<std::ptrdiff_t>(i), {node, 1});
  ECSIM_ASSERT(well_formed(c));
}

// Merges from the back into `into`'s own storage, grown once by the entries
// only `other` has, so the steady state (no new node) allocates nothing.
void take_max(Clock& into, const Clock& other) {
  if (&into == &other) return;
  auto& a = into.entries;
  const auto& b = other.entries;
  // The steady state: every node of `other` is already in `into`, and one
  // forward pass takes the maxima in place. At the first node `into` lacks,
  // the pass stops; the maxima it took are what the full merge below would
  // take for those nodes anyway, so it goes on from there unchanged.
  {
    size_t i = 0;
    size_t j = 0;
    for (; j < b.size(); ++j) {
      while (i < a.size() && a[i].first < b[j].first) ++i;
      if (i == a.size() || a[i].first != b[j].first) break;
      a[i].second = std::max(a[i].second, b[j].second);
      ++i;
    }
    if (j == b.size()) {
      ECSIM_ASSERT(well_formed(into));
      return;
    }
  }
  size_t only_in_b = 0;
  for (size_t i = 0, j = 0; j < b.size(); ++j) {
    while (i < a.size() && a[i].first < b[j].first) ++i;
    if (i == a.size() || a[i].first != b[j].first) ++only_in_b;
  }
  size_t ia = a.size();
  size_t ib = b.size();
  size_t out = a.size() + only_in_b;
  a.resize(out);
  while (ib > 0) {
    if (ia > 0 && a[ia - 1].first > b[ib - 1].first) {
      a[--out] = a[--ia];
    } else if (ia > 0 && a[ia - 1].first == b[ib - 1].first) {
      --ia, --ib;
      a[--out] = {a[ia].first, std::max(a[ia].second, b[ib].second)};
    } else {
      a[--out] = b[--ib];
    }
  }
  ECSIM_ASSERT(out == ia);  // what is left of `a` is already in place
  ECSIM_ASSERT(well_formed(into));
}

bool strictly_before(const Clock& a, const Clock& b) {
  bool some_less = false;  // a has an entry below b's (or b has a node a lacks)
  // Both clocks name the same nodes (the steady state): entry by entry.
  if (a.entries.size() == b.entries.size()) {
    size_t k = 0;
    bool none_above = true;
    for (; k < a.entries.size() && a.entries[k].first == b.entries[k].first; ++k) {
      none_above &= a.entries[k].second <= b.entries[k].second;
      some_less |= a.entries[k].second < b.entries[k].second;
    }
    if (k == a.entries.size()) return none_above && some_less;
    some_less = false;  // the nodes differ: the general walk below decides
  }
  size_t j = 0;
  for (const auto& [node, counter] : a.entries) {
    while (j < b.entries.size() && b.entries[j].first < node) {
      some_less = true;  // b counts a node that a counts as 0
      ++j;
    }
    if (j == b.entries.size() || b.entries[j].first != node) return false;  // b has 0 there
    if (counter > b.entries[j].second) return false;
    some_less |= counter < b.entries[j].second;
    ++j;
  }
  return some_less || j < b.entries.size();
}

uint64_t traced_hash(const Clock& c) {
  constexpr size_t kInlineEntries = 64;
  std::array<unsigned char, kEntryBytes * kInlineEntries> inline_bytes;
  std::vector<unsigned char> heap_bytes;
  unsigned char* bytes = inline_bytes.data();
  if (c.entries.size() > kInlineEntries) {
    heap_bytes.resize(kEntryBytes * c.entries.size());
    bytes = heap_bytes.data();
  }
  encode(c, bytes);
  return XXH3_64bits(bytes, kEntryBytes * c.entries.size());
}

std::string describe(const Clock& c, const std::vector<std::string>& names) {
  std::string out = "{";
  for (const auto& [node, counter] : c.entries) {
    if (out.size() > 1) out += ", ";
    out += node < names.size() ? names[node] : std::to_string(node);
    out += ':' + std::to_string(counter);
  }
  return out + "}";
}

}  // namespace ecsim::check::clock_model
