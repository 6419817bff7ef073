#include "ecsim/fault/random_scenario.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/windows.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/rng.hpp"

namespace ecsim::fault {

namespace {

using scenario::Tier;
using sim::Duration;
using sim::Time;

// Bounds that keep one run to a fraction of a second of wall time: short
// simulated runs, few nodes, modest rates. Everything else is drawn from
// the ranges docs/scenarios.md documents.
constexpr int64_t kDurationMsMin = 500;
constexpr int64_t kDurationMsMax = 6000;
constexpr int kPingNodesPerTierMax = 6;
constexpr int kLargeNodesPerTierMax = 100;
constexpr uint64_t kLargePingRateMax = 5;
constexpr int kTierEdgeMax = 4;
constexpr int kTierCoreMax = 3;
constexpr uint64_t kPingRateMax = 300;
constexpr uint64_t kRequestRateMax = 300;
constexpr uint32_t kFaultsMax = 6;

// Draws the pieces of one scenario from the seed's own stream.
//
// Every draw is a statement of its own, never one of several arguments of
// one call: C++ leaves the order of a call's arguments unspecified, and
// g++ and clang++ differ, so `fmt::format(f, draw(), draw())` gave one seed
// two scenarios (random seed 2097 under the two compilers). Where one call
// had several, they are now drawn last argument first: the order g++ used,
// so every seed's text is what g++ built before.
class Builder {
 public:
  // The billing workload draws from a stream of its own, so every other
  // draw -- and the text of a seed without billing -- is what it was before
  // billing joined the random scenarios.
  explicit Builder(uint64_t seed)
      : seed_(seed), rng_(sim::Rng::stream(seed, "random-scenario")),
        billing_rng_(sim::Rng::stream(seed, "random-scenario-billing")) {}

  std::string build() {
    tiers_ = rng_.below(2) == 0;
    duration_ = sim::milliseconds(kDurationMsMin + static_cast<int64_t>(rng_.below(kDurationMsMax - kDurationMsMin + 1)));
    if (tiers_) {
      // The three-tier model's storage is 3-way replicated over exactly
      // three cloud nodes (docs/model.md).
      topology_ = {1 + static_cast<int>(rng_.below(kTierEdgeMax)), 1 + static_cast<int>(rng_.below(kTierCoreMax)), 3};
    } else {
      // Now and then a large cluster (up to the 100 nodes per tier the
      // loader allows), with few pings per node so the run stays short.
      large_ = edge_case();
      const uint64_t per_tier = large_ ? kLargeNodesPerTierMax : kPingNodesPerTierMax;
      topology_ = {1 + static_cast<int>(rng_.below(per_tier)), 1 + static_cast<int>(rng_.below(per_tier)),
                   1 + static_cast<int>(rng_.below(per_tier))};
    }
    names_ = scenario::node_names(topology_);
    down_until_.assign(names_.size(), Time{-1});
    std::string text = fmt::format("name: random-{}\nseed: {}\nduration: {}\n", seed_, seed_,
                                   sim::format_duration(duration_));
    text += fmt::format("topology: {{ edge: {}, core: {}, cloud: {} }}\n", topology_.edge, topology_.core,
                        topology_.cloud);
    text += network();
    text += tiers_ ? requests() : pings();
    if (tiers_ && billing_rng_.below(3) == 0) text += billing();
    if (tiers_ && rng_.below(2) == 0) text += model();
    text += faults();
    return text + expect(text);
  }

 private:
  // lo..hi, uniform, from `r` (the main stream unless said otherwise).
  static int64_t between_in(sim::Rng& r, int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(r.below(static_cast<uint64_t>(hi - lo + 1)));
  }
  int64_t between(int64_t lo, int64_t hi) { return between_in(rng_, lo, hi); }
  Duration ms(int64_t lo, int64_t hi) { return sim::milliseconds(between(lo, hi)); }
  // A timeout or window: usually lo..hi ms, sometimes 1 ns.
  Duration ms_or_1ns(int64_t lo, int64_t hi) { return edge_case() ? Duration{1} : ms(lo, hi); }
  std::string dur(Duration d) const { return sim::format_duration(d); }
  Tier tier() { return static_cast<Tier>(rng_.below(3)); }

  static std::string quoted(const std::string& s) { return s.find('*') != std::string::npos ? "\"" + s + "\"" : s; }

