// The viewer's model of one deterministic run: a cursor that can move
// anywhere in it, forwards or backwards, and the state at the cursor.
//
// The simulator only ever runs forwards. A trace observer (the collector)
// keeps the records the viewer needs, in order, and every `every` records a
// copy of the view state at that point (a checkpoint). The cursor reaches
// record N by restoring the nearest checkpoint at or before N and applying
// the records after it; when N lies beyond what has been simulated, the run
// is advanced first (lazily, in chunks). Checkpoint memory is bounded: past
// the budget, every other checkpoint is dropped and the interval doubles.
// docs/viewer.md says why this design and not copies of the simulator.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "model/view_state.hpp"

namespace ecsim::viz {

// One tier's client figures in one simulated second.
struct TierSecond {
  uint32_t ok = 0;
  uint32_t failed = 0;
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
};

// The figures of one simulated second [s, s+1), filled as the run passes.
struct SecondFigures {
  std::array<TierSecond, kTiers> tiers{};
  uint32_t requests_started = 0;
  uint32_t requests_ended = 0;
  uint32_t drops = 0;
  // Per node: the load sample of the second, CPU and memory in permille.
  std::vector<uint16_t> cpu_permille;
  std::vector<uint16_t> memory_permille;
  // Per node: edge cache lookups in the second.
  std::vector<uint32_t> cache_hits;
  std::vector<uint32_t> cache_misses;
};

struct TimelineLimits {
  uint64_t checkpoint_memory_bytes = uint64_t{1} << 30;  // --checkpoint-memory
  uint64_t checkpoint_every = 4096;                      // records between checkpoints at first
  uint64_t records_max = 100'000'000;                    // records kept (40 B each plus 9 B of index)
  // The probe's checkpoints of its run, forked processes (model/forks.hpp):
  // --run-checkpoint-memory; 0: none (a cursor behind the probe re-simulates from t = 0).
  uint64_t run_checkpoint_memory_bytes = uint64_t{1} << 30;
  uint64_t run_checkpoint_every = 200'000;  // --run-checkpoint-every: events between them at first
};

// The kept records and checkpoints of a Timeline, moved out of it to start
// the next Timeline of a run that is the same up to and including event
// `through_event` (a demo action pinned after it: model/demo.hpp).
struct TimelinePrefix {
  std::vector<sim::Record> records;
  std::vector<uint64_t> trace_index;
  std::vector<uint64_t> event_index;
  std::vector<uint32_t> end_delta;
  std::vector<ViewState> checkpoints;
  uint64_t every = 0;
  std::vector<uint64_t> dsm_watched;
  uint64_t through_event = 0;
};

class Timeline {
 public:
  // Builds the run (it has not advanced yet). THROWS what run::Run throws.
  // With a prefix (of the Timeline this one replaces): it starts from the
  // other's records and checkpoints up to the end of `prefix.through_event`: the run still simulates from
  // t = 0, but the records of the prefix are checked against the kept ones
  // instead of being kept and applied again. Should the run differ from
  // them (it never should), the kept records are cut where it differs and
  // collected from there. The prefix is used only when it watched the same
  // DSM keys. THROWS what run::Run throws.
  Timeline(scenario::Scenario scenario, run::RunOptions options, TimelineLimits limits = {},
           TimelinePrefix prefix = {});
  ~Timeline();
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  const scenario::Scenario& scenario() const { return scenario_; }
  // The options the run was built with, without the viewer's observers.
  const run::RunOptions& options() const { return options_; }
  // Distinct for every Timeline of the process (a rebuilt session's too).
  uint64_t id() const { return id_; }
  const TimelineLimits& limits() const { return limits_; }
  // The keys whose every DSM record is kept (the scenario's dsm_set /
  // dsm_get actions), sorted.
  const std::vector<uint64_t>& dsm_watched() const { return dsm_watched_; }
  uint64_t seed() const;
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Tier>& tiers() const { return tiers_; }
  int64_t end_ns() const;  // the run's end time

  // --- What has been simulated --------------------------------------------
  uint64_t collected() const { return records_.size(); }
  bool finished() const { return result_ != nullptr; }
  bool truncated() const { return truncated_; }  // records_max was reached
  // The simulator's clock: every record up to it is collected.
  int64_t simulated_ns() const;
  // The run's events dispatched so far.
  uint64_t events_simulated() const;
  // Advances the run by at most `events` events (the viewer's window calls
  // it within a frame's budget: viz/app/controls.cpp).
  void simulate_events(uint64_t events);
  // Advances the run until `count` records are kept or it ends.
  void simulate_records(uint64_t count);
  // Advances the run until its clock passes `t_ns` or it ends.
  void simulate_time(int64_t t_ns);
  void simulate_all();
  // The run's result. REQUIRES: finished().
  const run::RunResult& result() const;
  // The scenario's failed expectations (failed verdicts that are not
  // informational), known when the run has finished; each is also a kept
  // record of type kExpectationFailed at the end (records.hpp), after the
  // run's own records: red in the log, a stop for the failure steps.
  const std::vector<run::Verdict>& failed_expectations() const { return failed_; }
  // describe() of records.hpp, which also names a failed expectation.
  std::string describe(const sim::Record& r) const;

