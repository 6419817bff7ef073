// The loader's fault schedule: actions, byzantine and at_point faults,
// partition groups.
#include "loader_impl.hpp"

#include "ecsim/workload/billing.hpp"


namespace ecsim::scenario::loading {

namespace {

// In the order of Fault::Kind.
const std::vector<std::string_view> kFaultActions{"crash",     "restart", "partition", "heal",
                                                  "drop",      "delay",   "duplicate", "reorder",
                                                  "byzantine", "at_point",  "dsm_set",
                                                  "dsm_get",   "billing", "twopc_vote_no"};
// The keys of a fault that are neither `at`, `for` nor an action: the
// parameters of a byzantine fault and of an at_point fault.
const std::vector<std::string_view> kByzantineKeys{"strategy", "rate"};
const std::vector<std::string_view> kAtPointKeys{"node", "nth", "do"};
// In the order of Fault::Strategy.
const std::vector<std::string_view> kByzantineStrategies{"cloud_direct_write"};
// In the order of Fault::PointAction.
const std::vector<std::string_view> kPointActions{"crash", "cut"};
// In the order of Fault::BillingOp.
const std::vector<std::string_view> kBillingOps{"debit", "transfer", "top_up", "port"};

bool is_fault_parameter(std::string_view key) {
  const auto in = [key](const std::vector<std::string_view>& keys) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  return key == "at" || key == "for" || key == "after_event" || in(kByzantineKeys) || in(kAtPointKeys);
}

// Refuses the parameters of another kind of fault: `strategy` on a crash,
// `nth` on a byzantine fault.
void refuse_parameters(const Loader& loader, const MapView& m, Fault::Kind kind, Fault::Kind owner,
                       const std::vector<std::string_view>& keys, std::string_view expected) {
  if (kind == owner) return;
  for (std::string_view key : keys) {
    if (auto v = m.get(key)) {
      loader.fail(v->key_mark, fmt::format("'{}' on a {} fault, expected {} only with {}", key,
                                           kFaultActions[static_cast<size_t>(kind)], expected,
                                           kFaultActions[static_cast<size_t>(owner)]));
    }
  }
}

}  // namespace

Fault Loader::fault(const Field& f, const Scenario& sc) const {
  const Duration scenario_duration = sc.duration;
  std::vector<std::string_view> known{"at", "for", "after_event"};
  known.insert(known.end(), kFaultActions.begin(), kFaultActions.end());
  known.insert(known.end(), kByzantineKeys.begin(), kByzantineKeys.end());
  known.insert(known.end(), kAtPointKeys.begin(), kAtPointKeys.end());
  const MapView m(*this, f, known);
  Fault out;
  out.mark = to_mark(f.node.Mark());
  fault_action(m, out);
  if (out.kind == Fault::Kind::kAtPoint) {
    // It happens at a reach, not at a time.
    if (auto v = m.get("at")) {
      fail(v->key_mark, "'at' on an at_point fault, expected either 'at' (a time) or 'at_point' (a protocol point)");
    }
  } else {
    const Field at = m.require("at", "a time like 10s");
    const Duration at_d = duration(at);
    if (at_d >= scenario_duration) {
      fail_value(at,
                 fmt::format("a time before the end of the scenario ({})", bound(scenario_duration)));
    }
    out.at = sim::Time{at_d.ns};
  }
  if (auto v = m.get("after_event")) {
    if (out.kind == Fault::Kind::kAtPoint) {
      fail(v->key_mark, "'after_event' on an at_point fault, expected it only beside 'at' (a timed fault)");
    }
    out.after_event = static_cast<uint64_t>(int_in(*v, 0, static_cast<int64_t>(kAfterEventMax)));
  }
  if (out.kind == Fault::Kind::kByzantine) fault_byzantine(m, m.require("byzantine", kSelectorExpected), sc, out);
  if (out.kind == Fault::Kind::kAtPoint) fault_at_point(m, m.require("at_point", "a protocol point"), sc, out);
  if (is_action(out.kind)) {
    const std::string_view name = kFaultActions[static_cast<size_t>(out.kind)];
    fault_workload_action(*m.get(name), sc, out);
  }
  refuse_parameters(*this, m, out.kind, Fault::Kind::kByzantine, kByzantineKeys, "'strategy' and 'rate'");
  refuse_parameters(*this, m, out.kind, Fault::Kind::kAtPoint, kAtPointKeys, "'node', 'nth' and 'do'");
  if (auto v = m.get("for")) {
    if (out.kind == Fault::Kind::kRestart || out.kind == Fault::Kind::kHeal || is_action(out.kind)) {
      fail(v->key_mark,
           fmt::format("'for' on a {} fault, expected 'for' only with crash, partition, "
                       "drop, duplicate, delay, reorder, byzantine or at_point",
                       kFaultActions[static_cast<size_t>(out.kind)]));
    }
    out.for_duration = duration_in(*v, Duration{0}, false, kScenarioDurationMax);
  }
  return out;
}

// The one action key of a fault and its argument.
void Loader::fault_action(const MapView& m, Fault& fault) const {
  const Field& f = m.self();
  const std::pair<std::string, Field>* action = nullptr;
  for (const auto& entry : m.entries()) {
    if (is_fault_parameter(entry.first)) continue;
    if (action != nullptr) {
      fail(entry.second.key_mark,
           fmt::format("{} has two actions '{}' and '{}', expected exactly one", f.path,
                       action->first, entry.first));
    }
    action = &entry;
  }
  if (action == nullptr) {
    fail(f.node.Mark(),
         fmt::format("{} has no action, expected one of {}", f.path, join_names(kFaultActions)));
  }
  const std::string& kind = action->first;
  const Field& arg = action->second;
  const auto pos = std::find(kFaultActions.begin(), kFaultActions.end(), kind);
  fault.kind = static_cast<Fault::Kind>(pos - kFaultActions.begin());
  fault.between[0] = fault.between[1] = Selector{"*", fault.mark};
  switch (fault.kind) {
    case Fault::Kind::kCrash:
    case Fault::Kind::kRestart:
      fault.target = selector(arg);
      return;
    case Fault::Kind::kByzantine:  // its parameters are read by fault_byzantine
    case Fault::Kind::kAtPoint:    // and fault_at_point
    case Fault::Kind::kDsmSet:     // and fault_workload_action
    case Fault::Kind::kDsmGet:
    case Fault::Kind::kBilling:
    case Fault::Kind::kTwopcVoteNo:
      return;
    case Fault::Kind::kPartition:
      partition_groups(arg, fault);
      return;
    case Fault::Kind::kHeal:
      if (!arg.node.IsScalar() || (arg.node.Scalar() != "true" && arg.node.Scalar() != "all")) {
        fail_value(arg, "true or all");
      }
      return;
    case Fault::Kind::kReorder:
      if (arg.node.IsScalar() && arg.node.Scalar() == "true") return;
      break;
    default:
      break;
  }
  // drop, duplicate, delay, reorder: a map with an optional `between`.
  std::vector<std::string_view> keys{"between"};
  if (fault.kind == Fault::Kind::kDrop || fault.kind == Fault::Kind::kDuplicate)
    keys.push_back("rate");
  if (fault.kind == Fault::Kind::kDelay) keys.push_back("latency");
  if (!arg.node.IsMap()) {
    fail_value(arg, fault.kind == Fault::Kind::kReorder ? "a map like { between: [edge, core] }"
                                                        : fmt::format("a map with {}", keys[1]));
  }
  const MapView a(*this, arg, keys);
  if (auto b = a.get("between")) between(*b, fault.between);
  if (fault.kind == Fault::Kind::kDrop || fault.kind == Fault::Kind::kDuplicate) {
    fault.ppm = probability_ppm(a.require("rate", kProbabilityExpected));
  } else if (fault.kind == Fault::Kind::kDelay) {
    fault.latency = latency(a.require("latency", "a latency model like { constant: 50ms }"));
  }
}

// `byzantine: SELECTOR, strategy: NAME, rate: RATE`. The one strategy,
// cloud_direct_write, forges storage writes from edge nodes to the cloud
// tier: it needs the three-tier model and edge nodes.
void Loader::fault_byzantine(const MapView& m, const Field& target, const Scenario& sc, Fault& fault) const {
  const std::string expected_strategy = fmt::format("a strategy: {}", join_names(kByzantineStrategies));
  fault.target = selector(target);
  const Field strategy = m.require("strategy", expected_strategy);
  const std::string& name = scalar(strategy, expected_strategy);
  const auto known = std::find(kByzantineStrategies.begin(), kByzantineStrategies.end(), name);
  if (known == kByzantineStrategies.end()) {
    if (auto near = closest(name, kByzantineStrategies)) {
      fail(strategy, fmt::format("unknown byzantine strategy {} in {}, did you mean '{}'?", quote(name),
                                 strategy.path, *near));
    }
    fail_value(strategy, expected_strategy);
  }
  fault.strategy = static_cast<Fault::Strategy>(known - kByzantineStrategies.begin());
  if (auto v = m.get("rate")) fault.rate_per_s = rate_per_s(*v);
  ECSIM_ASSERT(fault.strategy == Fault::Strategy::kCloudDirectWrite);
  if (sc.requests.empty()) {
    fail(strategy, fmt::format("byzantine strategy {} in a scenario without a requests workload, expected "
                               "it only with the three-tier model (a requests workload)",
                               quote(name)));
  }
  const std::vector<std::string> names = node_names(topology_);
  for (uint32_t node : nodes_of(fault.target)) {
    const Tier tier = node_tier(topology_, node);
    if (tier != Tier::kEdge) {
      fail(target, fmt::format("byzantine strategy {} on {} (a {} node), expected edge nodes only", quote(name),
                               names[node], tier_name(tier)));
    }
  }
  ECSIM_ASSERT(fault.rate_per_s > 0);
}

// `at_point: NAME, node: NODE, nth: N, do: crash|cut`: NAME one of the points
// proto/points.hpp lists, NODE exactly one node of a tier that runs the
// point's code; the points belong to the three-tier model.
void Loader::fault_at_point(const MapView& m, const Field& name_field, const Scenario& sc, Fault& fault) const {
  constexpr const char* kExpected = "a protocol point like storage.replica.after_wal_append (docs/scenarios.md)";
  const std::string& name = scalar(name_field, kExpected);
  const std::optional<proto::Point> point = proto::point_by_name(name);
  if (!point) {
    std::vector<std::string_view> names;
    for (const proto::PointInfo& p : proto::points()) names.push_back(p.name);
    if (auto near = closest(name, names)) {
      fail(name_field, fmt::format("unknown protocol point {} in {}, did you mean '{}'?", quote(name),
                                   name_field.path, *near));
    }
    fail_value(name_field, kExpected);
  }
  fault.point = *point;
  if (sc.requests.empty()) {
    fail(name_field, fmt::format("at_point {} in a scenario without a requests workload, expected it only with the "
                                 "three-tier model (a requests workload), whose protocols have the points",
                                 quote(name)));
  }
  if (proto::point_protocol(name) == "twopc" && sc.billing.empty()) {
    fail(name_field, fmt::format("at_point {} in a scenario without a billing workload, which never runs 2PC, "
                                 "expected a billing workload (docs/scenarios.md)",
                                 quote(name)));
  }
  const Field node = m.require("node", "the node that acts at the point, like cloud-2");
  fault.target = selector(node);
  const std::vector<uint32_t> nodes = nodes_of(fault.target);
  const std::vector<std::string> names = node_names(topology_);
  if (nodes.size() != 1) {
    fail(node, fmt::format("{} selects {} ({}, ...), expected exactly one node", node.path, count(nodes.size(), "node"),
                           names[nodes[0]]));
  }
  const proto::PointInfo& info = proto::point_info(*point);
  const Tier tier = node_tier(topology_, nodes[0]);
  uint32_t runs_on = info.tiers;
  // With the edge billing cache on, core nodes send invalidations over msgq
  // too (docs/twopc.md, "Edge billing cache"), so their sender resends.
  const bool cache = !sc.billing.empty() && sc.billing[0].cache_entries > 0;
  if (cache && *point == proto::Point::kMsgqSenderBeforeResend) runs_on |= 1u << static_cast<unsigned>(Tier::kCore);
  if ((runs_on & (1u << static_cast<unsigned>(tier))) == 0) {
    std::vector<std::string_view> tiers;
    for (int t = 0; t < kTierCount; ++t) {
      if ((runs_on & (1u << t)) != 0) tiers.push_back(tier_name(static_cast<Tier>(t)));
    }
    fail(node, fmt::format("{} on {} (a {} node), which never runs that code, expected a {} node", info.name,
                           names[nodes[0]], tier_name(tier), join_names(tiers)));
  }
  if (auto v = m.get("nth")) fault.nth = static_cast<uint64_t>(int_in(*v, 1, kNthMax));
  const std::string expected_action = fmt::format("an action at the point: {}", join_names(kPointActions));
  const Field action = m.require("do", expected_action);
  const std::string& what = scalar(action, expected_action);
  const auto known = std::find(kPointActions.begin(), kPointActions.end(), what);
  if (known == kPointActions.end()) fail_value(action, expected_action);
  fault.action = static_cast<Fault::PointAction>(known - kPointActions.begin());
  ECSIM_ASSERT(fault.nth >= 1);
}

// Groups are lists of selectors; one group may be "*" (or ["*"]): every node
// in no other group. No node may be in two groups.
void Loader::partition_groups(const Field& f, Fault& fault) const {
  constexpr const char* kExpected = "a list of two or more groups like [[edge-1], \"*\"]";
  const std::vector<Field> groups = list(f, kExpected);
  if (groups.size() < 2) fail_value(f, kExpected, count(groups.size(), "group"));
  std::vector<int> group_of(node_names(topology_).size(), -1);
  std::optional<Field> rest;
  for (size_t g = 0; g < groups.size(); ++g) {
    const Field& group = groups[g];
    const bool is_rest = (group.node.IsScalar() && group.node.Scalar() == "*") ||
                         (group.node.IsSequence() && group.node.size() == 1 &&
                          group.node[0].IsScalar() && group.node[0].Scalar() == "*");
    if (is_rest) {
      if (rest) fail_value(group, "one \"*\" group at most", "a second \"*\" group");
      rest = group;
      fault.groups.push_back({Selector{"*", to_mark(group.node.Mark())}});
      continue;
    }
    std::vector<Selector> members;
    for (const Field& member : list(group, "a list of node selectors or \"*\"")) {
      if (member.node.IsScalar() && member.node.Scalar() == "*") {
        fail_value(member, "node selectors other than '*' (use \"*\" as a group of its own)");
      }
      Selector s = selector(member);
      for (uint32_t node : nodes_of(s)) {
        if (group_of[node] >= 0 && group_of[node] != static_cast<int>(g)) {
          fail(member,
               fmt::format("node {} is in partition groups {} and {}, expected each node in "
                           "one group",
                           node_names(topology_)[node], group_of[node], g));
        }
        group_of[node] = static_cast<int>(g);
      }
      members.push_back(std::move(s));
    }
    if (members.empty()) fail_value(group, "a group with at least one node");
    fault.groups.push_back(std::move(members));
  }
  if (rest && std::find(group_of.begin(), group_of.end(), -1) == group_of.end()) {
    fail(*rest, "\"*\" group is empty (every node is in another group), expected some node left");
  }
}

}  // namespace ecsim::scenario::loading

