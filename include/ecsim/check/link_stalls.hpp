// Where a link held messages longer than its latency tail. A bounded-time
// promise (billing termination) may only demand what a pair can do: exchange
// messages within the links' latency tail (check/reachability.hpp), the
// 99.99th percentile of an unbounded latency model. Over a FIFO connection
// that carries 10^5 messages the slowest one is far slower than that, and
// every message behind it waits for it: for that while the pair cannot
// exchange messages in the bounded time, although no fault is in force.
//
// LinkStalls follows the network's send, deliver and drop records of one
// message kind that travels on one FIFO connection per pair and direction
// (2PC's), between the pairs it is told to watch, and keeps, per direction,
// the merged intervals
// during which a message on it was late: [send + tail, deliver) for one
// delivered later than its direction's tail, [send + tail, now) for the
// oldest one still in flight, and [send + tail, overtaking delivery) for
// one a later message overtook (reordering on). The tail is the base
// configuration's (delay faults are the reachability's business, so a
// message slowed by one counts as late here too: a generous reading, never
// a stricter one). It reads the trace alone, never the network.
//
// Memory: per watched direction, its messages in flight (bounded by the
// network's in-flight limit) and its merged late intervals.
#pragma once
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

class LinkStalls {
 public:
  // Follows messages of envelope kind `kind` only.
  explicit LinkStalls(uint32_t kind) : kind_(kind) {}
  // Follows x -> y (late past tail_xy) and y -> x (past tail_yx) from the
  // next record on; watching a pair again changes nothing.
  void watch(uint32_t x, uint32_t y, int64_t tail_xy, int64_t tail_yx);
  bool watching(uint32_t x, uint32_t y) const { return directions_.contains(key(x, y)); }
  // A send, deliver or drop record (others are ignored), in trace order.
  void on_record(const sim::Record& r);
  // What is in flight to or from `node` is gone (it crashed: the network
  // resets its links, and nothing sent later waits behind those messages).
  void reset_node(uint32_t node);
  // The same for each watched direction x -> y that `cut(x, y)` says a
  // partition just cut.
  template <class Cut>
  void reset_cut(Cut cut) {
    for (auto& [k, d] : directions_) {
      if (!d.in_flight.empty() && cut(static_cast<uint32_t>(k >> 32), static_cast<uint32_t>(k))) reset(d);
    }
  }
  // How long within [from_ns, until_ns) a message of x -> y or y -> x was
  // late (the union of both directions), counting what is still in flight
  // as late until `until_ns`. REQUIRES: from_ns <= until_ns. An interval
  // before the last record taken is answered too (what is in flight now was
  // in flight then, from its due time on).
  int64_t late_ns(uint32_t x, uint32_t y, int64_t from_ns, int64_t until_ns) const;
  // Entries held (messages in flight and late intervals), for accounting.
  uint64_t entries() const { return entries_; }

 private:
  struct InFlight {
    uint64_t id = 0;
    int64_t sent_ns = 0;
    bool dropped = false;
  };
  struct Direction {
    int64_t tail_ns = 0;
    std::deque<InFlight> in_flight;                  // in send order: ids ascending
    std::vector<std::pair<int64_t, int64_t>> late;  // merged [begin, end), ascending
  };
  static uint64_t key(uint32_t from, uint32_t to) { return uint64_t{from} << 32 | to; }
  void delivered(Direction& d, uint64_t id, int64_t now_ns);
  // Adds [from, to) to d's late intervals, merged with the last one.
  void add_late(Direction& d, int64_t from_ns, int64_t to_ns);
  void pop_dropped(Direction& d);
  void reset(Direction& d);
  // Appends d's late intervals clipped to [from_ns, until_ns) to `out`.
  static void clip(const Direction& d, int64_t from_ns, int64_t until_ns,
                   std::vector<std::pair<int64_t, int64_t>>& out);

  uint32_t kind_;
  std::unordered_map<uint64_t, Direction> directions_;
  uint64_t entries_ = 0;
};

}  // namespace ecsim::check
