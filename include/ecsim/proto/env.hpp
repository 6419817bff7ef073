// The sans-IO surface every protocol state machine sees (STYLE.md): the
// time, sending a message of the protocol's own type, timers, a random
// stream and the trace. A protocol never sees the simulator, the network or
// other protocols, so unit tests drive it with a fake Env (FakeEnv below) and
// the tiers adapt it onto a node's Context.
#pragma once
#include <cstdint>
#include <algorithm>
#include <utility>
#include <vector>

#include "ecsim/net/envelope.hpp"
#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::proto {

using net::NodeId;
using TimerId = uint64_t;

template <class Message>
class Env {
 public:
  virtual ~Env() = default;
  virtual sim::Time now() const = 0;
  virtual NodeId self() const = 0;
  // `size_bytes`: the message's size on the wire (JSON-RPC encoding).
  virtual void send(NodeId dst, Message message, uint32_t size_bytes) = 0;
  // Fires the machine's on_timer(tag) after `after`, unless cancelled. In a
  // simulation a node at its maximum of armed timers (`node.timers`) refuses
  // the timer: it never fires, and cancelling its id returns false. Machines
  // treat the id like any other; the refusal is counted and traced outside.
  virtual TimerId set_timer(sim::Duration after, uint64_t tag) = 0;
  virtual bool cancel_timer(TimerId id) = 0;
  virtual sim::Rng& rng() = 0;
  virtual void trace(const sim::Record& record) = 0;
};

// A recording Env for unit tests: sends and timers are kept in vectors, time
// is set by the test.
template <class Message>
class FakeEnv final : public Env<Message> {
 public:
  struct Sent {
    NodeId dst;
    Message message;
    uint32_t size_bytes;
  };
  struct Timer {
    TimerId id;
    sim::Time at;
    uint64_t tag;
    bool live;
  };

  explicit FakeEnv(NodeId self, uint64_t seed = 1) : self_(self), rng_(seed) {}
  sim::Time now() const override { return now_; }
  NodeId self() const override { return self_; }
  void send(NodeId dst, Message message, uint32_t size_bytes) override {
    sent.push_back({dst, std::move(message), size_bytes});
  }
  TimerId set_timer(sim::Duration after, uint64_t tag) override {
    timers.push_back({next_timer_, now_ + after, tag, true});
    return next_timer_++;
  }
  bool cancel_timer(TimerId id) override {
    for (Timer& t : timers) {
      if (t.id == id && t.live) {
        t.live = false;
        return true;
      }
    }
    return false;
  }
  sim::Rng& rng() override { return rng_; }
  void trace(const sim::Record& r) override { records.push_back(r); }

  void set_now(sim::Time t) { now_ = t; }
  // Live timers due at or before `until`, earliest first; each is marked fired.
  std::vector<Timer> take_due(sim::Time until) {
    std::vector<Timer> due;
    for (Timer& t : timers) {
      if (t.live && t.at <= until) {
        due.push_back(t);
        t.live = false;
      }
    }
    std::stable_sort(due.begin(), due.end(), [](const Timer& a, const Timer& b) { return a.at < b.at; });
    return due;
  }

  std::vector<Sent> sent;
  std::vector<Timer> timers;
  std::vector<sim::Record> records;

 private:
  NodeId self_;
  sim::Rng rng_;
  sim::Time now_{0};
  TimerId next_timer_ = 1;
};

}  // namespace ecsim::proto
