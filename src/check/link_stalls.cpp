#include "ecsim/check/link_stalls.hpp"

#include <algorithm>

#include "ecsim/sim/assert.hpp"

namespace ecsim::check {

void LinkStalls::watch(uint32_t x, uint32_t y, int64_t tail_xy, int64_t tail_yx) {
  ECSIM_ASSERT(tail_xy >= 0 && tail_yx >= 0);
  directions_.try_emplace(key(x, y)).first->second.tail_ns = tail_xy;
  directions_.try_emplace(key(y, x)).first->second.tail_ns = tail_yx;
}

void LinkStalls::on_record(const sim::Record& r) {
  using sim::RecordType;
  if (r.kind != kind_) return;
  if (r.type != RecordType::kSend && r.type != RecordType::kDeliver && r.type != RecordType::kDrop) return;
  // A send names sender -> receiver; a deliver or drop receiver <- sender.
  const bool send = r.type == RecordType::kSend;
  const auto it = directions_.find(send ? key(r.node, r.peer) : key(r.peer, r.node));
  if (it == directions_.end()) return;
  Direction& d = it->second;
  if (send) {
    ECSIM_ASSERT(d.in_flight.empty() || d.in_flight.back().id < r.a);
    d.in_flight.push_back({r.a, r.time_ns, false});
    ++entries_;
    return;
  }
  if (r.type == RecordType::kDeliver) {
    delivered(d, r.a, r.time_ns);
    return;
  }
  // A drop: marked where it waits (ids ascend), popped once at the front.
  const auto at = std::lower_bound(d.in_flight.begin(), d.in_flight.end(), r.a,
                                   [](const InFlight& f, uint64_t id) { return f.id < id; });
  if (at != d.in_flight.end() && at->id == r.a) at->dropped = true;
  pop_dropped(d);
}

// On a FIFO connection what was sent before a delivered message is
// delivered or dropped by now; with reordering on, an earlier message may
// still come: it is forgotten (no late interval for it: the verdict can
// only get stricter, as it was before stalls were followed).
void LinkStalls::delivered(Direction& d, uint64_t id, int64_t now_ns) {
  while (!d.in_flight.empty() && d.in_flight.front().id < id) {
    d.in_flight.pop_front();
    --entries_;
  }
  if (d.in_flight.empty() || d.in_flight.front().id != id) return;  // a copy, or forgotten
  const int64_t due = d.in_flight.front().sent_ns + d.tail_ns;
  d.in_flight.pop_front();
  --entries_;
  pop_dropped(d);
  if (now_ns <= due) return;
  if (!d.late.empty() && due <= d.late.back().second) {
    d.late.back().second = std::max(d.late.back().second, now_ns);
    return;
  }
  ECSIM_ASSERT(d.late.empty() || d.late.back().first <= due);
  d.late.emplace_back(due, now_ns);
  ++entries_;
}

void LinkStalls::reset_node(uint32_t node) {
  for (auto& [k, d] : directions_) {
    if (static_cast<uint32_t>(k >> 32) == node || static_cast<uint32_t>(k) == node) reset(d);
  }
}

void LinkStalls::reset(Direction& d) {
  entries_ -= d.in_flight.size();
  d.in_flight.clear();
}

void LinkStalls::pop_dropped(Direction& d) {
  while (!d.in_flight.empty() && d.in_flight.front().dropped) {
    d.in_flight.pop_front();
    --entries_;
  }
}

void LinkStalls::clip(const Direction& d, int64_t from_ns, int64_t until_ns,
                      std::vector<std::pair<int64_t, int64_t>>& out) {
  // The first interval that ends after from_ns; ends ascend as begins do.
  auto it = std::lower_bound(d.late.begin(), d.late.end(), from_ns,
                             [](const std::pair<int64_t, int64_t>& iv, int64_t t) { return iv.second <= t; });
  for (; it != d.late.end() && it->first < until_ns; ++it) {
    out.emplace_back(std::max(it->first, from_ns), std::min(it->second, until_ns));
  }
  // The oldest message still in flight (its predecessors were delivered or
  // dropped): late from its due time on.
  for (const InFlight& f : d.in_flight) {
    if (f.dropped) continue;
    const int64_t due = f.sent_ns + d.tail_ns;
    if (due < until_ns) out.emplace_back(std::max(due, from_ns), until_ns);
    break;
  }
}

int64_t LinkStalls::late_ns(uint32_t x, uint32_t y, int64_t from_ns, int64_t until_ns) const {
  ECSIM_ASSERT(from_ns <= until_ns);
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const uint64_t k : {key(x, y), key(y, x)}) {
    const auto it = directions_.find(k);
    if (it != directions_.end()) clip(it->second, from_ns, until_ns, spans);
  }
  std::sort(spans.begin(), spans.end());
  int64_t total = 0;
  int64_t covered = from_ns;  // the union so far ends here
  for (const auto& [begin, end] : spans) {
    const int64_t b = std::max(begin, covered);
    if (end > b) {
      total += end - b;
      covered = end;
    }
  }
  ECSIM_ASSERT(total >= 0 && total <= until_ns - from_ns);
  return total;
}

}  // namespace ecsim::check