  // A selector: a tier, one node, a glob or every node.
  std::string selector() {
    const Tier t = tier();
    const std::string name = scenario::tier_name(t);
    switch (rng_.below(5)) {
      case 0: return name;
      case 1: return fmt::format("{}-{}", name, 1 + rng_.below(static_cast<uint64_t>(topology_.count(t))));
      case 2: return quoted(name + "-*");
      case 3: return "\"*\"";
      default: return names_[rng_.below(names_.size())];
    }
  }
  std::vector<uint32_t> nodes(const std::string& sel) const {
    std::string text = sel;
    text.erase(std::remove(text.begin(), text.end(), '"'), text.end());
    return scenario::resolve(topology_, text);
  }
  // Two selectors that do not both name the same single node (a link from a
  // node to itself carries nothing).
  std::string pair() {
    const std::string a = selector();
    std::string b = selector();
    const auto na = nodes(a);
    const auto nb = nodes(b);
    if (na.size() == 1 && nb == na) b = "\"*\"";
    return fmt::format("[{}, {}]", a, b);
  }

  std::string probability(uint32_t percent_max) {
    if (edge_case()) return rng_.below(2) == 0 ? "1" : "1e-6";
    switch (rng_.below(3)) {
      case 0: return "0";
      case 1: return fmt::format("{}%", rng_.below(percent_max + 1));
      default: return fmt::format("0.{:04d}", rng_.below(percent_max * 100 + 1));
    }
  }

  // One draw in eight takes a value at the edge of its documented range.
  bool edge_case() { return rng_.below(8) == 0; }

  std::string latency() {
    if (edge_case()) {
      static constexpr const char* kExtremes[] = {
          "{ constant: 1ns }", "{ uniform: [0s, 1h] }", "{ normal: { mean: 1ns, stddev: 1h } }",
          "{ lognormal: { median: 1ns, p99: 1h } }", "{ pareto: { scale: 1ns, alpha: 0.000001 } }",
          "{ pareto: { scale: 1h, alpha: 100 } }"};
      return kExtremes[rng_.below(std::size(kExtremes))];
    }
    switch (rng_.below(5)) {
      case 0: return fmt::format("{{ constant: {} }}", dur(sim::microseconds(between(1, 20000))));
      case 1: {
        const int64_t lo = between(0, 10000);
        return fmt::format("{{ uniform: [{}, {}] }}", dur(sim::microseconds(lo)),
                           dur(sim::microseconds(lo + between(1, 20000))));
      }
      case 2: {
        const int64_t stddev = between(0, 20000);
        const int64_t mean = between(1, 20000);
        return fmt::format("{{ normal: {{ mean: {}, stddev: {} }} }}", dur(sim::microseconds(mean)),
                           dur(sim::microseconds(stddev)));
      }
      case 3: {
        const int64_t median = between(1, 10000);
        return fmt::format("{{ lognormal: {{ median: {}, p99: {} }} }}", dur(sim::microseconds(median)),
                           dur(sim::microseconds(median + between(1, 40000))));
      }
      default: {
        const int64_t scale = between(1, 5000);
        // alpha 0.5..5 with up to two decimals; a cap on most draws.
        const std::string cap =
            rng_.below(4) == 0 ? "" : fmt::format(", cap: {}", dur(sim::microseconds(scale + between(0, 500000))));
        const int64_t alpha_hundredths = between(50, 99);
        const int64_t alpha_units = between(0, 4);
        return fmt::format("{{ pareto: {{ scale: {}, alpha: {}.{:02d}{} }} }}", dur(sim::microseconds(scale)),
                           alpha_units, alpha_hundredths, cap);
      }
    }
  }

  std::string link_fields() {
    std::vector<std::string> fields;
    while (fields.empty()) {
      if (rng_.below(2) == 0) fields.push_back("latency: " + latency());
      if (rng_.below(3) == 0) fields.push_back("drop: " + probability(10));
      if (rng_.below(4) == 0) fields.push_back("duplicate: " + probability(10));
      if (rng_.below(4) == 0) fields.push_back(fmt::format("reorder: {}", rng_.below(2) == 0));
      if (rng_.below(4) == 0) fields.push_back(fmt::format("tls: {}", rng_.below(2) == 0));
    }
    std::string out;
    for (const std::string& f : fields) out += (out.empty() ? "" : ", ") + f;
    return out;
  }

