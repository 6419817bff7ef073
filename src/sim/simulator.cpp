#include "ecsim/sim/simulator.hpp"

namespace ecsim::sim {

Simulator::Simulator(uint64_t seed, Trace& trace) : seed_(seed), trace_(trace) {
  AssertContext& c = assert_context();
  c.active = true;
  c.seed = seed;
  c.now_ns = &now_ns_;
}

Simulator::~Simulator() {
  AssertContext& c = assert_context();
  if (c.now_ns == &now_ns_) c = AssertContext{};
}

HandlerId Simulator::add_handler(HandlerFn fn, void* context) {
  ECSIM_ASSERT(fn != nullptr);
  handlers_.push_back(Handler{fn, context});
  return static_cast<HandlerId>(handlers_.size() - 1);
}

bool Simulator::step() {
  if (queue_.empty()) return false;
  dispatch(queue_.pop());
  return true;
}

uint64_t Simulator::run_events(uint64_t budget) {
  uint64_t done = 0;
  while (done < budget && !queue_.empty()) {
    dispatch(queue_.pop());
    ++done;
  }
  return done;
}

Time Simulator::next_time() {
  if (queue_.empty()) return Time::max();
  return Time{queue_.top().time_ns};
}

bool Simulator::run_until(Time until, uint64_t budget) {
  ECSIM_ASSERT(until.ns >= now_ns_);
  for (uint64_t done = 0; done < budget; ++done) {
    if (queue_.empty() || queue_.top().time_ns > until.ns) {
      now_ns_ = until.ns;
      return true;
    }
    dispatch(queue_.pop());
  }
  if (queue_.empty() || queue_.top().time_ns > until.ns) {
    now_ns_ = until.ns;
    return true;
  }
  return false;
}

}  // namespace ecsim::sim
