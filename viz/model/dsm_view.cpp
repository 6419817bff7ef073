#include "model/dsm_view.hpp"

#include "ecsim/proto/dsm.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/tiers/dsm_groups.hpp"

namespace ecsim::viz {

namespace {
// Applies record `r` (index i) to the cells; true when it is one of the key's DSM records.
bool apply(std::vector<std::optional<DsmCell>>& by_node, uint64_t key, const sim::Record& r) {
  if (r.type == sim::RecordType::kCrash && r.node < by_node.size()) {
    by_node[r.node].reset();
    return false;
  }
  if (r.type != proto::dsm::kRecordDsm || r.a != key || r.node >= by_node.size()) return false;
  const auto e = static_cast<proto::dsm::Event>(r.code);
  if (e == proto::dsm::Event::kSet) by_node[r.node] = DsmCell{r.b, r.node};
  if (e == proto::dsm::Event::kApplied) by_node[r.node] = DsmCell{r.b, r.peer};
  return true;
}

bool converged(const Timeline& t, const std::vector<std::optional<DsmCell>>& by_node) {
  const auto nodes = static_cast<uint32_t>(by_node.size());
  if (nodes == 0) return false;
  std::vector<std::optional<DsmCell>> first(tiers::dsm_group_count(nodes));
  bool any = false;
  for (uint32_t n = 0; n < nodes; ++n) {
    if (!t.state().nodes[n].up || !by_node[n]) continue;
    any = true;
    std::optional<DsmCell>& f = first[tiers::dsm_group_of(n, nodes)];
    if (!f) f = by_node[n];
    if (!(*f == *by_node[n])) return false;
  }
  return any;
}
}  // namespace

DsmKeyView dsm_key_view(const Timeline& t, uint64_t key, size_t resolutions_max) {
  DsmKeyView v;
  v.by_node.assign(t.names().size(), std::nullopt);
  std::vector<uint64_t> recent;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    if (!apply(v.by_node, key, t.record(i))) continue;
    recent.push_back(i);
    if (recent.size() > 4 * resolutions_max) recent.erase(recent.begin(), recent.end() - static_cast<ptrdiff_t>(resolutions_max));
  }
  if (recent.size() > resolutions_max) recent.erase(recent.begin(), recent.end() - static_cast<ptrdiff_t>(resolutions_max));
  v.resolutions = std::move(recent);
  v.converged = converged(t, v.by_node);
  return v;
}

void DsmKeyTracker::reset(const Timeline& t, uint64_t key) {
  timeline_id_ = t.id();
  key_ = key;
  position_ = 0;
  recent_.clear();
  view_ = DsmKeyView{};
  view_.by_node.assign(t.names().size(), std::nullopt);
}

const DsmKeyView& DsmKeyTracker::view(const Timeline& t, uint64_t key) {
  if (timeline_id_ != t.id() || key_ != key || t.cursor() < position_) reset(t, key);
  for (; position_ < t.cursor(); ++position_, ++scanned_) {
    if (!apply(view_.by_node, key, t.record(position_))) continue;
    recent_.push_back(position_);
    if (recent_.size() > resolutions_max_) recent_.pop_front();
  }
  ECSIM_ASSERT(position_ == t.cursor());
  view_.resolutions.assign(recent_.begin(), recent_.end());
  view_.converged = converged(t, view_.by_node);
  return view_;
}

}  // namespace ecsim::viz
