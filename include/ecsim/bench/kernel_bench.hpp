// Simulator benchmarks (wall time of the simulator itself, not of the
// modelled system): the kernel hold model and the actor ping-pong. Both use
// the same Simulator, Trace hashing and (for ping-pong) Network and Cluster
// as `ecsim run`.
#pragma once
#include <cstdint>
#include <string>

namespace ecsim::bench {

struct KernelBenchParams {
  uint64_t pending = 100000;
  uint64_t events = 20000000;
  bool bimodal = false;  // 90 % U[1us, 100us], 10 % U[1s, 5s]; else U[1ns, 2ms]
  uint64_t seed = 42;
};

struct KernelBenchResult {
  double loop_s = 0;
  double events_per_s = 0;
  uint64_t trace_hash = 0;
  uint64_t rebuilds = 0;
  int bucket_shift = 0;
  uint64_t ring_size = 0;
};

KernelBenchResult run_kernel_bench(const KernelBenchParams& p);

struct PingPongBenchParams {
  uint32_t actors = 1000;
  uint64_t messages = 10000000;
  bool hashing = true;
  uint64_t seed = 42;
};

struct PingPongBenchResult {
  double loop_s = 0;
  double messages_per_s = 0;
  uint64_t delivered = 0;
  uint64_t trace_hash = 0;
};

PingPongBenchResult run_pingpong_bench(const PingPongBenchParams& p);

}  // namespace ecsim::bench
