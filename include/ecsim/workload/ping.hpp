// The ping workload: open-loop clients that send pings (Poisson arrivals) to
// a uniformly drawn target, which answers with a pong after writing the ping
// to its disk (a write-ahead log of what it served, synced every 10 ms and
// recovered after a restart). PingStats is the measurement harness: it sits
// outside the nodes, like an external client, so it survives their crashes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/sim/histogram.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::workload {

enum MessageKind : uint32_t { kPing = 1, kPong = 2 };
inline constexpr uint32_t kPongSizeBytes = 64;
inline constexpr sim::Duration kSyncInterval = sim::milliseconds(10);

struct PingRole {
  uint32_t workload = 0;  // index into PingStats
  std::vector<net::NodeId> targets;
  uint64_t rate_per_s = 0;
  uint32_t size_bytes = 0;
};

struct PingFigures {
  uint64_t sent = 0;
  uint64_t answered = 0;   // a pong within the timeout
  uint64_t lost = 0;       // no pong within the timeout (late pongs included)
  uint64_t unsettled = 0;  // still waiting at the end of the run
  // Of `unsettled`: waiting over twice as long as any answered ping of the
  // workload took (workload/overdue.hpp), so counted as not served by served_ratio_min (a timeout longer
  // than the time left must not hide pings nothing was answering).
  uint64_t overdue = 0;
  sim::Histogram rtt;      // round trips of answered pings (the ok-only figure)
  // Every ping sent: answered ones at their round trip, lost ones at the
  // timeout, unsettled ones at their age at the end (DESIGN: percentiles
  // over every request issued).
  sim::Histogram rtt_all;
};

// Pings are numbered per workload (1, 2, ...). The pings still waiting for a
// pong form a sliding window over those numbers, kept in a ring buffer that
// grows to the steady-state window once and then allocates nothing.
class PingStats {
 public:
  static constexpr size_t kOutstandingMax = size_t{1} << 22;

  void add_workload(std::string label, sim::Duration timeout);
  // Returns the ping's number; `node` (the sender) names where a reach of
  // kOutstandingMax happened (sim/limits.hpp).
  uint64_t on_sent(uint32_t workload, sim::Time now, uint32_t node = 0);
  void on_pong(uint32_t workload, uint64_t id, sim::Time now);
  // Settles everything at the end: pings past their timeout are lost.
  void finish(sim::Time end);
  size_t size() const { return windows_.size(); }
  const PingFigures& figures(uint32_t w) const { return windows_[w].figures; }
  const std::string& label(uint32_t w) const { return windows_[w].label; }
  uint64_t refused() const { return refused_; }

 private:
  static constexpr int64_t kSettled = -1;
  struct Window {
    std::string label;
    sim::Duration timeout;
    PingFigures figures;
    std::vector<int64_t> send_ns;  // ring, power-of-two size; kSettled when answered
    uint64_t first = 1;            // number of the oldest ping in the window
    uint64_t count = 0;            // pings in the window
    uint64_t next = 1;             // number of the next ping
    int64_t& at(uint64_t id) { return send_ns[id & (send_ns.size() - 1)]; }
  };
  void expire(Window& w, sim::Time now);
  void grow(Window& w);
  std::vector<Window> windows_;
  uint64_t refused_ = 0;
  // The windows' rings, 8 bytes a slot: --memory-max (ping.outstanding).
  // One workload's window is bounded by kOutstandingMax, the number of
  // workloads by nothing, so their sum is what is bounded.
  uint64_t ring_slots_ = 0;
  sim::Accounted ring_bytes_{sim::Resource::kPingOutstanding};
};

class PingActor final : public node::Actor {
 public:
  PingActor(PingStats& stats, std::vector<PingRole> roles) : stats_(stats), roles_(std::move(roles)) {}
  void on_start(node::Context& ctx) override;
  void on_message(node::Context& ctx, const net::Envelope& m) override;
  void on_timer(node::Context& ctx, uint64_t tag) override;
  void on_sync(node::Context&, uint64_t) override {}
  uint64_t served() const { return served_; }

 private:
  enum TimerType : uint64_t { kArrival = 1, kSync = 2 };
  void schedule_arrival(node::Context& ctx, uint32_t role);
  PingStats& stats_;
  std::vector<PingRole> roles_;
  uint64_t served_ = 0;  // recovered from the disk at start
};

}  // namespace ecsim::workload