  const sim::Record& record(uint64_t i) const { return records_[i]; }
  // The record's 1-based index in the whole trace ("record #N").
  uint64_t trace_index(uint64_t i) const { return trace_index_[i]; }
  // The run's events dispatched when the record was made: the record
  // belongs to that event (0: made before the first, or between events by
  // a fault pinned with `after_event`).
  uint64_t event_of(uint64_t i) const { return event_index_[i]; }
  // The number of kept records made at or before the end of event `event`.
  uint64_t count_through_event(uint64_t event);
  // The 2PC transaction a message carries (its id, a send record's `a`),
  // read from its body as it was sent (run::RunOptions::send_observer): exact,
  // also where one event sends messages of two transactions. nullopt: not
  // a 2PC message, or past kMessageTxnsMax.
  std::optional<uint64_t> message_txn(uint64_t message_id) const;
  static constexpr size_t kMessageTxnsMax = size_t{1} << 24;  // 16 bytes each
  uint64_t message_txns_refused() const { return message_txns_refused_; }
  // The 2PC transactions the kept 2PC WAL record at `index` (proto/twopc.hpp
  // kRecordWal) concerns, ascending: those with an entry in the part of its
  // node's 2PC log that the record names -- the entry a replay rejected, the
  // log a replay read, the entries a truncation dropped (a checkpoint's
  // entries are no transaction's). Known from each entry's transaction as
  // the run appended it (run::RunOptions::twopc_log_observer): exact, also
  // in a group commit. nullopt: not such a record, or not known (past
  // kWalTxnsMax, or a prefix's record the run has not passed again yet).
  std::optional<std::span<const uint64_t>> wal_txns(uint64_t index) const;
  static constexpr size_t kWalTxnsMax = size_t{1} << 24;  // 8 bytes each
  uint64_t wal_txns_refused() const { return wal_txns_refused_; }
  // For a send record: the index of its deliver or drop record, if
  // collected; nullopt otherwise.
  std::optional<uint64_t> message_end(uint64_t send_index) const;
  // The send records (indices, ascending) of the messages in flight just
  // before record `index`: sent before it, delivered or dropped at or after
  // it, or not yet. Exact: the checkpoint at or before `index` lists what
  // was in flight there; the sends after it are scanned (at most
  // checkpoint_every() records). REQUIRES: index <= collected().
  std::vector<uint64_t> sends_in_flight_before(uint64_t index) const;
  // The number of kept records at or before `t_ns` (simulating as needed).
  uint64_t count_at_time(int64_t t_ns);
  // The same among the records collected so far: no simulation.
  uint64_t collected_at_time(int64_t t_ns) const;

  // --- The cursor ---------------------------------------------------------
  // The cursor is a count of records applied, 0..collected(); the state
  // is the one after the record at cursor-1.
  const ViewState& state() const { return cursor_; }
  // Whether a partition (or an at_point cut) in force at the cursor keeps
  // nodes `a` and `b` apart: the scenario's groups, as the run's network
  // has them (fault::partition_groups).
  bool link_cut(uint32_t a, uint32_t b) const;
  uint64_t cursor() const { return cursor_.applied; }
  // The event the cursor's record belongs to (0 before the first record).
  uint64_t cursor_event() const { return cursor_.applied == 0 ? 0 : event_index_[cursor_.applied - 1]; }
  int64_t cursor_ns() const { return cursor_.now_ns; }
  // Moves the cursor to `index` (clamped to the end of the run), simulating
  // further if needed.
  void seek(uint64_t index);
  // After the last record at or before `t_ns`.
  void seek_time(int64_t t_ns);
  void step(int64_t delta);
  // The next (previous) record after (before) the cursor's record that
  // `pred` accepts; the cursor moves just past it. False: none, unmoved.
  bool seek_next(const std::function<bool(const sim::Record&)>& pred);
  bool seek_prev(const std::function<bool(const sim::Record&)>& pred);
  // The first record `pred` accepts from the start (simulating the whole
  // run if needed); nullopt: none.
  std::optional<uint64_t> find_first(const std::function<bool(const sim::Record&)>& pred);

