// The kernel hold model: P events pending; each handler updates a little
// state, records one trace record (hashed as in `ecsim run`) and schedules
// exactly one new event, so the pending count stays P.
#include <chrono>
#include <vector>

#include "ecsim/bench/kernel_bench.hpp"
#include "ecsim/sim/simulator.hpp"

namespace ecsim::bench {

namespace {

constexpr uint32_t kTargets = 1024;

struct HoldModel {
  sim::Simulator* sim;
  sim::Rng rng;
  bool bimodal;
  std::vector<uint64_t> state = std::vector<uint64_t>(kTargets, 0);
  sim::HandlerId handlers[4];

  int64_t delay_ns() {
    if (!bimodal) return rng.uniform_int(1, 2000000);
    if (rng.below(10) != 0) return rng.uniform_int(1000, 100000);
    return rng.uniform_int(1000000000, 5000000000);
  }
  void schedule_next() {
    const uint64_t r = rng.next_u64();
    sim->schedule(sim->now() + sim::Duration{delay_ns()}, handlers[r & 3],
                  static_cast<uint32_t>(r >> 32) & (kTargets - 1), r >> 8);
  }
  void record(const sim::Event& e) {
    sim->trace().record(sim::Record{e.time_ns, sim::RecordType::kBench, 0, e.a, 0, e.handler, state[e.a], 0});
  }
};

template <int Kind>
void on_event(void* ctx, const sim::Event& e) {
  auto& m = *static_cast<HoldModel*>(ctx);
  uint64_t& s = m.state[e.a];
  if constexpr (Kind == 0) s += static_cast<uint64_t>(e.time_ns);
  if constexpr (Kind == 1) s ^= e.seq;
  if constexpr (Kind == 2) s += 1;
  if constexpr (Kind == 3) s = s * 31 + (e.b & 0xff);
  m.record(e);
  m.schedule_next();
}

}  // namespace

KernelBenchResult run_kernel_bench(const KernelBenchParams& p) {
  sim::Trace trace(true);
  sim::Simulator sim(p.seed, trace);
  HoldModel model{&sim, sim.rng("bench/kernel"), p.bimodal, std::vector<uint64_t>(kTargets, 0), {}};
  model.handlers[0] = sim.add_handler(&on_event<0>, &model);
  model.handlers[1] = sim.add_handler(&on_event<1>, &model);
  model.handlers[2] = sim.add_handler(&on_event<2>, &model);
  model.handlers[3] = sim.add_handler(&on_event<3>, &model);
  for (uint64_t i = 0; i < p.pending; ++i) model.schedule_next();
  // Warm the queue's adaptation up to the steady state before timing.
  sim.run_events(std::min<uint64_t>(p.events / 10, 4 * p.pending + 100000));
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t done = sim.run_events(p.events);
  const auto t1 = std::chrono::steady_clock::now();
  KernelBenchResult r;
  r.loop_s = std::chrono::duration<double>(t1 - t0).count();
  r.events_per_s = static_cast<double>(done) / r.loop_s;
  r.trace_hash = trace.hash();
  r.rebuilds = sim.queue().rebuilds();
  r.bucket_shift = sim.queue().bucket_shift();
  r.ring_size = sim.queue().ring_size();
  return r;
}

}  // namespace ecsim::bench
