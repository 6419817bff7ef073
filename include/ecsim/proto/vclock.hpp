// Vector-clock logic over the sparse net::VectorClock value type: increment,
// merge (entry-wise max), the causal order between two clocks, a stable
// 64-bit hash and printing. ClockKeeper is one node's clock with the rules
// every clock-carrying node follows, and which check/causality recomputes
// from the trace on its own:
//   local event: increment own entry;
//   send:        increment own entry, then attach a copy;
//   receive:     merge the carried clock, then increment own entry.
// Promises: a clock never holds a zero entry, its entries stay strictly
// ascending by node, and it never holds more than kEntriesMax entries (an
// operation that would exceed it is a bug and asserts).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/proto/vclock_records.hpp"

namespace ecsim::proto::vclock {

using net::NodeId;
using net::VectorClock;

// Far above any modelled cluster; it bounds what a corrupt clock can cost.
inline constexpr size_t kEntriesMax = 4096;

// The trace record types (clock_send, clock_recv, clock_local) and what
// they carry are in vclock_records.hpp; hash() below is the hash they carry.

enum class Order : uint8_t {
  kEqual,       // same entries
  kBefore,      // a happened before b: a <= b entry-wise and a != b
  kAfter,       // b happened before a
  kConcurrent,  // neither dominates
};
const char* order_name(Order o);

// True if `c` keeps the invariants: counters > 0, nodes strictly ascending,
// at most kEntriesMax entries. Handlers use it to drop malformed input.
bool is_valid(const VectorClock& c);

// REQUIRES: is_valid(c); a new entry only if size < kEntriesMax.
void increment(VectorClock& c, NodeId node);
// Entry-wise max into `into`. REQUIRES: both valid, the union fits kEntriesMax.
void merge(VectorClock& into, const VectorClock& other);
Order compare(const VectorClock& a, const VectorClock& b);
// a -> b: strictly before in the causal order.
bool happens_before(const VectorClock& a, const VectorClock& b);
// Sum of all counters: the number of events the clock has heard of. A
// causally later clock always has a strictly larger sum.
uint64_t sum(const VectorClock& c);

// XXH3-64 over (node u32, counter u64) little-endian pairs in entry order;
// the same on every compiler and machine. Trace records carry it.
uint64_t hash(const VectorClock& c);

// "{edge-1:3, core-2:1}" with names[node] where known, else "{0:3, 4:1}".
std::string to_string(const VectorClock& c, const std::vector<std::string>& names = {});

// One node's clock, following the rules in the header comment.
class ClockKeeper {
 public:
  explicit ClockKeeper(NodeId self) : self_(self) {}

  void on_local_event() { increment(clock_, self_); }
  // Returns the clock to attach to the outgoing message.
  VectorClock on_send();
  // The same, written into `out` (its storage reused: no allocation when
  // it already has room), for senders that recycle clock storage.
  void on_send(VectorClock& out);
  // REQUIRES: is_valid(carried).
  void on_receive(const VectorClock& carried);

  const VectorClock& clock() const { return clock_; }
  NodeId self() const { return self_; }

 private:
  NodeId self_;
  VectorClock clock_;
};

}  // namespace ecsim::proto::vclock
