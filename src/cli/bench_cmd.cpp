// `ecsim bench kernel|pingpong|scenario`: wall-clock benchmarks of the simulator.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "json_out.hpp"
#include "options.hpp"
#include "ecsim/bench/kernel_bench.hpp"

namespace ecsim::cli {

void add_bench_command(CLI::App& app, int& exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmark the simulator itself (wall time)");
  bench->require_subcommand(1);

  auto kp = std::make_shared<bench::KernelBenchParams>();
  auto mix = std::make_shared<std::string>("uniform");
  auto kjson = std::make_shared<bool>(false);
  CLI::App* kernel = bench->add_subcommand("kernel", "Event-loop hold model: P pending, E events");
  kernel->add_option("--pending", kp->pending, "Events kept pending")->transform(whole_number(1, 50000000));
  // 10^11 events is about an hour at the kernel's speed: a bench, not a soak.
  kernel->add_option("--events", kp->events, "Events to dispatch (timed)")
      ->transform(whole_number(1, 100000000000));
  kernel->add_option("--mix", *mix, "uniform: U[1ns, 2ms]; bimodal: 90% U[1us, 100us], 10% U[1s, 5s]")
      ->check(CLI::IsMember({"uniform", "bimodal"}));
  kernel->add_option("--seed", kp->seed, "Seed")->transform(whole_number(0, UINT64_MAX));
  kernel->add_flag("--json", *kjson, "Print one JSON object");
  kernel->callback([kp, mix, kjson, &exit_code] {
    kp->bimodal = *mix == "bimodal";
    const bench::KernelBenchResult r = bench::run_kernel_bench(*kp);
    if (*kjson) {
      nlohmann::json j = {{"bench", "kernel"},         {"pending", kp->pending},      {"events", kp->events},
                          {"mix", *mix},               {"loop_s", r.loop_s},           {"events_per_s", r.events_per_s},
                          {"ns_per_event", 1e9 / r.events_per_s}, {"trace_hash", format_hash(r.trace_hash)},
                          {"queue_rebuilds", r.rebuilds}, {"bucket_ns", int64_t{1} << r.bucket_shift},
                          {"ring_buckets", r.ring_size}, {"peak_rss_kib", peak_rss_kib()}};
      std::printf("%s\n", json_text(j).c_str());
    } else {
      std::printf("bench kernel  mix %s  pending %llu  events %llu\n  %.0f events/s  (%.2f ns/event, loop %.3fs)\n"
                  "  calendar: bucket %lld ns, ring %llu buckets, %llu rebuilds\ntrace hash: %s\n",
                  mix->c_str(), static_cast<unsigned long long>(kp->pending),
                  static_cast<unsigned long long>(kp->events), r.events_per_s, 1e9 / r.events_per_s, r.loop_s,
                  static_cast<long long>(int64_t{1} << r.bucket_shift), static_cast<unsigned long long>(r.ring_size),
                  static_cast<unsigned long long>(r.rebuilds), format_hash(r.trace_hash).c_str());
    }
    exit_code = kExitOk;
  });

  auto pp = std::make_shared<bench::PingPongBenchParams>();
  auto no_hash = std::make_shared<bool>(false);
  auto pjson = std::make_shared<bool>(false);
  CLI::App* pingpong = bench->add_subcommand("pingpong", "Actor ping-pong pairs through the network layer");
  pingpong->add_option("--actors", pp->actors, "Actors (pairs = actors / 2)")->transform(whole_number(2, 2048));
  // 10^11 messages, like the kernel's events: a bench, not a soak.
  pingpong->add_option("--messages", pp->messages, "Messages in all")->transform(whole_number(1, 100000000000));
  pingpong->add_option("--seed", pp->seed, "Seed")->transform(whole_number(0, UINT64_MAX));
  pingpong->add_flag("--no-hash", *no_hash, "Do not hash trace records");
  pingpong->add_flag("--json", *pjson, "Print one JSON object");
  pingpong->callback([pp, no_hash, pjson, &exit_code] {
    // Each pair exchanges an equal share: anything else would be rounded
    // away without a word.
    if (pp->actors % 2 != 0) {
      throw CLI::ValidationError("--actors",
                                 fmt::format("'{}': expected an even number (pairs)", pp->actors));
    }
    if (pp->messages % (pp->actors / 2) != 0) {
      throw CLI::ValidationError(
          "--messages",
          fmt::format("'{}': expected a multiple of the {} pairs", pp->messages, pp->actors / 2));
    }
    pp->hashing = !*no_hash;
    const bench::PingPongBenchResult r = bench::run_pingpong_bench(*pp);
    if (*pjson) {
      nlohmann::json j = {{"bench", "pingpong"},
                          {"actors", pp->actors},
                          {"messages", r.delivered},
                          {"hash", pp->hashing},
                          {"loop_s", r.loop_s},
                          {"messages_per_s", r.messages_per_s},
                          {"trace_hash", pp->hashing ? nlohmann::json(format_hash(r.trace_hash))
                                                     : nlohmann::json()}};
      std::printf("%s\n", json_text(j).c_str());
    } else {
      std::printf("bench pingpong  actors %u  messages %llu  hash %s\n  %.0f messages/s  (loop %.3fs)\n",
                  pp->actors, static_cast<unsigned long long>(r.delivered), pp->hashing ? "on" : "off",
                  r.messages_per_s, r.loop_s);
      if (pp->hashing) std::printf("trace hash: %s\n", format_hash(r.trace_hash).c_str());
    }
    exit_code = kExitOk;
  });

  add_bench_scenario_command(*bench, exit_code);
}

}  // namespace ecsim::cli
