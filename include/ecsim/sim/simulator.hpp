// The discrete-event kernel: one clock, one event queue, a table of handlers.
// Everything that happens in a run is an Event dispatched from here, one at a
// time, in (time, seq) order. Layers above register a handler (a plain
// function pointer and a context) and schedule events for it.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "ecsim/sim/event_queue.hpp"
#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::sim {

using HandlerFn = void (*)(void* context, const Event& event);
using HandlerId = uint32_t;

class Simulator {
 public:
  // Events may be scheduled up to this instant (~146 years): keeps the
  // calendar's window arithmetic far from overflow.
  static constexpr int64_t kTimeMaxNs = int64_t{1} << 62;

  Simulator(uint64_t seed, Trace& trace);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  Time now() const { return Time{now_ns_}; }
  uint64_t seed() const { return seed_; }
  Trace& trace() { return trace_; }
  // The stream `name` under this run's seed (DESIGN rule 7).
  Rng rng(std::string_view name) const { return Rng::stream(seed_, name); }

  HandlerId add_handler(HandlerFn fn, void* context);

  // REQUIRES: now() <= at, at < kTimeMaxNs, handler registered.
  void schedule(Time at, HandlerId handler, uint32_t a, uint64_t b) {
    ECSIM_ASSERT(at.ns >= now_ns_ && at.ns < kTimeMaxNs);
    ECSIM_ASSERT(handler < handlers_.size());
    queue_.push(Event{at.ns, next_seq_++, handler, a, b});
  }

  // Dispatches exactly one event. Returns false when none is pending.
  bool step();
  // Dispatches every event at or before `until`, at most `budget` of them.
  // Returns true when it got to `until` (then now() == until), false when the
  // budget ran out first.
  bool run_until(Time until, uint64_t budget = UINT64_MAX);
  // Dispatches up to `budget` events, whatever their time. Returns how many.
  uint64_t run_events(uint64_t budget);
  // The time of the next event; Time::max() when none.
  Time next_time();

  uint64_t events_processed() const { return events_processed_; }
  size_t pending() const { return queue_.size(); }
  const EventQueue& queue() const { return queue_; }

 private:
  struct Handler {
    HandlerFn fn;
    void* context;
  };
  void dispatch(const Event& e) {
    now_ns_ = e.time_ns;
    ++events_processed_;
    const Handler& h = handlers_[e.handler];
    h.fn(h.context, e);
  }

  uint64_t seed_;
  Trace& trace_;
  int64_t now_ns_ = 0;
  uint64_t next_seq_ = 0;
  uint64_t events_processed_ = 0;
  EventQueue queue_;
  std::vector<Handler> handlers_;
};

}  // namespace ecsim::sim
