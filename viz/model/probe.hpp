// The nodes' internals at the cursor: DSM entries, WAL tails and vector
// clocks, which the trace records carry only as hashes.
//
// A probe is a second run::Run of the Timeline's scenario, seed and options
// (deterministic, so the same run event for event), driven forwards to the
// cursor's event in bounded steps (a budget of events per call: the window
// never freezes; behind its own run, a checkpoint's worker runs beside the
// window, which waits at most 10 ms a call for it, but moving the target
// behind a worker still busy waits for its answer first) and asked for a
// node's snapshot there
// (tiers/snapshot.hpp). It only runs forwards: a target behind it restarts
// it from t = 0, except where a snapshot of that node at that event is
// cached, or from the latest checkpoint at or before it: a forked copy of
// the probe process paused there (model/forks.hpp), which forks a worker
// that advances from it and answers for the nodes' internals over a
// socket, while the probe's own run stays where it was ahead. Checkpoints
// are taken as the probe's own run passes (every ForkLimits::every_events,
// within ForkLimits::memory_bytes_max). The two runs share the process one
// at a time (run/process_state.hpp): the probe's process-wide state is parked while
// the Timeline's run advances, and the other way round.
//
// On its way it also keeps the full vector clocks of the messages sent and
// taken from `capture_from_ns` on (the clock_send / clock_recv records,
// whose hash it checks against the clock it reads), at most kClocksMax of
// them, the latest: the space-time diagram's hover. Likewise the clock of
// the node of each local event the diagram marks on a lane (a fault, a
// crash or restart, a protocol phase, a failure: records.hpp is_fault,
// is_phase, is_failure), read when the record is made, by its index in the
// trace, at most kClocksMax of them. The records made while the run is
// built (before its first event: the first connections' messages) come
// before there is a run to read a clock from; the probe keeps them until
// the run exists and then works each node's clock back from the one it
// holds, undoing the increments of the node's later build-time sends and
// local events (nothing is received before the first event), and keeps a
// clock only where the record's hash confirms it. Clocks of events the
// probe has not passed yet, or before the window, are not known.
//
// What it caches -- the clocks and the snapshots -- counts its bytes
// (cache_bytes) and stays within `cache_bytes_max` besides the counts
// above: a snapshot of a node with a long lock table or WAL tail is large,
// and so is a clock that has heard of many nodes. Over the budget it drops
// the snapshots farthest from the cursor, then the oldest clocks. No ImGui.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "ecsim/run/process_state.hpp"
#include "ecsim/run/runner.hpp"
#include "model/forks.hpp"
#include "model/timeline.hpp"

namespace ecsim::viz {

// A message's clock at one end: after the send's increment at its sender
// (`send`), or after the merge and increment at its receiver.
struct CapturedClock {
  uint64_t message = 0;
  bool send = true;
  uint32_t node = 0;
  int64_t time_ns = 0;
  net::VectorClock clock;
};

// A node's clock when it made a local record (one the diagram marks on its
// lane); `up` false: the node was down or had no clock then.
struct LocalClock {
  uint64_t trace_index = 0;
  uint32_t node = 0;
  int64_t time_ns = 0;
  bool up = false;
  net::VectorClock clock;
};

class Probe {
 public:
  static constexpr size_t kClocksMax = 16384;
  static constexpr size_t kSnapshotsCachedMax = 512;
  static constexpr uint64_t kCacheBytesDefault = uint64_t{256} << 20;

  // Does not build the run yet (the first advance_to does).
  // REQUIRES: cache_bytes_max >= 1.
  explicit Probe(const Timeline& t, tiers::SnapshotLimits limits = {},
                 uint64_t cache_bytes_max = kCacheBytesDefault, ForkLimits forks = {});
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  uint64_t timeline_id() const { return timeline_id_; }
  // Moves towards the end of event `event` (and the faults pinned after
  // it), dispatching at most `budget_events` events; restarts from t = 0
  // when `event` lies behind. Keeps the clocks of events at or after
  // `capture_from_ns`. True when it is there (or the run ended before).
  bool advance_to(uint64_t event, int64_t capture_from_ns, uint64_t budget_events);
  // Where it is (its own run, or a checkpoint's worker serving a target
  // behind that): events dispatched, and whether the run is over.
  uint64_t events() const { return remote_.fd >= 0 ? remote_.events : events_; }
  bool ended() const { return remote_.fd >= 0 ? remote_.ended : ended_; }
  // Whether a checkpoint's worker serves the target (its own run is ahead).
  bool remote() const { return remote_.fd >= 0; }
  // Where the worker started (its checkpoint's time): it captured no clock
  // before, though the probe may hold some from its own run's pass.
  int64_t remote_from_ns() const { return remote_.from_ns; }
  // The checkpoints (nullptr: none kept, ForkLimits::memory_bytes_max 0).
  const RunForks* forks() const { return forks_.get(); }
  // Progress towards the last target, 0..1.
  double progress() const;
  uint64_t restarts() const { return restarts_; }  // runs built so far minus one
  // The hash of the probe run's trace up to where it is (0 before it is
  // built): with events() and each node's snapshot, a digest of the
  // simulation itself at that point (tests).
  uint64_t trace_hash_so_far();
  // Whether the current target made it start again from t = 0.
  bool restarted_for_target() const { return !remote() && start_ == 0 && restarts_ > 0; }

