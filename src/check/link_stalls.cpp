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
// still come: it is forgotten, late from its due time until now (what it
// does later is not followed). Found by an adversarial pass: a reorder
// fault on a connection held back behind hour-long messages let a new
// message overtake them, and the 50 s they had held the pair's queries
// back counted against billing termination.
void LinkStalls::delivered(Direction& d, uint64_t id, int64_t now_ns) {
  // Due times grow with the send order: the first overtaken is the earliest.
  int64_t overtaken_due = INT64_MAX;
  while (!d.in_flight.empty() && d.in_flight.front().id < id) {
    overtaken_due = std::min(overtaken_due, d.in_flight.front().sent_ns + d.tail_ns);
    d.in_flight.pop_front();
    --entries_;
  }
  if (overtaken_due < now_ns) add_late(d, overtaken_due, now_ns);
  if (d.in_flight.empty() || d.in_flight.front().id != id) return;  // a copy, or forgotten
  const int64_t due = d.in_flight.front().sent_ns + d.tail_ns;
  d.in_flight.pop_front();
  --entries_;
  pop_dropped(d);
  if (now_ns > due) add_late(d, due, now_ns);
}

void LinkStalls::add_late(Direction& d, int64_t from_ns, int64_t to_ns) {
  ECSIM_ASSERT(from_ns < to_ns);
  if (!d.late.empty() && from_ns <= d.late.back().second) {
    d.late.back().second = std::max(d.late.back().second, to_ns);
    return;
  }
  ECSIM_ASSERT(d.late.empty() || d.late.back().first <= from_ns);
  d.late.emplace_back(from_ns, to_ns);
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