namespace ecsim::scenario::loading {

// `dsm_set: {node: N, key: K, value: V}`, `dsm_get: {node: N, key: K}`,
// `billing: {op: OP, from: S, to: S, amount: A, number: P, edge: E}`: one
// node (an edge node for billing) of the three-tier model; billing needs a
// billing workload, whose domain the subscribers and numbers belong to.
void Loader::fault_workload_action(const Field& arg, const Scenario& sc, Fault& fault) const {
  const std::string_view kind = kFaultActions[static_cast<size_t>(fault.kind)];
  if (sc.requests.empty()) {
    fail(arg, fmt::format("{} in a scenario without a requests workload, expected it only with the three-tier "
                          "model (a requests workload), whose nodes hold the DSM and billing",
                          kind));
  }
  const std::vector<std::string> names = node_names(topology_);
  const auto one_node = [&](const Field& node) {
    fault.target = selector(node);
    const std::vector<uint32_t> nodes = nodes_of(fault.target);
    if (nodes.size() != 1) {
      fail(node, fmt::format("{} selects {} ({}, ...), expected exactly one node", node.path,
                             count(nodes.size(), "node"), names[nodes[0]]));
    }
    return nodes[0];
  };
  const auto max = static_cast<int64_t>(kDsmActionValueMax);
  if (fault.kind == Fault::Kind::kDsmSet || fault.kind == Fault::Kind::kDsmGet) {
    const bool set = fault.kind == Fault::Kind::kDsmSet;
    if (!arg.node.IsMap()) fail_value(arg, set ? "a map like {node: edge-1, key: 7, value: 42}" : "a map like {node: edge-1, key: 7}");
    std::vector<std::string_view> keys{"node", "key"};
    if (set) keys.push_back("value");
    const MapView a(*this, arg, keys);
    one_node(a.require("node", "the node whose DSM replica is written or read, like edge-1"));
    fault.key = static_cast<uint64_t>(int_in(a.require("key", "a DSM key, an integer"), 0, max));
    if (set) fault.value = static_cast<uint64_t>(int_in(a.require("value", "a value, an integer"), 0, max));
    return;
  }
  if (fault.kind == Fault::Kind::kTwopcVoteNo) {
    if (!arg.node.IsMap()) fail_value(arg, "a map like {node: cloud-2, count: 1}");
    const MapView a(*this, arg, {"node", "count"});
    if (sc.billing.empty()) {
      fail(arg, "twopc_vote_no in a scenario without a billing workload, expected a billing workload (its 2PC "
                "participants)");
    }
    const Field node = a.require("node", "a 2PC participant (an edge or cloud node), like cloud-2");
    const uint32_t n = one_node(node);
    if (node_tier(topology_, n) == Tier::kCore) {
      fail(node, fmt::format("twopc_vote_no at {} (a core node, a 2PC coordinator), expected a billing "
                             "participant: an edge or cloud node",
                             names[n]));
    }
    fault.count = 1;
    if (auto c = a.get("count")) fault.count = static_cast<uint64_t>(int_in(*c, 1, 1'000'000));
    return;
  }
  ECSIM_ASSERT(fault.kind == Fault::Kind::kBilling);
  if (!arg.node.IsMap()) fail_value(arg, "a map like {op: transfer, from: 1, to: 2, amount: 500, edge: edge-1}");
  const MapView a(*this, arg, {"op", "from", "to", "amount", "number", "edge"});
  if (sc.billing.empty()) {
    fail(arg, "billing in a scenario without a billing workload, expected a billing workload (its accounts)");
  }
  const Field edge = a.require("edge", "the edge node that takes the operation, like edge-1");
  const uint32_t node = one_node(edge);
  if (node_tier(topology_, node) != Tier::kEdge) {
    fail(edge, fmt::format("billing at {} (a {} node), expected an edge node", names[node],
                           tier_name(node_tier(topology_, node))));
  }
  const std::string expected_op = fmt::format("an operation: {}", join_names(kBillingOps));
  const Field op = a.require("op", expected_op);
  const std::string& what = scalar(op, expected_op);
  const auto known = std::find(kBillingOps.begin(), kBillingOps.end(), what);
  if (known == kBillingOps.end()) fail_value(op, expected_op);
  fault.op = static_cast<Fault::BillingOp>(known - kBillingOps.begin());
  const BillingWorkload& w = sc.billing[0];
  const auto subscriber = [&](std::string_view key) {
    return static_cast<uint64_t>(
        int_in(a.require(key, fmt::format("a subscriber 1..{}", w.subscribers)), 1, static_cast<int64_t>(w.subscribers)));
  };
  if (fault.op != Fault::BillingOp::kTopUp) fault.from = subscriber("from");
  if (fault.op != Fault::BillingOp::kDebit) fault.to = subscriber("to");
  if (fault.op == Fault::BillingOp::kPort) {
    const uint64_t numbers = w.subscribers * w.numbers_per_subscriber;
    const Field n = a.require("number", "a phone number of the billing domain");
    fault.number = static_cast<uint64_t>(int_in(n, static_cast<int64_t>(workload::kNumberBase),
                                                static_cast<int64_t>(workload::kNumberBase + numbers - 1)));
  } else {
    const Field amount = a.require("amount", "an amount in minor units, like 500");
    fault.amount = int_in(amount, 1, kBillingBalanceMax);
  }
  // The other operations' keys are refused, not ignored.
  const auto refuse = [&](std::string_view key, bool allowed) {
    if (allowed) return;
    if (auto v = a.get(key)) {
      fail(v->key_mark, fmt::format("'{}' on a billing {}, expected it only with {}", key, what,
                                    key == "amount" ? "debit, transfer and top_up"
                                    : key == "number" ? "port"
                                    : key == "from"   ? "debit, transfer and port"
                                                      : "transfer, top_up and port"));
    }
  };
  refuse("from", fault.op != Fault::BillingOp::kTopUp);
  refuse("to", fault.op != Fault::BillingOp::kDebit);
  refuse("amount", fault.op != Fault::BillingOp::kPort);
  refuse("number", fault.op == Fault::BillingOp::kPort);
}

}  // namespace ecsim::scenario::loading
