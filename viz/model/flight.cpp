#include "model/flight.hpp"

#include <algorithm>
#include <map>

#include "ecsim/sim/assert.hpp"
#include "model/follow.hpp"
#include "model/timeline.hpp"

namespace ecsim::viz {

float flight_progress(const Timeline& t, const InFlight& m) {
  const auto end = t.message_end(m.send_index);
  if (!end) return 0.5f;
  const int64_t span = t.record(*end).time_ns - m.sent_ns;
  if (span <= 0) return 1.0f;
  return std::clamp(static_cast<float>(t.cursor_ns() - m.sent_ns) / static_cast<float>(span), 0.0f, 1.0f);
}

namespace {
struct Sum {
  uint32_t count = 0;
  double progress = 0;
  bool followed = false;
};

FlightGroups collect(const std::map<std::pair<uint32_t, uint32_t>, Sum>& sums, bool by_tier) {
  FlightGroups out;
  out.by_tier = by_tier;
  for (const auto& [key, s] : sums) {
    out.groups.push_back({key.first, key.second, s.count, static_cast<float>(s.progress / s.count), s.followed});
    out.messages += s.count;
  }
  return out;
}
}  // namespace

FlightGroups group_in_flight(const Timeline& t, size_t links_max, const TxnFollow* follow) {
  ECSIM_ASSERT(links_max >= 1);
  const ViewState& s = t.state();
  const size_t nodes = t.tiers().size();
  std::map<std::pair<uint32_t, uint32_t>, Sum> links;
  std::map<std::pair<uint32_t, uint32_t>, Sum> tiers;
  bool too_many = false;
  for (const auto& [id, m] : s.in_flight) {
    if (m.from >= nodes || m.to >= nodes) continue;
    const float p = flight_progress(t, m);
    const bool followed = follow != nullptr && follow->active() && follow->message(id);
    const auto add = [&](Sum& sum) {
      ++sum.count;
      sum.progress += p;
      sum.followed = sum.followed || followed;
    };
    add(tiers[{static_cast<uint32_t>(t.tiers()[m.from]), static_cast<uint32_t>(t.tiers()[m.to])}]);
    if (too_many) continue;
    add(links[{m.from, m.to}]);
    too_many = links.size() > links_max;
  }
  FlightGroups out = too_many ? collect(tiers, true) : collect(links, false);
  ECSIM_ASSERT(out.by_tier || out.groups.size() <= links_max);
  return out;
}

}  // namespace ecsim::viz