  // --- Figures per simulated second ---------------------------------------
  const std::vector<SecondFigures>& seconds() const { return seconds_; }

  // --- Handing over to the next Timeline ----------------------------------
  // Moves the records and checkpoints out; this Timeline is then only fit
  // to be destroyed.
  TimelinePrefix release_prefix(uint64_t through_event);
  // Kept records a prefix supplied that the run then reproduced (tests).
  uint64_t records_reused() const { return reused_; }

  // --- Checkpoint accounting ----------------------------------------------
  size_t checkpoint_count() const { return checkpoints_.size(); }
  uint64_t checkpoint_bytes() const { return checkpoint_bytes_; }
  uint64_t checkpoint_every() const { return every_; }
  uint64_t record_bytes() const;
  uint64_t records_applied() const { return applied_total_; }  // work done by seeks (tests, bench)

 private:
  class Collector;
  class SendTap;
  class LogTap;
  void on_log_append(uint32_t node, uint64_t index, uint64_t txn);
  // Updates the node's log as a WAL record says and puts the transactions
  // it concerns in wal_scratch_.
  void attribute_wal(const sim::Record& r);
  // Stores wal_scratch_ as the attribution of kept record `index`.
  void store_wal(uint64_t index);
  void on_record(const sim::Record& r, uint64_t trace_index);
  void add_second_figures(const sim::Record& r);
  void close_second();
  void take_checkpoint();
  void thin_checkpoints();
  void finish_run();
  void keep(const sim::Record& r, uint64_t trace_index, uint64_t event);
  // Keeps only the first `m` records (and the checkpoints up to them).
  void truncate_to(uint64_t m);

  scenario::Scenario scenario_;
  run::RunOptions options_;
  uint64_t id_;
  std::vector<std::string> names_;
  std::vector<Tier> tiers_;
  TimelineLimits limits_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<SendTap> send_tap_;
  // (message id, 2PC txn) of every 2PC message sent, ascending by id.
  std::vector<std::pair<uint64_t, uint64_t>> message_txns_;
  uint64_t message_txns_refused_ = 0;
  std::unique_ptr<LogTap> log_tap_;
  // Per node: the transaction of each entry [first, first + size) of its
  // 2PC log, as the run appended them (0: a checkpoint part); at most
  // node::Disk::kEntriesMax, the log's own bound.
  struct NodeLog {
    uint64_t first = 0;
    std::deque<uint64_t> txns;
  };
  std::vector<NodeLog> logs_;
  // The attributed WAL records: their kept index (ascending) and where
  // their transactions begin in wal_txns_ (each list ascending).
  std::vector<uint64_t> wal_records_;
  std::vector<uint64_t> wal_begin_;
  std::vector<uint64_t> wal_txns_;
  std::vector<uint64_t> wal_scratch_;
  bool wal_scratch_set_ = false;
  uint64_t wal_txns_refused_ = 0;
  std::unique_ptr<run::Run> run_;
  std::unique_ptr<run::RunResult> result_;
  std::vector<run::Verdict> failed_;
  int64_t end_ns_ = 0;
  bool truncated_ = false;
  // The keys of the scenario's dsm_set / dsm_get actions, sorted: every DSM
  // record of theirs is kept (others only as conflicts and refusals,
  // records.hpp `stored`), so the DSM tab shows each replica's value.
  std::vector<uint64_t> dsm_watched_;
  // Per fault of the scenario: each node's group under it, for a partition
  // or an at_point cut; empty for the others.
  std::vector<std::vector<uint32_t>> partition_groups_;

  std::vector<sim::Record> records_;
  std::vector<uint64_t> trace_index_;
  std::vector<uint64_t> event_index_;  // per record: events dispatched when it was made
  std::vector<uint32_t> end_delta_;  // per record: its message's end - its index (0: none known)
  std::map<uint64_t, uint64_t> pending_sends_;  // message id -> send index, while in flight

  ViewState head_;    // the state after every collected record
  ViewState cursor_;  // the state at the cursor
  std::vector<ViewState> checkpoints_;  // checkpoints_[k].applied == k * every_
  uint64_t every_;
  uint64_t checkpoint_bytes_ = 0;
  uint64_t applied_total_ = 0;
  // A prefix's records still to be met by the run: records_[matched_, prefix_end_).
  uint64_t prefix_end_ = 0;
  uint64_t matched_ = 0;
  uint64_t reused_ = 0;

  std::vector<SecondFigures> seconds_;
  std::array<std::vector<int64_t>, kTiers> open_latencies_;  // the current second's
};

}  // namespace ecsim::viz
