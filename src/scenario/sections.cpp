// The loader's sections: latency models, topology, network, model and
// workload; and topology_size_problem (validate.hpp), which the loader
// and validate() both ask.
#include "loader_impl.hpp"

#include <iterator>

namespace ecsim::scenario::loading {

namespace {

// The workload kinds, and the keys each one takes.
const std::vector<std::string_view> kWorkloadKinds{"ping", "requests", "billing"};
const std::vector<std::string_view> kPingKeys{"kind", "from", "to", "rate", "size", "timeout"};
const std::vector<std::string_view> kRequestsKeys{
    "kind", "at", "rate", "subscribers", "zipf", "records", "mix", "bad_tokens", "timeout",
    "dsm_keys", "until", "local_subscribers"};
const std::vector<std::string_view> kBillingKeys{"kind", "at", "rate", "subscribers", "numbers", "balance",
                                                 "amount", "mix", "timeout", "until", "cache"};
const std::vector<std::string_view> kBillingCacheKeys{"entries", "staleness_max"};
// In the order of the BillingWorkload::mix_* fields.
const std::vector<std::string_view> kBillingMixKeys{"debit", "transfer", "top_up", "port", "balance",
                                                    "number_owner"};
// In the order of the RequestWorkload::mix_* fields.
const std::vector<std::string_view> kMixKeys{"session_check", "read", "write", "dsm_set",
                                             "dsm_get"};

}  // namespace

// ---------------------------------------------------------------------------
// Latency models: a map with exactly one key naming the kind.

net::LatencyModel Loader::latency(const Field& f) const {
  static const std::vector<std::string_view> kKinds{"constant", "uniform", "normal", "lognormal",
                                                    "pareto"};
  const std::string expected = fmt::format("a map with one of {}", join_names(kKinds));
  if (!f.node.IsMap() || f.node.size() == 0) fail_value(f, expected);
  const MapView map(*this, f, kKinds);
  if (map.entries().size() > 1) {
    const auto& second = map.entries()[1];
    fail(second.second.key_mark,
         fmt::format("{} has two models '{}' and '{}', expected exactly one", f.path,
                     map.entries()[0].first, second.first));
  }
  const auto& [kind, params] = map.entries()[0];
  net::LatencyModel model = latency_params(params, kind);
  if (const std::string why = model.validate(); !why.empty()) {
    fail(f,
         fmt::format("{} is not a valid latency model ({}), expected {}", f.path, why, expected));
  }
  return model;
}

net::LatencyModel Loader::latency_params(const Field& f, std::string_view kind) const {
  const Duration zero{0};
  if (kind == "constant")
    return net::LatencyModel::constant(duration_in(f, zero, false, kLatencyMax));
  if (kind == "uniform") {
    const std::vector<Field> bounds = list(f, "a list [lo, hi] like [4ms, 12ms]");
    if (bounds.size() != 2)
      fail_value(f, "a list [lo, hi] like [4ms, 12ms]", count(bounds.size(), "item"));
    const Duration lo = duration_in(bounds[0], zero, true, kLatencyMax);
    if (lo == kLatencyMax) {  // hi must be above lo and at most the same bound
      fail_value(bounds[0], fmt::format("a duration from 0 and below {} (hi is above it)",
                                        bound(kLatencyMax)));
    }
    // [lo, hi): an empty interval has nothing to draw from.
    const Duration hi = duration_in(bounds[1], lo, false, kLatencyMax);
    return net::LatencyModel::uniform(lo, hi);
  }
  if (kind == "normal") {
    const MapView m(*this, f, {"mean", "stddev"});
    const Duration mean =
        duration_in(m.require("mean", kDurationExpected), zero, false, kLatencyMax);
    const Duration sd =
        duration_in(m.require("stddev", kDurationExpected), zero, true, kLatencyMax);
    return net::LatencyModel::normal(mean, sd);
  }
  if (kind == "lognormal") {
    const MapView m(*this, f, {"median", "p99"});
    const Field median_field = m.require("median", kDurationExpected);
    const Duration median = duration_in(median_field, zero, false, kLatencyMax);
    if (median == kLatencyMax) {  // p99 must be above it and at most the same bound
      fail_value(median_field, fmt::format("a duration above 0 and below {} (p99 is above it)",
                                           bound(kLatencyMax)));
    }
    const Duration p99 =
        duration_in(m.require("p99", kDurationExpected), median, false, kLatencyMax);
    return net::LatencyModel::lognormal(median, p99);
  }
  ECSIM_ASSERT(kind == "pareto");
  const MapView m(*this, f, {"scale", "alpha", "cap"});
  const Duration scale =
      duration_in(m.require("scale", kDurationExpected), zero, false, kLatencyMax);
  const double alpha = positive_number(m.require("alpha", "a number like 1.5"), kParetoAlphaMax);
  Duration cap{0};
  if (auto c = m.get("cap")) cap = duration_in(*c, scale, true, kLatencyMax);
  return net::LatencyModel::pareto(scale, alpha, cap);
}

// ---------------------------------------------------------------------------
// Sections.

Topology Loader::topology(const Field& f) const {
  const MapView map(*this, f, {"edge", "core", "cloud"});
  Topology t;
  if (auto v = map.get("edge")) t.edge = static_cast<int>(int_in(*v, 1, kNodesPerTierMax));
  if (auto v = map.get("core")) t.core = static_cast<int>(int_in(*v, 1, kNodesPerTierMax));
  if (auto v = map.get("cloud")) t.cloud = static_cast<int>(int_in(*v, 1, kNodesPerTierMax));
  return t;
}

void Loader::link_fields(const MapView& map, LinkPatch& patch) const {
  if (auto v = map.get("latency")) patch.latency = latency(*v);
  if (auto v = map.get("drop")) patch.drop_ppm = probability_ppm(*v);
  if (auto v = map.get("duplicate")) patch.duplicate_ppm = probability_ppm(*v);
  if (auto v = map.get("reorder")) patch.reorder = bool_value(*v);
  if (auto v = map.get("tls")) patch.tls = bool_value(*v);
}

ModelPatch Loader::model(const Field& f, const Scenario& sc) const {
  const MapView m(*this, f, {"edge_cache", "rpc", "messaging", "cores", "recovery", "vector_clocks", "storage"});
  m.refuse_empty();
  ModelPatch p;
  p.mark = to_mark(f.node.Mark());
  if (sc.requests.empty()) {
    fail(f.key_mark, "model sets the three tiers' parameters, but this scenario has no requests workload, "
                     "expected a workload of kind requests or no model");
  }
  if (auto v = m.get("edge_cache")) {
    const MapView c(*this, *v, {"capacity", "ttl"});
    c.refuse_empty();
    if (auto x = c.get("capacity")) p.cache_capacity = static_cast<uint64_t>(int_in(*x, 1, 10000000));
    if (auto x = c.get("ttl")) p.cache_ttl = duration_in(*x, Duration{0}, false, sim::seconds(3600));
  }
  if (auto v = m.get("rpc")) {
    const MapView r(*this, *v,
                    {"timeout", "retries", "cores_tried", "pool_size", "pool_warm", "handshake_timeout", "retry_budget"});
    r.refuse_empty();
    if (auto x = r.get("retry_budget")) p.rpc_retry_budget_percent = static_cast<uint32_t>(int_in(*x, 0, 1000));
    if (auto x = r.get("timeout")) p.rpc_timeout = duration_in(*x, Duration{0}, false, sim::seconds(60));
    if (auto x = r.get("retries")) p.rpc_retries = static_cast<uint32_t>(int_in(*x, 0, 10));
    if (auto x = r.get("cores_tried")) p.rpc_cores_tried = static_cast<uint32_t>(int_in(*x, 1, sc.topology.core));
    if (auto x = r.get("pool_size")) p.rpc_pool_size = static_cast<uint32_t>(int_in(*x, 1, 64));
    if (auto x = r.get("handshake_timeout")) {
      p.rpc_handshake_timeout = duration_in(*x, Duration{0}, false, sim::seconds(60));
    }
    if (auto x = r.get("pool_warm")) {
      const int64_t pool = p.rpc_pool_size.value_or(32);
      p.rpc_pool_warm = static_cast<uint32_t>(int_in(*x, 0, pool));
    }
  }
  std::optional<Field> resend;
  if (auto v = m.get("messaging")) {
    const MapView q(*this, *v, {"resend_timeout", "window"});
    q.refuse_empty();
    if ((resend = q.get("resend_timeout"))) {
      p.resend_timeout = duration_in(*resend, Duration{0}, false, sim::seconds(3600));
    }
    if (auto x = q.get("window")) p.window = static_cast<uint32_t>(int_in(*x, 1, 1024));
  }
  if (auto v = m.get("recovery")) p.recovery = bool_value(*v);
  // Without the backoff every un-ACKed message goes again each timeout: at
  // 1 ns a two-second run is billions of resends (minutes of wall time).
  if (resend && p.recovery == false && *p.resend_timeout < kResendTimeoutWithoutBackoffMin) {
    fail_value(*resend, fmt::format("at least {} with recovery: false (no backoff: each un-ACKed message "
                                    "is resent every timeout)",
                                    sim::format_duration(kResendTimeoutWithoutBackoffMin)));
  }
  if (auto v = m.get("vector_clocks")) p.vector_clocks = bool_value(*v);
  if (auto v = m.get("storage")) {
    const MapView st(*this, *v, {"wal_slack"});
    st.refuse_empty();
    if (auto x = st.get("wal_slack")) p.wal_slack = static_cast<uint64_t>(int_in(*x, 0, kWalSlackMax));
  }
  if (auto v = m.get("cores")) {
    const MapView c(*this, *v, {"edge", "core", "cloud"});
    c.refuse_empty();
    for (int t = 0; t < kTierCount; ++t) {
      if (auto x = c.get(tier_name(static_cast<Tier>(t)))) p.cores[t] = static_cast<uint32_t>(int_in(*x, 1, 256));
    }
  }
  return p;
}

Network Loader::network(const Field& f) const {
  const MapView map(*this, f, {"default", "links"});
  map.refuse_empty();
  Network net;
  if (auto d = map.get("default")) {
    const MapView defaults(*this, *d, {"latency", "drop", "duplicate", "reorder", "tls"});
    defaults.refuse_empty();
    link_fields(defaults, net.defaults);
  }
  const std::optional<Field> links = map.get("links");
  if (!links) return net;
  for (const Field& entry : list(*links, "a list of link overrides")) {
    const MapView m(*this, entry, {"between", "latency", "drop", "duplicate", "reorder", "tls"});
    LinkOverride o;
    between(m.require("between", "a list of two node selectors like [core, cloud]"), o.between);
    link_fields(m, o.patch);
    if (m.entries().size() < 2) {
      fail(entry.node.Mark(), fmt::format("{} sets nothing, expected at least one of latency, "
                                          "drop, duplicate, reorder or tls",
                                          entry.path));
    }
    net.overrides.push_back(std::move(o));
  }
  return net;
}

// The keys of a workload entry depend on its kind, so the kind is looked at
// first; unknown keys are then reported against that kind's keys. Without a
// valid kind, the keys of every kind are accepted and the kind is the error.
void Loader::workload_item(const Field& f, Scenario& sc) const {
  const std::string expected_kind = fmt::format("a workload kind: {}", join_names(kWorkloadKinds));
  std::string kind;
  if (f.node.IsMap()) {
    for (auto it = f.node.begin(); it != f.node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "kind" && it->second.IsScalar()) {
        kind = it->second.Scalar();
        break;
      }
    }
  }
  // The ping actors and the three tiers are two different node models: one
  // scenario runs one of them.
  const bool tiers = !sc.requests.empty() || !sc.billing.empty();
  if ((kind == "ping" && tiers) || ((kind == "requests" || kind == "billing") && !sc.workload.empty())) {
    fail(f, fmt::format("a '{}' workload after a '{}' one, expected workloads of one kind per scenario (ping, or "
                        "requests and billing)",
                        kind, kind == "ping" ? (sc.requests.empty() ? "billing" : "requests") : "ping"));
  }
  if (kind == "ping") {
    sc.workload.push_back(ping_item(MapView(*this, f, kPingKeys, " (kind ping)")));
    return;
  }
  if (kind == "requests") {
    sc.requests.push_back(requests_item(MapView(*this, f, kRequestsKeys, " (kind requests)")));
    return;
  }
  if (kind == "billing") {
    sc.billing.push_back(billing_item(MapView(*this, f, kBillingKeys, " (kind billing)")));
    return;
  }
  std::vector<std::string_view> all = kPingKeys;
  for (const auto* keys : {&kRequestsKeys, &kBillingKeys}) {
    for (std::string_view key : *keys) {
      if (std::find(all.begin(), all.end(), key) == all.end()) all.push_back(key);
    }
  }
  const MapView m(*this, f, all);
  fail_value(m.require("kind", expected_kind), expected_kind);
}

