#include "model/dsm_view.hpp"

#include "ecsim/proto/dsm.hpp"

namespace ecsim::viz {

DsmKeyView dsm_key_view(const Timeline& t, uint64_t key, size_t resolutions_max) {
  DsmKeyView v;
  v.by_node.assign(t.names().size(), std::nullopt);
  std::vector<uint64_t> recent;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type == sim::RecordType::kCrash && r.node < v.by_node.size()) {
      v.by_node[r.node].reset();
      continue;
    }
    if (r.type != proto::dsm::kRecordDsm || r.a != key || r.node >= v.by_node.size()) continue;
    const auto e = static_cast<proto::dsm::Event>(r.code);
    if (e == proto::dsm::Event::kSet) v.by_node[r.node] = DsmCell{r.b, r.node};
    if (e == proto::dsm::Event::kApplied) v.by_node[r.node] = DsmCell{r.b, r.peer};
    recent.push_back(i);
    if (recent.size() > 4 * resolutions_max) recent.erase(recent.begin(), recent.end() - static_cast<ptrdiff_t>(resolutions_max));
  }
  if (recent.size() > resolutions_max) recent.erase(recent.begin(), recent.end() - static_cast<ptrdiff_t>(resolutions_max));
  v.resolutions = std::move(recent);
  std::optional<DsmCell> first;
  v.converged = true;
  for (uint32_t n = 0; n < v.by_node.size(); ++n) {
    if (!t.state().nodes[n].up) continue;
    const std::optional<DsmCell>& c = v.by_node[n];
    if (!c) continue;
    if (!first) first = c;
    if (c->value != first->value || c->writer != first->writer) v.converged = false;
  }
  if (!first) v.converged = false;
  return v;
}

}  // namespace ecsim::viz