  std::string network() {
    if (rng_.below(3) == 0) return "";
    std::string out = "network:\n";
    if (rng_.below(2) == 0) out += fmt::format("  default: {{ {} }}\n", link_fields());
    const uint64_t links = rng_.below(3);
    if (links > 0) out += "  links:\n";
    for (uint64_t i = 0; i < links; ++i) {
      const std::string fields = link_fields();
      out += fmt::format("    - {{ between: {}, {} }}\n", pair(), fields);
    }
    return out == "network:\n" ? "" : out;
  }

  // Pings go from one tier to another, so no node is drawn to ping itself.
  std::string pings() {
    std::string out = "workload:\n";
    const uint64_t n = 1 + rng_.below(2);
    for (uint64_t i = 0; i < n; ++i) {
      const Tier from = tier();
      const Tier to = static_cast<Tier>((static_cast<int>(from) + 1 + static_cast<int>(rng_.below(2))) % 3);
      const std::string from_sel = rng_.below(2) == 0 ? scenario::tier_name(from)
                                                      : fmt::format("{}-{}", scenario::tier_name(from), 1 + rng_.below(static_cast<uint64_t>(topology_.count(from))));
      const Duration timeout = ms_or_1ns(10, 2000);
      const uint64_t size = 1 + rng_.below(64 * 1024);
      const uint64_t rate = 1 + rng_.below(large_ ? kLargePingRateMax : kPingRateMax);
      out += fmt::format("  - {{ kind: ping, from: {}, to: {}, rate: {}/s, size: {}, timeout: {} }}\n", from_sel,
                         scenario::tier_name(to), rate, size, dur(timeout));
    }
    return out;
  }

  std::string requests() {
    const std::string at = rng_.below(2) == 0 ? "edge" : rng_.below(2) == 0 ? "\"edge-*\"" : fmt::format("edge-{}", 1 + rng_.below(static_cast<uint64_t>(topology_.edge)));
    std::string zipf = "0";
    if (rng_.below(3) != 0) {
      const int64_t hundredths = between(1, 99);
      zipf = fmt::format("{}.{:02d}", between(0, 1), hundredths);
    }
    uint64_t mix[5];
    for (uint64_t& w : mix) w = rng_.below(4) == 0 ? 0 : rng_.below(100);
    if (mix[0] + mix[1] + mix[2] + mix[3] + mix[4] == 0) mix[1] = 1;
    const uint64_t dsm_keys = 1 + rng_.below(4096);
    const Duration timeout = ms_or_1ns(20, 2000);
    std::string bad_tokens = probability(20);
    const uint64_t records = 1 + rng_.below(8);
    const uint64_t subscribers = 1 + rng_.below(100000);
    // A cross-subscriber bad token needs a second subscriber (the loader
    // refuses bad tokens with one); no draw changes.
    if (subscribers == 1) bad_tokens = "0";
    const uint64_t rate = 1 + rng_.below(kRequestRateMax);
    std::string out = fmt::format(
        "workload:\n  - {{ kind: requests, at: {}, rate: {}/s, subscribers: {}, zipf: {}, records: {},\n"
        "      mix: {{ session_check: {}, read: {}, write: {}, dsm_set: {}, dsm_get: {} }},\n"
        "      bad_tokens: {}, timeout: {}, dsm_keys: {}",
        at, rate, subscribers, zipf, records, mix[0], mix[1], mix[2], mix[3], mix[4], bad_tokens, dur(timeout),
        dsm_keys);
    if (rng_.below(3) == 0) out += fmt::format(", until: {}", dur(ms(1, duration_.ns / 1000000 + 1000)));
    return out + " }\n";
  }