Workload Loader::ping_item(const MapView& m) const {
  Workload w;
  w.mark = to_mark(m.self().node.Mark());
  w.kind = Workload::Kind::kPing;
  w.from = selector(m.require("from", kSelectorExpected));
  w.to = selector(m.require("to", kSelectorExpected));
  w.rate_per_s = rate_per_s(m.require("rate", "a rate like 3000/s"));
  if (auto v = m.get("size")) w.size_bytes = size_bytes(*v);
  if (auto v = m.get("timeout")) w.timeout = duration_in(*v, Duration{0}, false, kTimeoutMax);
  return w;
}

RequestWorkload Loader::requests_item(const MapView& m) const {
  RequestWorkload w;
  w.mark = to_mark(m.self().node.Mark());
  w.at = Selector{"edge", w.mark};
  if (auto v = m.get("at")) w.at = selector(*v);
  w.rate_per_s = rate_per_s(m.require("rate", "a rate like 3000/s"));
  if (auto v = m.get("subscribers")) {
    w.subscribers = static_cast<uint64_t>(int_in(*v, 1, kSubscribersMax));
  }
  if (auto v = m.get("local_subscribers")) w.local_subscribers = bool_value(*v);
  if (auto v = m.get("zipf")) w.zipf = zipf_exponent(*v);
  if (auto v = m.get("records")) {
    w.records_per_subscriber = static_cast<uint32_t>(int_in(*v, 1, kRecordsPerSubscriberMax));
  }
  if (auto v = m.get("mix")) request_mix(*v, w);
  if (auto v = m.get("bad_tokens")) {
    w.bad_token_ppm = probability_ppm(*v);
    // A quarter of the bad tokens are another subscriber's valid token.
    if (w.bad_token_ppm > 0 && w.subscribers < 2) {
      fail_value(*v, "0 with a single subscriber",
                 "a cross-subscriber bad token needs a second subscriber");
    }
  }
  if (auto v = m.get("timeout")) w.timeout = duration_in(*v, Duration{0}, false, kTimeoutMax);
  if (auto v = m.get("dsm_keys")) w.dsm_keys = static_cast<uint64_t>(int_in(*v, 1, kDsmKeysMax));
  if (auto v = m.get("until")) w.until = duration_in(*v, Duration{0}, false, kScenarioDurationMax);
  return w;
}