  // Node `node`'s snapshot after event `event`: from the cache, or taken
  // now when the probe is there. nullptr: not known yet (advance first).
  // A snapshot larger than the whole cache budget is kept alone.
  const tiers::NodeSnapshot* snapshot(uint32_t node, uint64_t event);
  // A message's clock at its send or its receive, if captured.
  const CapturedClock* clock(uint64_t message, bool send) const;
  // The clock of the node of the local record with this (1-based) trace
  // index (Timeline::trace_index), if captured.
  const LocalClock* local_clock(uint64_t trace_index) const;
  int64_t capture_from_ns() const { return capture_from_ns_; }
  // Bytes the cached clocks and snapshots hold (estimated as ViewState::bytes
  // does: the elements, the vectors' capacities, the maps' nodes). Making
  // room for a snapshot may drop clocks; a clock only ever drops clocks, so a
  // pointer snapshot() returned stays valid until the next snapshot() call.
  uint64_t cache_bytes() const { return cache_bytes_; }
  uint64_t cache_bytes_max() const { return cache_bytes_max_; }
  // cache_bytes summed afresh over what is cached (tests check the count).
  uint64_t cache_bytes_recounted() const;
  size_t snapshots_cached() const { return snapshots_.size(); }
  size_t clocks_cached() const { return clocks_.size() + local_clocks_.size(); }

 private:
  class Capture;
  void restart();
  // Moves a checkpoint's worker towards `event` (behind the own run);
  // false: not there yet; nullopt: the checkpoints failed (or none serves).
  std::optional<bool> advance_remote(uint64_t event, uint64_t budget_events);
  // Reads the worker's answer to an advance and keeps its clocks.
  bool take_advance_answer();
  // Ends the worker's session (reading an answer still due first).
  void end_remote();
  // In a worker: serves the owner's requests on `fd` (model/forks.hpp).
  void serve(int fd);
  void on_clock(const sim::Record& r);
  void on_local(const sim::Record& r, uint64_t trace_index);
  // The clocks of the records kept in built_ while the run was built.
  void resolve_built();
  // Drops the cached snapshot farthest from `event` (the cursor moves locally).
  void drop_farthest_snapshot(uint64_t event);
  template <class Map, class Order, class Key, class Value>
  void keep_clock(Map& cache, Order& order, const Key& key, Value value,
                  void (Probe::*drop_oldest_of_kind)());
  // Drops the oldest cached clock of either kind, or of one kind.
  void drop_oldest_clock();
  void drop_oldest_message_clock();
  void drop_oldest_local_clock();
  // Whether `incoming` more bytes fit the budget.
  bool fits(uint64_t incoming) const {
    return incoming <= cache_bytes_max_ && cache_bytes_ <= cache_bytes_max_ - incoming;
  }

  scenario::Scenario scenario_;  // the run refers to it: owned here
  run::RunOptions options_;
  tiers::SnapshotLimits limits_;
  uint64_t timeline_id_;
  run::ParkedRun parked_;  // the probe run's process-wide state while it does not run
  std::unique_ptr<Capture> capture_;
  std::unique_ptr<run::Run> run_;
  std::unique_ptr<RunForks> forks_;
  // A checkpoint's worker serving a target behind the own run (fd -1: none).
  struct Remote {
    int fd = -1;
    uint64_t events = 0;  // where the worker is
    bool ended = false;
    bool known = false;  // an answer was read: events, ended and trace_hash hold
    uint64_t trace_hash = 0;
    bool pending = false;  // an advance was asked, its answer not read
    uint64_t asked = 0;    // the event asked
    int64_t from_ns = 0;   // the checkpoint's time: the worker met no clock before it
  } remote_;
  uint64_t events_ = 0;
  bool ended_ = false;
  uint64_t target_ = 0;
  uint64_t start_ = 0;  // events when the target was set
  uint64_t restarts_ = 0;
  int64_t capture_from_ns_ = INT64_MAX;
  uint64_t cache_bytes_ = 0;
  uint64_t cache_bytes_max_;
  // Records made while the run is built, in trace order: clock sends and
  // local increments, and the lane marks (on_local's).
  struct Built {
    sim::Record record;
    uint64_t trace_index = 0;
    bool mark = false;
  };
  bool building_ = false;
  std::vector<Built> built_;
  std::map<std::pair<uint64_t, bool>, CapturedClock> clocks_;
  std::deque<std::pair<uint64_t, bool>> clock_order_;  // oldest first, for eviction
  std::map<uint64_t, LocalClock> local_clocks_;  // by trace index
  std::deque<uint64_t> local_order_;             // oldest first, for eviction
  std::map<std::pair<uint64_t, uint32_t>, tiers::NodeSnapshot> snapshots_;  // (event, node)
};

// The probe's checkpoint limits a Timeline's options give.
inline ForkLimits fork_limits(const TimelineLimits& l) {
  ForkLimits f;
  f.memory_bytes_max = l.run_checkpoint_memory_bytes;
  f.every_events = l.run_checkpoint_every;
  return f;
}

}  // namespace ecsim::viz
