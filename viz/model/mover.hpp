// A cursor move that needs more of the run than has been simulated, carried
// out over several frames so that a large run (metro.yaml) never freezes
// the window: each frame simulates a bounded amount, then the move checks
// whether its target is reached. The model never reads a clock: the caller
// says how much a frame may simulate (`more`) and how to simulate a bounded
// step (`simulate`); the window measures wall time (viz/app/controls.cpp),
// the tests count calls.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "model/timeline.hpp"

namespace ecsim::viz {

struct PendingMove {
  enum class Kind : uint8_t { kNone, kTime, kIndex, kEvent, kEnd, kNext };
  Kind kind = Kind::kNone;
  int64_t t_ns = 0;      // kTime: after the last record at or before it
  uint64_t target = 0;   // kIndex: a record count; kEvent: just past that run event
  uint64_t scanned = 0;  // kNext: the records searched so far (from the cursor)
  std::function<bool(const sim::Record&)> pred;  // kNext
  std::string what;                              // kNext: "fault", for "no next fault"
  uint64_t timeline = 0;  // the Timeline it is for (a rebuilt session drops it)
  bool active() const { return kind != Kind::kNone; }

  static PendingMove to_time(const Timeline& t, int64_t t_ns);
  static PendingMove to_index(const Timeline& t, uint64_t index);
  static PendingMove to_event(const Timeline& t, uint64_t event);
  static PendingMove to_end(const Timeline& t);
  // Just past the next record after the cursor that `pred` accepts.
  static PendingMove to_next(const Timeline& t, std::function<bool(const sim::Record&)> pred,
                             std::string what);
  // Just past the run's first record `pred` accepts, wherever the cursor
  // is (Timeline::find_first: `--at first-failure`).
  static PendingMove to_first(const Timeline& t, std::function<bool(const sim::Record&)> pred,
                              std::string what);
};

enum class MoveResult : uint8_t {
  kPending,   // the target is not simulated yet: call again next frame
  kPlaced,    // the cursor is there
  kNotFound,  // kNext: no such record in the whole run (the cursor stays)
  kDropped,   // the move was for another Timeline (the session was rebuilt)
};

// Advances `m` on `t`: while its target is not simulated, the run ends, or
// `more()` says no, calls `simulate()` (which must advance `t`, by a
// bounded amount, e.g. Timeline::simulate_events); then moves the cursor
// if the target is reached. A result other than kPending leaves `m` done
// (kind kNone). The cursor lands where the Timeline's own seek, seek_time,
// count_through_event or seek_next would put it.
MoveResult carry_out(Timeline& t, PendingMove& m, const std::function<bool()>& more,
                     const std::function<void()>& simulate);

}  // namespace ecsim::viz
