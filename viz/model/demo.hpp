// The demo tabs' model: actions taken in the viewer (crash or restart a
// node, cut a link, partition, drop rate), applied to the live session and
// recorded as scenario entries at the cursor's simulated time and the index
// of the event after which they were taken (`after_event`,
// docs/scenarios.md). The session's scenario is always its base text plus
// the recorded entries, loaded like any file: "Save as scenario" writes
// that text, and `ecsim run` on it gives the session's trace hash.
//
// Applying an action rebuilds the run from the new scenario (simulated
// from t = 0 again: a run cannot be copied, docs/viewer.md) and moves the
// cursor just past the action. The run before the action is the same,
// event for event, since a pinned entry schedules nothing before it
// applies (after it, it is another run): the new Timeline keeps the old
// one's records and checkpoints up to the action's event (TimelinePrefix).
// Stepping back before the action and forwards again replays it. No ImGui.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/scenario/entries.hpp"
#include "model/session.hpp"

namespace ecsim::viz {

struct RecordedAction {
  int64_t at_ns = 0;
  uint64_t after_event = 0;
  scenario::Entry entry;  // with its at and after_event
  std::string label;      // "12.5s #812345 crash: edge-2"
};

class Demo {
 public:
  // THROWS OpenError as open_session.
  explicit Demo(const OpenRequest& request);
  // On a session already open (`request` is what opened it). From a trace
  // file, the header's scenario and seed (and its options: until, event
  // and memory limits, plant) are the base, like an opened scenario's.
  Demo(const OpenRequest& request, Session session);

  Timeline& timeline() { return *timeline_; }
  const std::string& label() const { return label_; }
  // By default an action's rebuild moves the new run's cursor just past the
  // action at once, simulating from t = 0 up to there. Deferred (the
  // window), it leaves the cursor at 0 and take_placement() gives the run
  // event to move to, which the window reaches over frames.
  void defer_placement(bool on) { defer_placement_ = on; }
  std::optional<uint64_t> take_placement() { return std::exchange(placement_, std::nullopt); }
  const std::vector<RecordedAction>& actions() const { return actions_; }

  // Takes the action at the cursor: `body` is a fault's action as a YAML
  // (or JSON) flow map without `at`, like `{crash: edge-1}`,
  // `{drop: {between: [edge-1, core-1], rate: 1}}`. Returns "" when
  // applied, else a one-line reason (the loader's message: a crash of a node
  // already down, a bad value; the cursor before the last action taken,
  // whose event the new one would move) and nothing changes.
  std::string fault(const std::string& body);
  // Convenience actions; `node` may be "random": a node drawn from the
  // stream "viz/random-node" of the run's seed (the nth draw for the nth
  // random action), recorded as the concrete node.
  std::string crash(std::string node);
  std::string restart(std::string node);
  std::string cut_link(const std::string& a, const std::string& b);  // drop rate 1 between two nodes
  std::string partition(const std::vector<std::string>& group);      // the group against every other node
  std::string drop_rate(const std::string& from, const std::string& to, uint32_t percent);
  // Workload actions (docs/scenarios.md, "Actions"), recorded in the
  // faults list like the faults: a DSM SET or GET on one node's replica;
  // two SETs of one key on two nodes at the same instant (one entry each,
  // both after the same event: concurrent writes, which the DSM's tie-break
  // resolves); a billing operation at an edge node (`op` debit, transfer,
  // top_up; a debit beyond the balance makes the replicas vote NO and the
  // transaction roll back).
  std::string dsm_set(const std::string& node, uint64_t key, uint64_t value);
  std::string dsm_get(const std::string& node, uint64_t key);
  std::string dsm_concurrent(const std::string& a, const std::string& b, uint64_t key, uint64_t value_a,
                             uint64_t value_b);
  std::string billing(const std::string& op, uint64_t from, uint64_t to, int64_t amount, const std::string& edge);
  // Makes the 2PC participant `node` (an edge or cloud node of a billing
  // run) vote NO on its next `count` transactions (`twopc_vote_no`): the
  // next transaction it takes part in rolls back everywhere.
  std::string twopc_vote_no(const std::string& node, uint64_t count);
  // Several actions taken at the cursor at once, in order: one rebuild.
  std::string faults(const std::vector<std::string>& bodies);

  // The node a "random" action would pick next (up nodes for a crash,
  // down ones for a restart); nullopt when there is none.
  std::optional<std::string> random_node(bool up);

  // The session's scenario: the base plus every recorded entry.
  const std::string& scenario_text() const { return text_; }
  // Writes scenario_text(). Returns "" or the reason.
  std::string save(const std::string& path) const;
  // The `ecsim run` flags a replay of the saved scenario needs to give the
  // session's hash: the run options of a trace file's header that the
  // scenario text does not carry ("--until 3s --plant NAME"); "" when none.
  std::string replay_flags() const;
  // Applies a JSON file of actions: [{"at": "10s", "crash": "edge-1"}, ...]
  // in order, each at the last record at or before its time. Returns "" or
  // the first problem (file, JSON, more than kFileActionsMax actions, times
  // out of order, or an action refused).
  std::string apply_file(const std::string& path);
  // Each action of a file re-simulates the run up to it (the cost grows
  // with the square of the count: 800 actions on a 6 s run took 44 s).
  static constexpr size_t kFileActionsMax = 256;

 private:
  std::string rebuild(std::vector<RecordedAction> actions, uint64_t cursor_event);

  OpenRequest request_;
  run::RunOptions options_;  // the session's run options (a trace header's), for every rebuild
  std::string base_text_;
  std::string file_;
  uint64_t seed_ = 0;
  std::string label_;
  std::string text_;
  std::vector<RecordedAction> actions_;
  std::unique_ptr<Timeline> timeline_;
  uint64_t random_draws_ = 0;
  bool defer_placement_ = false;
  std::optional<uint64_t> placement_;
};

}  // namespace ecsim::viz
