// The load model of one node: messages are served first come, first served
// by `cores` identical cores, each message kind taking its own service time.
// CPU %, memory %, queue length and response latency are measured from that
// model (never invented) and feed the load balancer and the metrics.
//
// It is a pure calculator over simulated time: the node layer asks when a
// message that arrives now will be done, and schedules the dispatch then.
// With FIFO service and arrivals in time order, giving each message to the
// earliest-free core reproduces an M/G/c queue exactly.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "ecsim/sim/fifo_ring.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::node {

struct LoadProfile {
  static constexpr uint32_t kKindsMax = 64;
  static constexpr uint32_t kCoresMax = 256;
  uint32_t cores = 4;
  uint32_t queue_max = 10000;  // waiting messages; more are refused (overload)
  std::array<sim::Duration, kKindsMax> service{};  // per message kind; 0 = not modelled
  uint64_t memory_total_bytes = uint64_t{8} << 30;
  uint64_t memory_base_bytes = uint64_t{1} << 30;
  uint64_t memory_per_queued_bytes = 64 << 10;  // a request's buffers while it waits or runs
  bool enabled() const;
  // The longest a message admitted now can take until its service ends: at
  // most queue_max - 1 wait ahead of it and every core is busy, each job
  // taking at most the longest service time; it starts once the cores have
  // worked through that (queue_max / cores rounds, and the jobs in service)
  // and ends one service later.
  sim::Duration wait_max() const;
};

struct LoadSample {
  uint32_t cpu_permille = 0;     // busy core time / (cores x interval)
  uint32_t memory_permille = 0;  // (base + per queued) / total
  uint32_t queue_length = 0;     // waiting, not yet in service
  int64_t response_ns_mean = 0;  // queueing + service, of messages done in the interval
  uint64_t served = 0;           // messages done in the interval
  uint32_t open_connections = 0; // at the sample, as the node's actor counts them
};

class LoadModel {
 public:
  struct Admission {
    bool accepted = false;
    sim::Time start{0};  // service starts
    sim::Time done{0};   // service ends: dispatch the message then
  };

  explicit LoadModel(const LoadProfile& profile);
  const LoadProfile& profile() const { return profile_; }

  // A message of `kind` arrives at `now`. REQUIRES: now is not before the
  // previous arrival; kind < kKindsMax. Refused when queue_max are waiting.
  Admission admit(sim::Time now, uint32_t kind);
  // Figures over [previous sample, now). REQUIRES: now >= previous sample.
  LoadSample sample(sim::Time now);
  // Crash: queued and running work vanish with the node.
  void reset(sim::Time now);
  uint64_t refused() const { return refused_; }
  uint64_t admitted() const { return admitted_; }

 private:
  struct Job {
    int64_t start_ns;
    int64_t done_ns;
    int64_t arrival_ns;
  };
  size_t waiting(int64_t now_ns);
  int64_t busy_until(int64_t now_ns) const;

  LoadProfile profile_;
  std::vector<int64_t> core_free_ns_;  // when each core finishes its last job
  sim::FifoRing<Job> jobs_;            // admitted, not yet done (by start time)
  int64_t last_arrival_ns_ = 0;
  int64_t scheduled_busy_ns_ = 0;      // service time of every admitted job
  int64_t last_sample_ns_ = 0;
  int64_t busy_at_last_sample_ns_ = 0;
  int64_t response_sum_ns_ = 0;        // of jobs done since the last sample
  uint64_t done_since_sample_ = 0;
  uint64_t refused_ = 0;
  uint64_t admitted_ = 0;
};

}  // namespace ecsim::node
