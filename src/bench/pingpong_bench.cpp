// Actor ping-pong through the real Network and Cluster: N/2 pairs, pair p on
// links of latency 50us + (p mod 16)us + U[0, 10us), no drops, no trace
// file. Each pair exchanges its share of the messages.
#include <chrono>

#include "ecsim/bench/kernel_bench.hpp"
#include "ecsim/node/cluster.hpp"

namespace ecsim::bench {

namespace {

class PingPongActor final : public node::Actor {
 public:
  PingPongActor(net::NodeId peer, bool starts, uint64_t quota) : peer_(peer), starts_(starts), quota_(quota) {}
  void on_start(node::Context& ctx) override {
    if (starts_) send(ctx, 0);
  }
  void on_message(node::Context& ctx, const net::Envelope& m) override {
    ++received_;
    send(ctx, m.payload + 1);
  }
  void on_timer(node::Context&, uint64_t) override {}
  void on_sync(node::Context&, uint64_t) override {}

 private:
  void send(node::Context& ctx, uint64_t value) {
    if (sent_ >= quota_) return;
    ++sent_;
    ctx.send(peer_, 1, 64, value);
  }
  net::NodeId peer_;
  bool starts_;
  uint64_t quota_;  // this actor's half of the pair's share
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
};

}  // namespace

PingPongBenchResult run_pingpong_bench(const PingPongBenchParams& p) {
  const uint32_t pairs = p.actors / 2;
  const uint64_t per_pair = p.messages / pairs;
  sim::Trace trace(p.hashing);
  sim::Simulator sim(p.seed, trace);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < 2 * pairs; ++i) names.push_back("actor-" + std::to_string(i));
  net::Network network(sim, names);
  for (uint32_t pair = 0; pair < pairs; ++pair) {
    const sim::Duration base = sim::microseconds(50 + pair % 16);
    net::LinkConfig link;
    link.latency = net::LatencyModel::uniform(base, base + sim::microseconds(10));
    network.set_link(2 * pair, 2 * pair + 1, link);
    network.set_link(2 * pair + 1, 2 * pair, link);
  }
  node::Cluster cluster(sim, network, names, [per_pair](net::NodeId n) {
    const bool pinger = n % 2 == 0;
    // The pinger sends the odd-numbered messages of the exchange, the ponger the rest.
    return std::make_unique<PingPongActor>(pinger ? n + 1 : n - 1, pinger, pinger ? per_pair / 2 + per_pair % 2 : per_pair / 2);
  });
  cluster.boot();
  const auto t0 = std::chrono::steady_clock::now();
  sim.run_events(UINT64_MAX);
  const auto t1 = std::chrono::steady_clock::now();
  PingPongBenchResult r;
  r.loop_s = std::chrono::duration<double>(t1 - t0).count();
  r.delivered = network.stats().delivered;
  r.messages_per_s = static_cast<double>(r.delivered) / r.loop_s;
  r.trace_hash = trace.hash();
  return r;
}

}  // namespace ecsim::bench