  // A billing workload (2PC transactions beside the requests), sometimes
  // with the edge billing cache; its clients stop before the end now and
  // then, so that termination is judged on settled transactions.
  std::string billing() {
    billing_ = true;
    sim::Rng& r = billing_rng_;
    const uint64_t lo = 1 + r.below(5000);
    const uint64_t hi = lo + r.below(r.below(4) == 0 ? 1000000 : 20000);
    uint64_t mix[6];
    for (uint64_t& w : mix) w = r.below(4) == 0 ? 0 : r.below(100);
    if (mix[0] + mix[1] + mix[2] + mix[3] + mix[4] + mix[5] == 0) mix[0] = 1;
    const Duration timeout = sim::milliseconds(between_in(r, 50, 3000));
    const uint64_t balance = r.below(200000);
    const uint64_t numbers = 1 + r.below(3);
    const uint64_t subscribers = 2 + r.below(r.below(2) == 0 ? 20 : 5000);
    const uint64_t rate = 1 + r.below(200);
    std::string out = fmt::format(
        "  - {{ kind: billing, rate: {}/s, subscribers: {}, numbers: {}, balance: {}, amount: [{}, {}],\n"
        "      mix: {{ debit: {}, transfer: {}, top_up: {}, port: {}, balance: {}, number_owner: {} }},\n"
        "      timeout: {}",
        rate, subscribers, numbers, balance, lo, hi, mix[0], mix[1], mix[2], mix[3], mix[4], mix[5], dur(timeout));
    if (r.below(2) == 0) {
      out += fmt::format(", until: {}", dur(sim::milliseconds(between_in(r, 1, duration_.ns / 1000000))));
    }
    if (r.below(3) == 0) {
      const Duration staleness_max = sim::milliseconds(between_in(r, 1, 20000));
      out += fmt::format(",\n      cache: {{ entries: {}, staleness_max: {} }}", 1 + r.below(512), dur(staleness_max));
    }
    return out + " }\n";
  }
  std::string model() {
    const uint64_t pool = 1 + rng_.below(16);
    std::string out = "model:\n";
    const Duration ttl = ms_or_1ns(50, 10000);
    out += fmt::format("  edge_cache: {{ capacity: {}, ttl: {} }}\n", 1 + rng_.below(50000), dur(ttl));
    const Duration handshake = ms_or_1ns(10, 1000);
    const uint64_t warm = rng_.below(pool + 1);
    const uint64_t cores_tried = 1 + rng_.below(static_cast<uint64_t>(topology_.core));
    const uint64_t retries = rng_.below(4);
    const Duration rpc_timeout = ms_or_1ns(5, 1000);
    out += fmt::format(
        "  rpc: {{ timeout: {}, retries: {}, cores_tried: {}, pool_size: {}, pool_warm: {}, handshake_timeout: {} }}\n",
        dur(rpc_timeout), retries, cores_tried, pool, warm, dur(handshake));
    // Down to 1 ns: under the recovery rules (on in every random scenario)
    // messaging backs off to at most one resend a second per message, so
    // even total loss with a 1 ns timeout stays cheap. Before the backoff,
    // random seeds 851 and 861 took minutes of wall time at 1 ms.
    const Duration resend = ms_or_1ns(1, 5000);
    out += fmt::format("  messaging: {{ resend_timeout: {}, window: {} }}\n", dur(resend), 1 + rng_.below(256));
    const uint64_t cloud_cores = 1 + rng_.below(8);
    const uint64_t core_cores = 1 + rng_.below(8);
    const uint64_t edge_cores = 1 + rng_.below(8);
    out += fmt::format("  cores: {{ edge: {}, core: {}, cloud: {} }}\n", edge_cores, core_cores, cloud_cores);
    return out;
  }

  // A time in the run, on a whole millisecond.
  Time time() { return Time{0} + sim::milliseconds(static_cast<int64_t>(rng_.below(static_cast<uint64_t>(duration_.ns / 1000000)))); }

  std::string crash(Time at) {
    if (rng_.below(6) == 0) return crash_tier(at);
    const uint32_t n = static_cast<uint32_t>(rng_.below(names_.size()));
    if (down_until_[n] >= at) return "";
    const bool forever = rng_.below(4) == 0;
    if (forever) {
      down_until_[n] = Time::max();
      return fmt::format("{{ at: {}, crash: {} }}", dur(at - Time{0}), names_[n]);
    }
    const Duration window = ms_or_1ns(1, 3000);
    down_until_[n] = at + window;
    return fmt::format("{{ at: {}, crash: {}, for: {} }}", dur(at - Time{0}), names_[n], dur(window));
  }

  // Every node of a tier at once (`crash: core`), when all of them are up.
  std::string crash_tier(Time at) {
    const char* tier = scenario::tier_name(this->tier());
    const std::vector<uint32_t> nodes = scenario::resolve(topology_, tier);
    for (const uint32_t n : nodes) {
      if (down_until_[n] >= at) return "";
    }
    const Duration window = ms_or_1ns(1, 3000);
    for (const uint32_t n : nodes) down_until_[n] = at + window;
    return fmt::format("{{ at: {}, crash: {}, for: {} }}", dur(at - Time{0}), tier, dur(window));
  }