// Integer weights; a key left out of a given mix weighs 0.
void Loader::request_mix(const Field& f, RequestWorkload& w) const {
  if (!f.node.IsMap()) fail_value(f, "a map of weights like { session_check: 70, read: 30 }");
  const MapView m(*this, f, kMixKeys);
  uint32_t* const weights[] = {&w.mix_session_check, &w.mix_read, &w.mix_write, &w.mix_dsm_set,
                               &w.mix_dsm_get};
  ECSIM_ASSERT(kMixKeys.size() == std::size(weights));
  uint64_t sum = 0;
  for (size_t i = 0; i < kMixKeys.size(); ++i) {
    *weights[i] = 0;
    if (auto v = m.get(kMixKeys[i]))
      *weights[i] = static_cast<uint32_t>(int_in(*v, 0, kMixWeightMax));
    sum += *weights[i];
  }
  if (sum == 0) {
    fail_value(f, "at least one weight above 0", m.entries().empty() ? "" : "all weights 0");
  }
}

BillingWorkload Loader::billing_item(const MapView& m) const {
  BillingWorkload w;
  w.mark = to_mark(m.self().node.Mark());
  w.at = Selector{"edge", w.mark};
  if (auto v = m.get("at")) w.at = selector(*v);
  w.rate_per_s = rate_per_s(m.require("rate", "a rate like 200/s"));
  if (auto v = m.get("subscribers")) w.subscribers = static_cast<uint64_t>(int_in(*v, 2, kBillingSubscribersMax));
  if (auto v = m.get("numbers")) {
    w.numbers_per_subscriber = static_cast<uint32_t>(int_in(*v, 1, kBillingNumbersPerSubscriberMax));
  }
  if (auto v = m.get("balance")) w.initial_balance = int_in(*v, 0, kBillingBalanceMax);
  if (auto v = m.get("amount")) {
    const std::string expected = "a list [lo, hi] of minor units like [100, 50000]";
    const std::vector<Field> bounds = list(*v, expected);
    if (bounds.size() != 2) fail_value(*v, expected, count(bounds.size(), "item"));
    w.amount_min = int_in(bounds[0], 1, kBillingBalanceMax);
    w.amount_max = int_in(bounds[1], w.amount_min, kBillingBalanceMax);
  }
  if (auto v = m.get("mix")) billing_mix(*v, w);
  if (auto v = m.get("timeout")) w.timeout = duration_in(*v, Duration{0}, false, kTimeoutMax);
  if (auto v = m.get("until")) w.until = duration_in(*v, Duration{0}, false, kScenarioDurationMax);
  if (auto v = m.get("cache")) {
    if (!v->node.IsMap()) fail_value(*v, "a map like { entries: 256, staleness_max: 1s }");
    const MapView c(*this, *v, kBillingCacheKeys);
    w.cache_entries = static_cast<uint32_t>(int_in(c.require("entries", "a number of entries like 256"), 1,
                                                   kBillingCacheEntriesMax));
    if (auto d = c.get("staleness_max")) w.cache_staleness_max = duration_in(*d, Duration{0}, false, kTimeoutMax);
  }
  return w;
}

