#include "ecsim/check/reachability.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ecsim/net/link_config.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::check {

namespace {
// z such that P(Z < z) is 0.99, and 0.9999, for a standard normal.
constexpr double kZ99 = 2.3263478740408408;
constexpr double kZ9999 = 3.7190164854556804;
// The network clamps every sampled latency here, 1,000 hours (net/latency.cpp, kNsMax).
constexpr int64_t kSampleNsMax = 3'600'000'000'000'000;
// A tail beyond this (a constant or uniform latency of centuries) counts as
// this: a round trip of two, times the checker's multiple, stays in range.
constexpr int64_t kTailNsMax = std::numeric_limits<int64_t>::max() / 16;

int64_t sampled_ns(double v) {
  if (!(v >= 1.0)) return 1;  // also NaN
  if (v >= static_cast<double>(kSampleNsMax)) return kSampleNsMax;
  return static_cast<int64_t>(std::llround(v));
}

// The chance that a message gets through a link dropping `drop_ppm`.
double delivered(uint32_t drop_ppm) {
  return drop_ppm >= net::kPpmOne ? 0.0 : 1.0 - static_cast<double>(drop_ppm) / static_cast<double>(net::kPpmOne);
}
}  // namespace

int64_t latency_tail_ns(const net::LatencyModel& m) {
  ECSIM_ASSERT(m.validate().empty());
  const auto a = static_cast<double>(m.a.ns);
  const auto b = static_cast<double>(m.b.ns);
  int64_t tail = 1;
  switch (m.kind) {
    case net::LatencyModel::Kind::kConstant: tail = m.a.ns; break;
    case net::LatencyModel::Kind::kUniform: tail = m.b.ns - 1; break;  // [a, b)
    case net::LatencyModel::Kind::kNormal: tail = sampled_ns(a + kZ9999 * b); break;
    case net::LatencyModel::Kind::kLognormal: tail = sampled_ns(a * std::exp(kZ9999 * std::log(b / a) / kZ99)); break;
    case net::LatencyModel::Kind::kPareto: {
      // The quantile q of a Pareto is scale * (1 - q)^(-1 / alpha).
      tail = sampled_ns(a * std::pow(1e4, 1.0 / m.alpha));
      if (m.b.ns > 0) tail = std::min(tail, m.b.ns);
      break;
    }
  }
  tail = std::clamp<int64_t>(tail, 1, kTailNsMax);
  ECSIM_ASSERT(tail >= 1 && tail <= kTailNsMax);
  return tail;
}

Reachability::Reachability(NetworkPlan plan) : plan_(std::move(plan)) {
  while (classes_ * classes_ < plan_.class_links.size()) ++classes_;
  const size_t k = classes_;
  ECSIM_ASSERT(k * k == plan_.class_links.size());
  ECSIM_ASSERT(plan_.class_of.empty() || k > 0);
  for (const uint8_t c : plan_.class_of) ECSIM_ASSERT(c < k);
  for (const NetworkPlan::Fault& f : plan_.faults) {
    ECSIM_ASSERT(f.kind != NetworkPlan::Fault::Kind::kPartition || f.groups.size() == plan_.class_of.size());
    ECSIM_ASSERT(std::is_sorted(f.links.begin(), f.links.end()));
  }
}

void Reachability::on_fault(const sim::Record& r) {
  if (r.type != sim::RecordType::kFault || r.a >= plan_.faults.size()) return;
  if (plan_.faults[r.a].kind == NetworkPlan::Fault::Kind::kNone) return;
  ECSIM_ASSERT(events_.empty() || events_.back().time_ns <= r.time_ns);
  events_.push_back(Event{r.time_ns, static_cast<uint32_t>(r.a), r.b == 1});
}

// As the nemesis does: a heal ends every partition in force, a partition's
// end after a heal changes nothing, link faults compose in the order applied.
void Reachability::step(State& s, const Event& e) const {
  using Kind = NetworkPlan::Fault::Kind;
  const NetworkPlan::Fault& f = plan_.faults[e.index];
  std::vector<uint32_t>& in_force = f.kind == Kind::kLink ? s.links : s.partitions;
  if (f.kind == Kind::kHeal) {
    if (e.applied) s.partitions.clear();
    return;
  }
  if (e.applied) {
    in_force.push_back(e.index);
    return;
  }
  const auto it = std::find(in_force.begin(), in_force.end(), e.index);
  if (it != in_force.end()) in_force.erase(it);
}

NetworkPlan::Link Reachability::link(const State& s, uint32_t from, uint32_t to) const {
  Link l;
  const auto set = plan_.links.find({from, to});
  if (set != plan_.links.end()) {
    l = set->second;
  } else if (from < plan_.class_of.size() && to < plan_.class_of.size()) {
    l = plan_.class_links[plan_.class_of[from] * classes_ + plan_.class_of[to]];
  }
  for (const uint32_t i : s.links) {
    const NetworkPlan::Fault& f = plan_.faults[i];
    if (!std::binary_search(f.links.begin(), f.links.end(), std::pair{from, to})) continue;
    if (f.drop_ppm) l.drop_ppm = *f.drop_ppm;
    if (f.tail_ns) l.tail_ns = *f.tail_ns;
  }
  return l;
}

bool Reachability::partitioned(const State& s, uint32_t x, uint32_t y) const {
  for (const uint32_t i : s.partitions) {
    const std::vector<uint32_t>& g = plan_.faults[i].groups;
    if (x < g.size() && y < g.size() && g[x] != g[y]) return true;
  }
  return false;
}

bool Reachability::cut(const State& s, uint32_t x, uint32_t y) const {
  return partitioned(s, x, y) || link(s, x, y).drop_ppm >= net::kPpmOne ||
         link(s, y, x).drop_ppm >= net::kPpmOne;
}

Reachability::Pair Reachability::pair(uint32_t x, uint32_t y, int64_t from_ns,
                                      int64_t until_ns) const {
  ECSIM_ASSERT(x != y && 0 <= from_ns && from_ns <= until_ns);
  State s;
  const auto rtt = [&] { return link(s, x, y).tail_ns + link(s, y, x).tail_ns; };
  // The two directions' drop rates (compared exactly).
  const auto drops = [&] { return std::pair{link(s, x, y).drop_ppm, link(s, y, x).drop_ppm}; };
  Pair out;
  bool was_cut = cut(s, x, y);
  int64_t was_rtt = rtt();
  std::pair<uint32_t, uint32_t> was_drops = drops();
  int64_t was_from = 0;  // when the setting in force began
  // The setting in force since was_from ends at `end`: a spell from
  // from_ns on.
  const auto close = [&](int64_t end) {
    if (was_cut || end <= was_from) return;
    const int64_t begin = std::max(was_from, from_ns);
    if (end > begin) {
      out.spells.push_back(
          Spell{begin, end, delivered(was_drops.first) * delivered(was_drops.second), was_rtt});
    }
  };
  for (const Event& e : events_) {
    if (e.time_ns > until_ns) break;
    step(s, e);
    const bool now_cut = cut(s, x, y);
    if (now_cut == was_cut && rtt() == was_rtt && drops() == was_drops) continue;
    close(e.time_ns);
    if (was_cut && !now_cut) out.reachable_since_ns = e.time_ns;
    was_from = e.time_ns;
    was_cut = now_cut;
    was_rtt = rtt();
    was_drops = drops();
  }
  close(until_ns);
  out.cut_at_end = was_cut;
  out.partitioned_at_end = partitioned(s, x, y);
  return out;
}

}  // namespace ecsim::check