  // A restart of a node crashed for good, strictly after its crash.
  std::string restart(std::vector<std::pair<Time, std::string>>& out) {
    for (uint32_t n = 0; n < names_.size(); ++n) {
      if (down_until_[n] != Time::max()) continue;
      Time crashed{0};
      for (const auto& [t, f] : out) {
        if (f.find(fmt::format("crash: {} }}", names_[n])) != std::string::npos) crashed = t;
      }
      if (duration_ - (crashed - Time{0}) < sim::milliseconds(2)) continue;
      const Time at = crashed + sim::milliseconds(1 + static_cast<int64_t>(rng_.below(static_cast<uint64_t>((duration_ - (crashed - Time{0})).ns / 1000000 - 1))));
      down_until_[n] = at;
      return fmt::format("{{ at: {}, restart: {} }}", dur(at - Time{0}), names_[n]);
    }
    return "";
  }

  std::string byzantine(Time at) {
    const uint32_t n = static_cast<uint32_t>(rng_.below(static_cast<uint64_t>(topology_.edge)));
    if (down_until_[n] >= at) return "";
    const Duration window = ms(1, 3000);
    const uint64_t rate = 1 + rng_.below(500);
    return fmt::format("{{ at: {}, byzantine: {}, strategy: cloud_direct_write, rate: {}/s, for: {} }}",
                       dur(at - Time{0}), names_[n], rate, dur(window));
  }

  std::string at_point() {
    // 2PC points only with a billing workload (without one they never
    // fire); the other protocols' points come first in points(), so a seed
    // without billing draws them as before.
    std::vector<proto::PointInfo> all;
    for (const proto::PointInfo& info : proto::points()) {
      if (billing_ || proto::point_protocol(info.name) != "twopc") all.push_back(info);
    }
    const proto::PointInfo& p = all[rng_.below(all.size())];
    std::vector<uint32_t> candidates;
    for (uint32_t n = 0; n < names_.size(); ++n) {
      if ((p.tiers & (1u << static_cast<unsigned>(scenario::node_tier(topology_, n)))) != 0) candidates.push_back(n);
    }
    if (candidates.empty()) return "";
    const uint32_t n = candidates[rng_.below(candidates.size())];
    const std::string restart_after = rng_.below(3) == 0 ? "" : fmt::format(", for: {}", dur(ms(1, 2000)));
    const char* action = rng_.below(4) == 0 ? "cut" : "crash";  // `for` ends a cut as it restarts a crash
    return fmt::format("{{ at_point: {}, node: {}, nth: {}, do: {}{} }}", p.name, names_[n], 1 + rng_.below(50),
                       action, restart_after);
  }

  std::string faults() {
    const uint32_t count = static_cast<uint32_t>(rng_.below(kFaultsMax + 1));
    std::vector<std::pair<Time, std::string>> out;
    // Crashes are drawn in time order so the down-node bookkeeping holds.
    std::vector<Time> times;
    for (uint32_t i = 0; i < count; ++i) times.push_back(time());
    std::sort(times.begin(), times.end());
    for (const Time at : times) {
      const std::string t = dur(at - Time{0});
      const std::string window = rng_.below(4) == 0 ? "" : fmt::format(", for: {}", dur(ms_or_1ns(1, 3000)));
      std::string f;
      switch (rng_.below(tiers_ ? 11 : 9)) {
        case 0:
        case 1: f = crash(at); break;
        case 2: f = restart(out); break;
        case 3: f = fmt::format("{{ at: {}, partition: [[{}], \"*\"]{} }}", t, scenario::tier_name(tier()), window); break;
        case 4: f = fmt::format("{{ at: {}, heal: true }}", t); break;
        case 5: {
          const std::string rate = probability(100);
          f = fmt::format("{{ at: {}, drop: {{ between: {}, rate: {} }}{} }}", t, pair(), rate, window);
          break;
        }
        case 6: {
          const std::string rate = probability(50);
          f = fmt::format("{{ at: {}, duplicate: {{ between: {}, rate: {} }}{} }}", t, pair(), rate, window);
          break;
        }
        case 7: {
          const std::string l = latency();
          f = fmt::format("{{ at: {}, delay: {{ between: {}, latency: {} }}{} }}", t, pair(), l, window);
          break;
        }
        case 8: f = fmt::format("{{ at: {}, reorder: {{ between: {} }}{} }}", t, pair(), window); break;
        case 9: f = byzantine(at); break;
        default: f = at_point(); break;
      }
      if (!f.empty()) out.emplace_back(at, f);
    }
    if (out.empty()) return "";
    std::string text = "faults:\n";
    for (const auto& [at, f] : out) text += "  - " + f + "\n";
    return text;
  }

