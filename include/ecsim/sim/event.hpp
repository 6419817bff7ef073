// The kernel's event: a 32-byte POD ordered by (time, seq). `handler` picks
// the registered handler; `a` and `b` are the handler's own arguments (a node
// index, a pool slot, a timer id...). No pointers, no heap.
#pragma once
#include <cstdint>

namespace ecsim::sim {

struct Event {
  int64_t time_ns;
  uint64_t seq;  // assigned at scheduling: ties in time break in scheduling order
  uint32_t handler;
  uint32_t a;
  uint64_t b;
};
static_assert(sizeof(Event) == 32, "Event stays a 32-byte POD");

// True when x must be dispatched before y. (time, seq) is a strict total
// order, so any correct queue yields exactly one dispatch order.
inline bool event_before(const Event& x, const Event& y) {
  return x.time_ns != y.time_ns ? x.time_ns < y.time_ns : x.seq < y.seq;
}

}  // namespace ecsim::sim
