#include "network_plan.hpp"

#include <map>
#include <utility>

#include "ecsim/fault/nemesis.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::run {

namespace {
check::NetworkPlan::Link link_of(const net::LinkConfig& c) {
  return check::NetworkPlan::Link{c.drop_ppm, check::latency_tail_ns(c.latency)};
}
}  // namespace

std::vector<net::LinkConfig> tier_pair_links(const scenario::Scenario& sc) {
  std::vector<net::LinkConfig> pairs;
  for (int from = 0; from < scenario::kTierCount; ++from) {
    for (int to = 0; to < scenario::kTierCount; ++to) {
      net::LinkConfig c =
          scenario::builtin_link_config(static_cast<scenario::Tier>(from), static_cast<scenario::Tier>(to));
      scenario::apply_patch(c, sc.network.defaults);
      pairs.push_back(c);
    }
  }
  return pairs;
}

std::vector<uint8_t> link_classes(const scenario::Scenario& sc, size_t nodes) {
  std::vector<uint8_t> class_of(nodes);
  for (size_t n = 0; n < nodes; ++n) {
    class_of[n] = static_cast<uint8_t>(scenario::node_tier(sc.topology, static_cast<uint32_t>(n)));
  }
  return class_of;
}

// The links as Run::Impl::configure_links sets them: the tier pairs' links
// (tier_pair_links), then each `network.links` entry in order; the faults
// as the nemesis applies them.
check::NetworkPlan network_plan(const scenario::Scenario& sc, size_t nodes) {
  using Kind = scenario::Fault::Kind;
  using PlanKind = check::NetworkPlan::Fault::Kind;
  const scenario::Topology& topo = sc.topology;
  check::NetworkPlan plan;
  plan.class_of = link_classes(sc, nodes);
  const std::vector<net::LinkConfig> classes = tier_pair_links(sc);
  for (const net::LinkConfig& c : classes) plan.class_links.push_back(link_of(c));
  std::map<std::pair<uint32_t, uint32_t>, net::LinkConfig> set;
  for (const scenario::LinkOverride& o : sc.network.overrides) {
    for (const auto& [s, d] : fault::links_between(topo, o.between)) {
      auto it = set.find({s, d});
      if (it == set.end()) it = set.emplace(std::pair{s, d}, classes[plan.class_of[s] * scenario::kTierCount + plan.class_of[d]]).first;
      scenario::apply_patch(it->second, o.patch);
    }
  }
  for (const auto& [link, c] : set) plan.links.emplace(link, link_of(c));
  for (const scenario::Fault& f : sc.faults) {
    check::NetworkPlan::Fault p;
    if (f.kind == Kind::kPartition || (f.kind == Kind::kAtPoint && f.action == scenario::Fault::PointAction::kCut)) {
      p.kind = PlanKind::kPartition;
      p.groups = fault::partition_groups(topo, f, nodes);
    } else if (f.kind == Kind::kHeal) {
      p.kind = PlanKind::kHeal;
    } else if (f.kind == Kind::kDrop || f.kind == Kind::kDelay) {
      p.kind = PlanKind::kLink;
      p.links = fault::links_between(topo, f.between);
      if (f.kind == Kind::kDrop) p.drop_ppm = f.ppm;
      if (f.kind == Kind::kDelay) p.tail_ns = check::latency_tail_ns(f.latency);
    }
    plan.faults.push_back(std::move(p));
  }
  ECSIM_ASSERT(plan.faults.size() == sc.faults.size() && plan.class_of.size() == nodes);
  return plan;
}

}  // namespace ecsim::run
