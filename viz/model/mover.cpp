#include "model/mover.hpp"

#include <utility>

namespace ecsim::viz {

namespace {
PendingMove of_kind(const Timeline& t, PendingMove::Kind kind) {
  PendingMove m;
  m.kind = kind;
  m.timeline = t.id();
  return m;
}
}  // namespace

PendingMove PendingMove::to_time(const Timeline& t, int64_t t_ns) {
  PendingMove m = of_kind(t, Kind::kTime);
  m.t_ns = t_ns;
  return m;
}

PendingMove PendingMove::to_index(const Timeline& t, uint64_t index) {
  PendingMove m = of_kind(t, Kind::kIndex);
  m.target = index;
  return m;
}

PendingMove PendingMove::to_event(const Timeline& t, uint64_t event) {
  PendingMove m = of_kind(t, Kind::kEvent);
  m.target = event;
  return m;
}

PendingMove PendingMove::to_end(const Timeline& t) { return of_kind(t, Kind::kEnd); }

PendingMove PendingMove::to_next(const Timeline& t, std::function<bool(const sim::Record&)> pred,
                                 std::string what) {
  PendingMove m = of_kind(t, Kind::kNext);
  m.scanned = t.cursor();
  m.pred = std::move(pred);
  m.what = std::move(what);
  return m;
}

PendingMove PendingMove::to_first(const Timeline& t, std::function<bool(const sim::Record&)> pred,
                                  std::string what) {
  PendingMove m = to_next(t, std::move(pred), std::move(what));
  m.scanned = 0;
  return m;
}

MoveResult carry_out(Timeline& t, PendingMove& m, const std::function<bool()>& more,
                     const std::function<void()>& simulate) {
  if (!m.active()) return MoveResult::kPlaced;
  if (m.timeline != t.id()) {
    m = PendingMove{};
    return MoveResult::kDropped;
  }
  bool found = false;
  // Whether the target is simulated (kNext: searches the new records).
  const auto reached = [&]() -> bool {
    switch (m.kind) {
      case PendingMove::Kind::kTime:
        return t.simulated_ns() > m.t_ns;
      case PendingMove::Kind::kIndex:
        return t.collected() >= m.target;
      case PendingMove::Kind::kEvent:
        return t.events_simulated() > m.target;
      case PendingMove::Kind::kEnd:
        return false;
      case PendingMove::Kind::kNext:
        for (; m.scanned < t.collected(); ++m.scanned) {
          if (m.pred(t.record(m.scanned))) return found = true;
        }
        return false;
      case PendingMove::Kind::kNone:
        break;
    }
    return true;
  };
  const auto over = [&] { return t.finished() || t.truncated(); };
  while (!reached() && !over() && more()) simulate();
  if (!reached() && !over()) return MoveResult::kPending;
  MoveResult result = MoveResult::kPlaced;
  switch (m.kind) {
    case PendingMove::Kind::kTime:
      t.seek(t.collected_at_time(m.t_ns));
      break;
    case PendingMove::Kind::kIndex:
      t.seek(m.target);
      break;
    case PendingMove::Kind::kEvent:
      t.seek(t.count_through_event(m.target));
      break;
    case PendingMove::Kind::kEnd:
      t.seek(t.collected());
      break;
    case PendingMove::Kind::kNext:
      if (found) {
        t.seek(m.scanned + 1);
      } else {
        result = MoveResult::kNotFound;
      }
      break;
    case PendingMove::Kind::kNone:
      break;
  }
  m = PendingMove{};
  return result;
}

}  // namespace ecsim::viz