  // Expectations that can apply: the invariants with something to judge in
  // this schedule (the loader refuses the others), figures for the model.
  std::string expect(const std::string& text) {
    // A tier scenario with a fault window must expect recovers_within, so
    // such a text loads only with one: try with it when without fails.
    scenario::Scenario sc;
    try {
      sc = scenario::load_scenario_text(text, "random");
    } catch (const scenario::LoadError&) {
      try {
        sc = scenario::load_scenario_text(text + "expect:\n  recovers_within: 5s\n", "random");
      } catch (const scenario::LoadError&) {  // 5 s may put the deadline past the seconds to judge
        sc = scenario::load_scenario_text(text + "expect:\n  recovers_within: 1s\n", "random");
      }
    }
    std::vector<std::string_view> invariants;
    for (const scenario::InvariantInfo& i : scenario::invariants()) {
      if (i.tiers_only && !tiers_) continue;
      if (!scenario::judgeable(i.id, sc, sc.expect.quiescence)) continue;
      if (rng_.below(2) == 0) invariants.push_back(i.name);
    }
    std::string out;
    if (!invariants.empty()) {
      out += "  invariants: [";
      for (size_t i = 0; i < invariants.size(); ++i) out += fmt::format("{}{}", i ? ", " : "", invariants[i]);
      out += "]\n";
    }
    // The same draws whatever is left out: only what the loader accepts for
    // these clients (a figure over requests that cannot exist is refused).
    if (rng_.below(3) == 0) {
      const uint64_t ratio = rng_.below(1000);
      if (scenario::served_ratio_countable(sc) && ratio > 0) {  // a minimum of 0 is refused
        out += fmt::format("  served_ratio_min: 0.{:03d}\n", ratio);
      }
    }
    if (rng_.below(3) == 0) {
      // A bound not below the clients' longest timeout could never fail,
      // and the loader refuses it: such a key is left out.
      const auto fits = [&](const char* key, Duration bound) {
        return scenario::latency_bound_refusal(sc, key, bound).empty();
      };
      std::string bounds;
      if (tiers_) {
        const Duration core = ms(1, 500);
        const Duration edge = ms(1, 500);
        if (fits("latency_p99.edge", edge)) bounds += fmt::format("edge: {}", dur(edge));
        if (scenario::clients_admitted(sc, true) && fits("latency_p99.core", core)) {
          bounds += fmt::format("{}core: {}", bounds.empty() ? "" : ", ", dur(core));
        }
      } else {
        const Duration ping = ms(1, 500);
        if (fits("latency_p99.ping", ping)) bounds = fmt::format("ping: {}", dur(ping));
      }
      if (!bounds.empty()) out += fmt::format("  latency_p99: {{ {} }}\n", bounds);
    }
    if (rng_.below(4) == 0) out += fmt::format("  min_delivered: {}\n", rng_.below(1000));
    if (rng_.below(4) == 0) {
      // Convergence was drawn judgeable with the default quiescence: a drawn
      // one that would leave it unjudgeable (as long as the run) is left out.
      const Duration quiescence = ms(1, 3000);
      const bool convergence =
          std::find(invariants.begin(), invariants.end(), std::string_view("convergence")) != invariants.end();
      if (!convergence || scenario::judgeable(scenario::Invariant::kConvergence, sc, quiescence)) {
        out += fmt::format("  quiescence: {}\n", dur(quiescence));
      }
    }
    // Where validate asks for it (a fault window and a second left to judge).
    if (tiers_ && scenario::recovers_within_required(sc)) {
      // Required means judgeable at 1 s; a longer one may put the deadline too late.
      const sim::Duration within =
          scenario::recovers_within_fitting(sc, sim::seconds(1 + static_cast<int64_t>(rng_.below(10))));
      out += fmt::format("  recovers_within: {}\n", dur(within));
    }
    return out.empty() ? "" : "expect:\n" + out;
  }

  uint64_t seed_;
  sim::Rng rng_;
  sim::Rng billing_rng_;
  bool billing_ = false;
  bool tiers_ = false;
  bool large_ = false;  // ping model with up to 100 nodes per tier
  Duration duration_{0};
  scenario::Topology topology_;
  std::vector<std::string> names_;
  std::vector<Time> down_until_;
};

}  // namespace

std::string random_scenario_text(uint64_t seed) {
  std::string text = Builder(seed).build();
  ECSIM_ASSERT(!text.empty());
  return text;
}

}  // namespace ecsim::fault