// Integer weights; a key left out of a given mix weighs 0.
void Loader::billing_mix(const Field& f, BillingWorkload& w) const {
  if (!f.node.IsMap()) fail_value(f, "a map of weights like { debit: 50, transfer: 50 }");
  const MapView m(*this, f, kBillingMixKeys);
  uint32_t* const weights[] = {&w.mix_debit, &w.mix_transfer, &w.mix_top_up, &w.mix_port, &w.mix_balance,
                               &w.mix_number_owner};
  ECSIM_ASSERT(kBillingMixKeys.size() == std::size(weights));
  uint64_t sum = 0;
  for (size_t i = 0; i < kBillingMixKeys.size(); ++i) {
    *weights[i] = 0;
    if (auto v = m.get(kBillingMixKeys[i])) *weights[i] = static_cast<uint32_t>(int_in(*v, 0, kMixWeightMax));
    sum += *weights[i];
  }
  if (sum == 0) fail_value(f, "at least one weight above 0", m.entries().empty() ? "" : "all weights 0");
}

}  // namespace ecsim::scenario::loading

namespace ecsim::scenario {

std::string topology_size_problem(const Scenario& sc) {
  const Topology& t = sc.topology;
  const int nodes = t.edge + t.core + t.cloud;
  if (nodes > kNodesMax) return fmt::format("topology has {} nodes, expected at most {} in all", nodes, kNodesMax);
  if (nodes > kNodesWithClocksMax && !sc.requests.empty() && sc.model.vector_clocks != false) {
    return fmt::format("topology has {} nodes with vector clocks on (a clock of {} entries on every message), "
                       "expected at most {} nodes with clocks, or model: {{ vector_clocks: false }}",
                       nodes, nodes, kNodesWithClocksMax);
  }
  return {};
}

}  // namespace ecsim::scenario
