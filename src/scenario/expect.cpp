// The loader's expect section.
#include "loader_impl.hpp"

#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/windows.hpp"

namespace ecsim::scenario::loading {


Expect Loader::expect(const Field& f, const Scenario& sc) const {
  const MapView m(*this, f,
                  {"invariants", "served_ratio_min", "latency_p99", "throughput_min", "min_delivered",
                   "quiescence", "recovers_within", "utilisation_max", "billing"});
  Expect e;
  e.mark = to_mark(f.node.Mark());
  static const std::vector<std::string_view> kInvariants = [] {
    std::vector<std::string_view> names;
    for (const InvariantInfo& i : invariants()) names.push_back(i.name);
    return names;
  }();
  std::optional<Mark> convergence_mark;  // judged once quiescence is known
  if (auto inv = m.get("invariants")) {
    for (const Field& name_field : list(*inv, "a list of invariant names like [durability]")) {
      const std::string name = scalar(name_field, "an invariant name like durability");
      if (std::find(kInvariants.begin(), kInvariants.end(), name) == kInvariants.end()) {
        const auto near = closest(name, kInvariants);
        fail(name_field, near ? fmt::format("unknown invariant {} in {}, did you mean '{}'?",
                                            quote(name), inv->path, *near)
                              : fmt::format("unknown invariant {} in {}, expected {}", quote(name),
                                            inv->path, join_names(kInvariants)));
      }
      if (invariants()[static_cast<size_t>(*invariant_by_name(name))].tiers_only && sc.requests.empty()) {
        fail(name_field, fmt::format("invariant {} in a scenario without a requests workload, expected it only "
                                     "with the three-tier model",
                                     quote(name)));
      }
      if (std::find(e.invariants.begin(), e.invariants.end(), name) != e.invariants.end()) {
        fail(name_field, fmt::format("invariant {} listed twice in {}, expected each once",
                                     quote(name), inv->path));
      }
      if (const auto why = missing_for(*invariant_by_name(name), sc); !why.empty()) {
        fail(name_field, fmt::format("invariant {} has nothing to judge in this scenario, expected {}", quote(name),
                                     why));
      }
      if (name == "convergence") convergence_mark = to_mark(name_field.node.Mark());
      e.invariants.push_back(name);
    }
  }
  if (auto v = m.get("served_ratio_min")) {
    if (!served_ratio_countable(sc)) {
      fail(v->key_mark, fmt::format("{} in a scenario whose every client request carries a bad token (refused "
                                    "requests are left out of the ratio, so none would count), expected clients "
                                    "with good tokens or no {}",
                                    v->path, v->path));
    }
    e.served_ratio_min = ratio(*v, true);
  }
  if (auto v = m.get("latency_p99")) {
    const MapView p99(*this, *v, {"ping", "edge", "core", "cloud", "outside_faults"});
    p99.refuse_empty();
    if (auto ping = p99.get("ping")) {
      if (sc.workload.empty()) {
        fail(ping->key_mark, fmt::format("{} in a scenario without a ping workload, expected it only with "
                                         "kind: ping workloads",
                                         ping->path));
      }
      e.ping_latency_p99 = duration_in(*ping, Duration{0}, false, kScenarioDurationMax);
      if (const std::string why = latency_bound_refusal(sc, "latency_p99.ping", *e.ping_latency_p99); !why.empty()) {
        fail(*ping, why);
      }
    }
    if (auto t = p99.get("edge")) e.tier_latency_p99[0] = duration_in(*t, Duration{0}, false, kScenarioDurationMax);
    if (auto t = p99.get("core")) e.tier_latency_p99[1] = duration_in(*t, Duration{0}, false, kScenarioDurationMax);
    if (auto t = p99.get("cloud")) e.tier_latency_p99[2] = duration_in(*t, Duration{0}, false, kScenarioDurationMax);
    const bool tiers = e.tier_latency_p99[0] || e.tier_latency_p99[1] || e.tier_latency_p99[2];
    for (int index = 0; index < kTierCount; ++index) {
      const char* tier = tier_name(static_cast<Tier>(index));
      auto t = p99.get(tier);
      if (!t) continue;
      if (sc.requests.empty()) {
        fail(t->key_mark, fmt::format("{} in a scenario without a requests workload, expected tier latencies "
                                      "only with the three-tier model",
                                      t->path));
      }
      if (std::string_view(tier) != "edge" && !clients_admitted(sc, true)) {
        fail(t->key_mark, fmt::format("{} in a scenario whose clients send nothing past the edge (session_check, "
                                      "read and write all 0 in the mix, or bad_tokens: 100%), expected clients "
                                      "that reach the {} tier or no {}",
                                      t->path, tier, t->path));
      }
      // Not the cloud row: core's quorum operations, timed by core's own limits.
      const std::string key = fmt::format("latency_p99.{}", tier);
      if (const std::string why = static_cast<Tier>(index) == Tier::kCloud
                                      ? ""
                                      : latency_bound_refusal(sc, key, *e.tier_latency_p99[index]);
          !why.empty()) {
        fail(*t, why);
      }
    }
    if (auto of = p99.get("outside_faults")) {
      if (!tiers) {
        fail(of->key_mark, fmt::format("{} without a tier latency (edge, core or cloud) beside it, expected "
                                       "it to qualify one",
                                       of->path));
      }
      e.latency_outside_faults = duration_in(*of, Duration{0}, true, kScenarioDurationMax);
    }
  }
  if (auto v = m.get("throughput_min")) throughput_min(*v, sc, e);
  if (auto v = m.get("utilisation_max")) {
    const MapView u(*this, *v, {"edge", "core", "cloud"});
    u.refuse_empty();
    for (int t = 0; t < kTierCount; ++t) {
      auto bound = u.get(tier_name(static_cast<Tier>(t)));
      if (!bound) continue;
      if (sc.requests.empty()) {
        fail(bound->key_mark, fmt::format("{} in a scenario without a requests workload, expected tier "
                                          "utilisation only with the three-tier model",
                                          bound->path));
      }
      e.utilisation_max[t] = ratio(*bound);
      // A tier's utilisation is its busy time over its capacity, never above
      // 100 %: a maximum of 1 holds whatever happens.
      if (*e.utilisation_max[t] >= 1.0) {
        fail_value(*bound, "a ratio below 1, like 0.7 or '70%' (utilisation never passes 100 %, so a maximum of 1 "
                           "could never fail)");
      }
    }
  }
  if (auto v = m.get("billing")) e.billing = billing_expect(*v, sc);
  if (auto v = m.get("min_delivered")) {
    e.min_delivered = uint_value(*v);
    if (*e.min_delivered == 0) fail_value(*v, "a whole number above 0 (a minimum of 0 could never fail)");
  }
  if (auto v = m.get("quiescence")) e.quiescence = duration_in(*v, Duration{0}, false, kQuiescenceMax);
  if (convergence_mark) {
    if (const std::string why = convergence_unjudgeable(sc, e.quiescence); !why.empty()) {
      fail(*convergence_mark, fmt::format("invariant 'convergence' can never be judged in this scenario: {}", why));
    }
  }
  if (auto v = m.get("recovers_within")) {
    // Served ratios are measured per whole second: less cannot be judged.
    e.recovers_within = duration_in(*v, sim::seconds(1), true, sim::seconds(3600));
    if (const std::string why = recovers_within_refusal(sc, RecoveryClients::kRequests, *e.recovers_within);
        !why.empty()) {
      fail(v->key_mark, why);
    }
  }
  return e;
}

// `billing: { served_ratio_min, latency_p99, read_latency_p99 }`: the billing
// service's levels; each key only where the scenario has operations it judges.
BillingExpect Loader::billing_expect(const Field& f, const Scenario& sc) const {
  const MapView m(*this, f, {"served_ratio_min", "latency_p99", "read_latency_p99", "recovers_within"});
  if (f.node.size() == 0) {
    fail_value(f, "a map with served_ratio_min, latency_p99, read_latency_p99 or recovers_within, like "
                  "{ served_ratio_min: 0.99 }");
  }
  BillingExpect b;
  for (const char* key : {"served_ratio_min", "latency_p99", "read_latency_p99", "recovers_within"}) {
    const auto v = m.get(key);
    if (!v) continue;
    // recovers_within's deadline depends on its value.
    const sim::Duration within = std::string_view(key) == "recovers_within"
                                     ? duration_in(*v, sim::seconds(1), true, sim::seconds(3600))
                                     : sim::seconds(1);
    if (const std::string why = billing_expect_missing(sc, key, within); !why.empty()) {
      fail(v->key_mark, why.starts_with("expect.") ? why : fmt::format("{} {}", v->path, why));
    }
    if (std::string_view(key) == "served_ratio_min") {
      b.served_ratio_min = ratio(*v, true);
    } else if (std::string_view(key) == "recovers_within") {
      // Served ratios are measured per whole second: less cannot be judged.
      b.recovers_within = duration_in(*v, sim::seconds(1), true, sim::seconds(3600));
    } else {
      const Duration bound = duration_in(*v, Duration{0}, false, kScenarioDurationMax);
      if (const std::string why = latency_bound_refusal(sc, fmt::format("billing.{}", key), bound); !why.empty()) {
        fail(*v, why);
      }
      (std::string_view(key) == "latency_p99" ? b.latency_p99 : b.read_latency_p99) = bound;
    }
  }
  return b;
}

// `throughput_min: { SELECTOR: RATE, ... }`: the keys are node selectors, so
// the map is walked here rather than through a MapView of known keys. Every
// node a selector names must have clients (be in some requests workload's
// `at`): a node without them is offered nothing and could never pass.
void Loader::throughput_min(const Field& f, const Scenario& sc, Expect& e) const {
  constexpr const char* kExpected = "a map of node selectors to rates like { edge: 1000/s }";
  if (!f.node.IsMap() || f.node.size() == 0) fail_value(f, kExpected);
  if (sc.requests.empty()) {
    fail(f.key_mark, fmt::format("{} in a scenario without a requests workload, expected it only with the "
                                 "three-tier model (clients at edge nodes)",
                                 f.path));
  }
  std::vector<bool> has_clients(node_names(topology_).size(), false);
  for (const RequestWorkload& w : sc.requests) {
    for (uint32_t n : nodes_of(w.at)) has_clients[n] = true;
  }
  const std::vector<std::string> names = node_names(topology_);
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    const YAML::Node key = it->first;  // handles: the iterator's pair is a temporary
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      fail(key.Mark(), fmt::format("{} has a key that is {}, expected a node selector like edge", f.path,
                                   shown(key)));
    }
    for (const ThroughputMin& t : e.throughput_min) {
      if (t.nodes.text == key.Scalar()) {
        fail(key.Mark(), fmt::format("duplicate key {} in {}, expected each key once", quote(key.Scalar()),
                                     f.path));
      }
    }
    const Field key_field{key, f.path, key.Mark()};
    ThroughputMin t;
    t.nodes = selector(key_field);
    for (uint32_t n : nodes_of(t.nodes)) {
      if (!has_clients[n]) {
        fail(key.Mark(), fmt::format("{} selects {}, which has no clients, expected nodes with clients (in a "
                                     "requests workload's 'at')",
                                     f.path, names[n]));
      }
    }
    t.per_s = rate_per_s(child(f, key.Scalar(), value, key.Mark()));
    e.throughput_min.push_back(std::move(t));
  }
}

}  // namespace ecsim::scenario::loading
