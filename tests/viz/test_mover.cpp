// Cursor moves carried out over frames (model/mover.hpp): each "frame" here
// allows a fixed number of bounded simulation steps, as the window allows a
// bounded wall time. A far move stays pending for many frames, never
// simulating more than its frames allow, and lands exactly where the
// Timeline's own synchronous moves land; a move for a rebuilt run is
// dropped; a search that the run never satisfies says so.
#include <algorithm>
#include <catch2/catch.hpp>

#include "crash_run.hpp"
#include "ecsim/scenario/loader.hpp"
#include "model/mover.hpp"
#include "model/records.hpp"
#include "model/timeline.hpp"

namespace test_mover {

using namespace ecsim;
using viz::MoveResult;
using viz::PendingMove;
using viz::Timeline;

namespace {
constexpr int64_t kS = 1'000'000'000;
constexpr uint64_t kEventsPerStep = 500;

using viz_test::crash_scenario;
using viz_test::until;

// One run at a time in a process (protocol points and limits are
// process-wide): the reference Timeline is gone before the next is built.
template <typename F>
viz::ViewState reference(int64_t seconds, F move) {
  Timeline sync(crash_scenario(), until(seconds));
  move(sync);
  return sync.state();
}

// Carries `m` out at `steps` simulation steps per frame; returns the frames
// it took (the last one included) and the result.
struct Frames {
  int frames = 0;
  MoveResult result = MoveResult::kPending;
  uint64_t most_events_in_a_frame = 0;
};
Frames carry_over_frames(Timeline& t, PendingMove& m, int steps, int frames_max = 1'000'000) {
  Frames f;
  while (f.frames < frames_max) {
    ++f.frames;
    int left = steps;
    const uint64_t before = t.events_simulated();
    f.result = viz::carry_out(
        t, m, [&left] { return left > 0; },
        [&] {
          --left;
          t.simulate_events(kEventsPerStep);
        });
    f.most_events_in_a_frame = std::max(f.most_events_in_a_frame, t.events_simulated() - before);
    if (f.result != MoveResult::kPending) break;
  }
  return f;
}
}  // namespace

TEST_CASE("a far move is carried out over frames and lands where a synchronous seek lands") {
  const viz::ViewState want =
      reference(12, [](Timeline& s) { s.seek_time(11 * kS + 250'000'000); });

  Timeline t(crash_scenario(), until(12));
  PendingMove m = PendingMove::to_time(t, 11 * kS + 250'000'000);
  // Nothing simulated yet: a frame without budget leaves it pending.
  CHECK(viz::carry_out(
            t, m, [] { return false; }, [] {}) == MoveResult::kPending);
  CHECK(m.active());
  const Frames f = carry_over_frames(t, m, 4);
  CHECK(f.result == MoveResult::kPlaced);
  CHECK_FALSE(m.active());
  CHECK(f.frames > 100);  // bounded per frame: many frames
  CHECK(f.most_events_in_a_frame <= 4 * kEventsPerStep);
  CHECK(t.state() == want);
  CHECK_FALSE(t.finished());  // it simulated about as far as needed, not to the end
}

TEST_CASE("moves to a record count, a run event and the end land like the Timeline's own") {
  SECTION("a record count") {
    const viz::ViewState want = reference(3, [](Timeline& s) { s.seek(123'456); });
    Timeline t(crash_scenario(), until(3));
    PendingMove m = PendingMove::to_index(t, 123'456);
    CHECK(carry_over_frames(t, m, 3).result == MoveResult::kPlaced);
    CHECK(t.state() == want);
  }
  SECTION("a run event") {
    const viz::ViewState want =
        reference(3, [](Timeline& s) { s.seek(s.count_through_event(200'000)); });
    Timeline t(crash_scenario(), until(3));
    PendingMove m = PendingMove::to_event(t, 200'000);
    CHECK(carry_over_frames(t, m, 3).result == MoveResult::kPlaced);
    CHECK(t.cursor_event() <= 200'000);
    CHECK(t.state() == want);
  }
  SECTION("the end") {
    const viz::ViewState want = reference(3, [](Timeline& s) {
      s.simulate_all();
      s.seek(s.collected());
    });
    Timeline t(crash_scenario(), until(3));
    PendingMove m = PendingMove::to_end(t);
    const Frames f = carry_over_frames(t, m, 3);
    CHECK(f.result == MoveResult::kPlaced);
    CHECK(t.finished());
    CHECK(t.cursor() == t.collected());
    CHECK(t.state() == want);
  }
}

TEST_CASE("a search for the next record finds what seek_next finds, or says there is none") {
  const auto is_restart = [](const sim::Record& r) { return r.type == sim::RecordType::kRestart; };
  const viz::ViewState want = reference(13, [&](Timeline& s) { REQUIRE(s.seek_next(is_restart)); });
  Timeline t(crash_scenario(), until(13));
  PendingMove m = PendingMove::to_next(t, is_restart, "restart");
  const Frames f = carry_over_frames(t, m, 5);
  CHECK(f.result == MoveResult::kPlaced);
  CHECK(f.frames > 10);
  CHECK(t.state() == want);
  // No second restart in the run: searched to its end, the cursor stays.
  const uint64_t at = t.cursor();
  PendingMove again = PendingMove::to_next(t, is_restart, "restart");
  CHECK(carry_over_frames(t, again, 5).result == MoveResult::kNotFound);
  CHECK(t.finished());
  CHECK(t.cursor() == at);
}

TEST_CASE(
    "a move within the simulated part needs no simulation, and one for another Timeline is "
    "dropped") {
  Timeline t(crash_scenario(), until(2));
  t.simulate_time(1 * kS);
  const uint64_t events = t.events_simulated();
  PendingMove near = PendingMove::to_time(t, kS / 2);
  CHECK(viz::carry_out(
            t, near, [] { return false; }, [] { FAIL("no simulation needed"); }) ==
        MoveResult::kPlaced);
  CHECK(t.events_simulated() == events);
  CHECK(t.cursor() == t.collected_at_time(kS / 2));
  PendingMove stale = PendingMove::to_time(t, kS + kS / 2);
  stale.timeline = t.id() + 1;  // made for a Timeline since rebuilt
  CHECK(viz::carry_out(
            t, stale, [] { return true; }, [&] { t.simulate_events(kEventsPerStep); }) ==
        MoveResult::kDropped);
  CHECK_FALSE(stale.active());
  CHECK(t.events_simulated() == events);
}

TEST_CASE("a search for the run's first record starts at the start wherever the cursor is") {
  // `--at first-failure` in the window: the cursor may stand past demo
  // actions; the first failure is the run's first, as Timeline::find_first.
  Timeline t(crash_scenario(), until(13));
  const auto first = t.find_first(viz::is_failure);
  REQUIRE(first.has_value());
  t.seek(*first + 5000);  // past it
  PendingMove m = PendingMove::to_first(t, viz::is_failure, "failure");
  CHECK(carry_over_frames(t, m, 5).result == MoveResult::kPlaced);
  CHECK(t.cursor() == *first + 1);
  // From the cursor instead, the next failure is a later one.
  PendingMove next = PendingMove::to_next(t, viz::is_failure, "failure");
  CHECK(carry_over_frames(t, next, 5).result == MoveResult::kPlaced);
  CHECK(t.cursor() > *first + 1);
}

TEST_CASE("a move in a run cut short at the records the viewer keeps ends there") {
  viz::TimelineLimits small;
  small.records_max = 20'000;
  Timeline t(crash_scenario(), until(13), small);
  PendingMove m = PendingMove::to_time(t, 12 * kS);
  const Frames f = carry_over_frames(t, m, 3, 100'000);
  CHECK(f.result == MoveResult::kPlaced);
  CHECK(t.truncated());
  CHECK(t.cursor() == t.collected());
  PendingMove none = PendingMove::to_next(
      t, [](const sim::Record&) { return false; }, "nothing");
  CHECK(carry_over_frames(t, none, 3, 100'000).result == MoveResult::kNotFound);
}

}  // namespace test_mover
