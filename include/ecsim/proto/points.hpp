// Protocol points (FoundationDB-style code probes; DESIGN: "Verdicts,
// protocol points and plants"). A protocol names a step of its code with a
// Point and calls `reach` there:
//
//   if (reach(env, Point::kStorageReplicaAfterWalAppend)) return;
//
// Every reach is counted, so a run can report how often each point ran and
// a sweep which points no seed reached. A scenario can act at a point
// (`{ at_point: NAME, node: NODE, nth: N, do: crash }`): the run's hook
// (fault::Nemesis) then stops the node at that reach, `reach` returns true
// and the handler must return at once -- no sends, no timers, no further
// state changes; the cluster crashes the node when the handler returns.
// Effects issued before the point (a disk append, a message already sent)
// stay as a crash would leave them.
//
// The counters are process-wide, like the plant switch (proto/plant.hpp):
// one simulation runs per thread and sweeps run seeds in child processes
// (DESIGN rule 1); run::Run resets them for its lifetime (PointScope). With
// no hook installed (no at_point fault), a reach costs one counter
// increment and one well-predicted branch.
//
// points() is the one list of every point, with where it sits and what a
// crash there tests; docs/scenarios.md mirrors it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "ecsim/net/envelope.hpp"

namespace ecsim::proto {

enum class Point : uint8_t {
  kStorageReplicaAfterWalAppend,     // storage.replica.after_wal_append
  kStorageReplicaAfterSync,          // storage.replica.after_sync
  kStorageReplicaBeforeAck,          // storage.replica.before_ack
  kStorageReplicaAfterCatchUpBatch,  // storage.replica.after_catch_up_batch
  kStorageWriterAfterQuorum,         // storage.writer.after_quorum
  kRpcServerBeforeExecute,           // rpc.server.before_execute
  kRpcServerAfterExecute,            // rpc.server.after_execute
  kRpcServerBeforeRespond,           // rpc.server.before_respond
  kMsgqReceiverBeforeAck,            // msgq.receiver.before_ack
  kMsgqReceiverAfterDeliver,         // msgq.receiver.after_deliver
  kMsgqSenderBeforeResend,           // msgq.sender.before_resend
  kDsmAfterSet,                      // dsm.after_set
  kDsmAfterApply,                    // dsm.after_apply
  // Appended, so the numbers above (in fault records) stay as they were.
  kRpcClientAfterSend,      // rpc.client.after_send
  kRpcClientBeforeRetry,    // rpc.client.before_retry
  kStorageWriterAfterSend,  // storage.writer.after_send
  // 2PC (proto/twopc): the coordinator's steps, the participant's, then the
  // recovery points no unfaulted run reaches.
  kTwopcCoordinatorAfterStartLogged,     // twopc.coordinator.after_start_logged
  kTwopcCoordinatorAfterPrepareSent,     // twopc.coordinator.after_prepare_sent
  kTwopcCoordinatorAfterVotes,           // twopc.coordinator.after_votes
  kTwopcCoordinatorAfterDecisionLogged,  // twopc.coordinator.after_decision_logged
  kTwopcCoordinatorAfterCommitSent,      // twopc.coordinator.after_commit_sent
  kTwopcCoordinatorAfterEndLogged,       // twopc.coordinator.after_end_logged
  kTwopcParticipantAfterPreparedLogged,  // twopc.participant.after_prepared_logged
  kTwopcParticipantAfterVoteSent,        // twopc.participant.after_vote_sent
  kTwopcParticipantAfterDecisionApplied, // twopc.participant.after_decision_applied
  kTwopcParticipantAfterDecisionLogged,  // twopc.participant.after_decision_logged
  kTwopcParticipantAfterAckSent,         // twopc.participant.after_ack_sent
  kTwopcParticipantBeforeStatusQuery,    // twopc.participant.before_status_query
  kTwopcCoordinatorRecoveryBeforeResend, // twopc.coordinator.recovery_before_resend
  kTwopcParticipantRecoveryBeforeQuery,  // twopc.participant.recovery_before_query
  kTwopcCoordinatorAfterDecisionAppended,  // twopc.coordinator.after_decision_appended
  kCount
};
inline constexpr size_t kPointCount = static_cast<size_t>(Point::kCount);

// The tiers whose nodes run the code a point sits in (bit 1 << Tier:
// edge 1, core 2, cloud 4), so the loader can refuse a point on a node
// that never reaches it.
inline constexpr uint8_t kOnEdge = 1, kOnCore = 2, kOnCloud = 4, kOnAll = 7;

// The protocol a point belongs to: the part of its name before the first
// dot ("twopc" for "twopc.participant.after_vote_sent").
std::string_view point_protocol(std::string_view name);

struct PointInfo {
  Point point;
  std::string_view name;   // "storage.replica.after_wal_append"
  uint8_t tiers;           // kOnEdge | kOnCore | kOnCloud
  std::string_view where;  // the code: "proto/storage.cpp Replica::on_write"
  std::string_view what;   // one line: where exactly, and what a crash there tests
  // A recovery point: code that runs only when a node restarts with work a
  // crash left unfinished, so no unfaulted run reaches it.
  bool recovery = false;
};

// Every point, in enum order.
std::span<const PointInfo> points();
std::optional<Point> point_by_name(std::string_view name);
const PointInfo& point_info(Point p);  // REQUIRES: p < kCount

// What acts at points: installed by the run while a scenario has at_point
// faults.
class PointHook {
 public:
  virtual ~PointHook() = default;
  // True when `node` already stopped at a point in the handler now running:
  // every later reach in it is not a reach (not counted) and stops too.
  virtual bool halted(net::NodeId node) const = 0;
  // A counted reach of `p` at `node`; true when the hook stopped the node.
  virtual bool on_reach(net::NodeId node, Point p) = 0;
};

using PointCounts = std::array<uint64_t, kPointCount>;

namespace detail {
struct PointState {
  PointCounts reached{};
  std::vector<PointCounts> by_node;  // empty unless count_points_by_node
  PointHook* hook = nullptr;
};
extern PointState g_points;
bool reach_hooked(net::NodeId node, Point p);
}  // namespace detail

// Counts a reach of `p` at `node`. True when the node must stop here: the
// caller returns at once and does nothing more in this handler.
[[nodiscard]] inline bool reach(net::NodeId node, Point p) {
  detail::PointState& s = detail::g_points;
  if (s.hook != nullptr) [[unlikely]]
    return detail::reach_hooked(node, p);
  ++s.reached[static_cast<size_t>(p)];
  if (node < s.by_node.size()) ++s.by_node[node][static_cast<size_t>(p)];
  return false;
}
// The same at the node an Env belongs to.
template <class E>
[[nodiscard]] bool reach(E& env, Point p) {
  return reach(env.self(), p);
}

// The reaches counted since the current PointScope began (or process start).
const PointCounts& point_counts();

// Also counts the reaches of each of nodes 0..nodes-1 apart (what `ecsim
// explore` needs to know which node reached which point how often).
// REQUIRES: a PointScope is active.
void count_points_by_node(size_t nodes);
// One entry per node counted (empty without count_points_by_node).
std::span<const PointCounts> point_counts_by_node();

// Installs `hook` (nullptr: removes it). REQUIRES: a PointScope is active.
void set_point_hook(PointHook* hook);

// A run's points moved aside (run/process_state.hpp): several runs may
// exist in one process while one runs at a time (the viewer's probe).
struct ParkedPoints {
  detail::PointState state;
  bool scope_active = false;
};
// Moves the process's point state out, leaving none active.
ParkedPoints park_points();
// Puts a parked state back. REQUIRES: no PointScope is active.
void unpark_points(ParkedPoints parked);

// A run's points: zeroes the counters for its lifetime and removes any hook
// at its end. REQUIRES: no other PointScope is active.
class PointScope {
 public:
  PointScope();
  ~PointScope();
  PointScope(const PointScope&) = delete;
  PointScope& operator=(const PointScope&) = delete;
};

}  // namespace ecsim::proto
