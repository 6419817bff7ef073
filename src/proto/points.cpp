#include "ecsim/proto/points.hpp"

#include <utility>

#include "ecsim/sim/assert.hpp"

namespace ecsim::proto {

namespace detail {
PointState g_points;

bool reach_hooked(net::NodeId node, Point p) {
  PointHook& hook = *g_points.hook;
  if (hook.halted(node)) return true;  // stopped earlier in this handler: not a reach
  ++g_points.reached[static_cast<size_t>(p)];
  if (node < g_points.by_node.size()) ++g_points.by_node[node][static_cast<size_t>(p)];
  return hook.on_reach(node, p);
}
}  // namespace detail

namespace {

bool g_scope_active = false;

constexpr std::array<PointInfo, kPointCount> kPoints{{
    {Point::kStorageReplicaAfterWalAppend, "storage.replica.after_wal_append", kOnCloud,
     "proto/storage.cpp Replica::on_write",
     "a write newer than the replica's copy was appended to its WAL, not yet synced nor acknowledged: a crash "
     "loses it or keeps it by chance, and the writer needs its quorum from the other replicas"},
    {Point::kStorageReplicaAfterSync, "storage.replica.after_sync", kOnCloud,
     "proto/storage.cpp Replica::on_sync_done",
     "a WAL sync completed, before the acknowledgements waiting on it go out: the writes are durable but never "
     "acknowledged, so the writer resends or fails"},
    {Point::kStorageReplicaBeforeAck, "storage.replica.before_ack", kOnCloud,
     "proto/storage.cpp Replica::on_write, Replica::release_acks",
     "a write is durable here and its acknowledgement is about to be sent: the writer never hears it"},
    {Point::kStorageReplicaAfterCatchUpBatch, "storage.replica.after_catch_up_batch", kOnCloud,
     "proto/storage.cpp Replica::on_catch_up_resp",
     "a replica catching up at its start logged a batch of a peer's entries, before asking for the next batch or "
     "logging its catch-up mark: a crash in the middle of a catch-up"},
    {Point::kStorageWriterAfterQuorum, "storage.writer.after_quorum", kOnCore,
     "proto/storage_quorum.cpp QuorumWriter::on_ack",
     "2 of 3 replicas acknowledged a write, before core records it as done: the write is durable but the edge "
     "is never answered and tries the next core"},
    {Point::kRpcServerBeforeExecute, "rpc.server.before_execute", kOnCore, "proto/rpc.cpp Server::on_request",
     "a new call passed de-duplication, before the server records it and hands it to core: the call is never "
     "executed and the edge's attempt fails over"},
    {Point::kRpcServerAfterExecute, "rpc.server.after_execute", kOnCore, "proto/rpc.cpp Server::respond",
     "core executed a call (its storage reads and writes are done), before the answer is cached or sent: a retry "
     "may execute it again on the restarted core"},
    {Point::kRpcServerBeforeRespond, "rpc.server.before_respond", kOnCore, "proto/rpc.cpp Server::send_response",
     "an answer (new, from the response cache, or busy) is about to be sent: the executed call's caller never "
     "gets it"},
    {Point::kMsgqReceiverBeforeAck, "msgq.receiver.before_ack", kOnAll, "proto/msgq.cpp Receiver::on_data",
     "a new message passed de-duplication, before it is delivered and ACKed: the sender resends it and the "
     "restarted receiver delivers it (at-least-once across a receiver crash)"},
    {Point::kMsgqReceiverAfterDeliver, "msgq.receiver.after_deliver", kOnAll,
     "tiers/tier_node.cpp TierNode::dsm_queued",
     "a DSM UPDATE was ACKed and handed to the DSM: the ACK, still in flight, is lost with the crash, so the "
     "sender resends a message the receiver took"},
    {Point::kMsgqSenderBeforeResend, "msgq.sender.before_resend", kOnEdge, "proto/msgq.cpp Sender::on_timer",
     "an edge node's DSM UPDATE went un-ACKed for its resend timeout, before it goes out again (reached only "
     "when messages or ACKs were lost or late)"},
    {Point::kDsmAfterSet, "dsm.after_set", kOnEdge, "proto/dsm.cpp Replica::set",
     "a client's DSM write is stored at its edge node, before its UPDATEs go out: the write dies with the node "
     "and the client gets no answer"},
    {Point::kDsmAfterApply, "dsm.after_apply", kOnAll, "proto/dsm.cpp Replica::apply",
     "a received DSM entry (an UPDATE or a repair's) won and replaced the local one: the rest of a repair is "
     "neither applied nor answered"},
    {Point::kRpcClientAfterSend, "rpc.client.after_send", kOnEdge, "proto/rpc.cpp Client::send_request",
     "an edge node sent a call's request to core, before any answer: core executes a call whose caller is gone, "
     "and the client is answered by no one (its request counts at its timeout)"},
    {Point::kRpcClientBeforeRetry, "rpc.client.before_retry", kOnEdge, "proto/rpc.cpp Client::on_timer",
     "a call's backoff after a failed attempt ended, before the retry goes out (reached only when core was slow, "
     "down or cut off): the first attempt may have executed, the retry never comes"},
    {Point::kStorageWriterAfterSend, "storage.writer.after_send", kOnCore, "proto/storage_quorum.cpp QuorumWriter::write",
     "core sent a write to the three replicas, before any acknowledgement: the replicas apply and acknowledge a "
     "write whose writer is gone, and the edge is never answered and tries the next core"},
    {Point::kTwopcCoordinatorAfterStartLogged, "twopc.coordinator.after_start_logged", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::begin",
     "a transaction's START was appended (not forced), before any PREPARE: nobody else knows it, the caller is "
     "never answered, and recovery aborts it if the record survived"},
    {Point::kTwopcCoordinatorAfterPrepareSent, "twopc.coordinator.after_prepare_sent", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::begin",
     "every participant was sent PREPARE: they lock, log PREPARED and vote YES to a coordinator that is down, "
     "and stay in doubt, asking it, until it restarts and aborts the transaction"},
    {Point::kTwopcCoordinatorAfterVotes, "twopc.coordinator.after_votes", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::on_vote",
     "the votes that decide are in (every YES, or one NO), before the decision is logged: the prepared "
     "participants are in doubt and presumed abort must end the transaction"},
    {Point::kTwopcCoordinatorAfterDecisionLogged, "twopc.coordinator.after_decision_logged", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::on_sync_done",
     "the decision record is durable, before it is sent or reported: the outcome is fixed but known to nobody; "
     "recovery must re-send it, never presume abort"},
    {Point::kTwopcCoordinatorAfterCommitSent, "twopc.coordinator.after_commit_sent", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::send_decision",
     "the durable decision (COMMIT or ABORT) went to every participant, before the client is answered and before "
     "any ACK: the client hears nothing, recovery re-sends the decision to collect the ACKs"},
    {Point::kTwopcCoordinatorAfterEndLogged, "twopc.coordinator.after_end_logged", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::end",
     "every participant it waits for acknowledged (an ABORT: the YES voters) and END was appended (not "
     "forced): if END is lost, recovery re-sends a decision that every participant acknowledges again"},
    {Point::kTwopcParticipantAfterPreparedLogged, "twopc.participant.after_prepared_logged", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::finish_durable",
     "PREPARED is durable and the locks are held, before the YES goes out: the coordinator's PREPARE times out "
     "and it aborts; the restarted participant is in doubt, keeps its locks and asks"},
    {Point::kTwopcParticipantAfterVoteSent, "twopc.participant.after_vote_sent", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::finish_durable",
     "the YES vote went out: the coordinator may commit without this participant, which must learn the decision "
     "from its log and a status query after its restart"},
    {Point::kTwopcParticipantAfterDecisionApplied, "twopc.participant.after_decision_applied", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::resolve",
     "the decision was applied, its record appended (not yet durable) and the locks released: a crash may lose the "
     "record, and the restarted participant is in doubt again and must ask"},
    {Point::kTwopcParticipantAfterDecisionLogged, "twopc.participant.after_decision_logged", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::finish_durable",
     "the decision record is durable, before the ACK: the coordinator re-sends the decision and the restarted "
     "participant acknowledges it without applying it twice"},
    {Point::kTwopcParticipantAfterAckSent, "twopc.participant.after_ack_sent", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::finish_durable",
     "the ACK of a durable decision went out: the participant is done with the transaction, and its log must "
     "rebuild the committed balances at its restart"},
    {Point::kTwopcParticipantBeforeStatusQuery, "twopc.participant.before_status_query", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::on_timer",
     "a prepared participant heard no decision for query_interval and is about to ask the coordinator (reached only "
     "when the coordinator was down or the decision lost)"},
    {Point::kTwopcCoordinatorRecoveryBeforeResend, "twopc.coordinator.recovery_before_resend", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::send_decision",
     "a restarted coordinator is about to re-send a decision its log kept (or the ABORT it logged for a START "
     "without one): a second crash during recovery, the decision still unsent", true},
    {Point::kTwopcParticipantRecoveryBeforeQuery, "twopc.participant.recovery_before_query", kOnCloud | kOnEdge,
     "proto/twopc_participant.cpp Participant::finish_durable",
     "a restarted participant in doubt (PREPARED, no decision in its log), its record durable, is about to vote "
     "again and ask the coordinator: a second crash during recovery, the locks still held", true},
    {Point::kTwopcCoordinatorAfterDecisionAppended, "twopc.coordinator.after_decision_appended", kOnCore,
     "proto/twopc_coordinator.cpp Coordinator::decide",
     "the decision record was appended, before its sync: a crash may keep or lose it, and the restarted "
     "coordinator re-sends the decision or presumes abort; nobody has been told yet"},
}};

constexpr bool points_in_enum_order() {
  for (size_t i = 0; i < kPoints.size(); ++i) {
    if (static_cast<size_t>(kPoints[i].point) != i) return false;
  }
  return true;
}
static_assert(points_in_enum_order(), "kPoints lists every Point in enum order");

}  // namespace

std::span<const PointInfo> points() { return kPoints; }

std::string_view point_protocol(std::string_view name) { return name.substr(0, name.find('.')); }

std::optional<Point> point_by_name(std::string_view name) {
  for (const PointInfo& p : kPoints) {
    if (p.name == name) return p.point;
  }
  return std::nullopt;
}

const PointInfo& point_info(Point p) {
  const auto i = static_cast<size_t>(p);
  ECSIM_ASSERT(i < kPoints.size());
  return kPoints[i];
}

const PointCounts& point_counts() { return detail::g_points.reached; }

void count_points_by_node(size_t nodes) {
  ECSIM_ASSERT(g_scope_active);
  ECSIM_ASSERT(nodes <= (size_t{1} << 16));  // a topology, not a count by mistake
  detail::g_points.by_node.assign(nodes, PointCounts{});
}

std::span<const PointCounts> point_counts_by_node() { return detail::g_points.by_node; }

void set_point_hook(PointHook* hook) {
  ECSIM_ASSERT(g_scope_active);
  detail::g_points.hook = hook;
}

ParkedPoints park_points() {
  ParkedPoints p{std::move(detail::g_points), g_scope_active};
  detail::g_points = detail::PointState{};
  g_scope_active = false;
  return p;
}

void unpark_points(ParkedPoints parked) {
  ECSIM_ASSERT(!g_scope_active);
  detail::g_points = std::move(parked.state);
  g_scope_active = parked.scope_active;
}

PointScope::PointScope() {
  ECSIM_ASSERT(!g_scope_active);
  g_scope_active = true;
  detail::g_points = detail::PointState{};
}

PointScope::~PointScope() {
  detail::g_points.hook = nullptr;
  g_scope_active = false;
}

}  // namespace ecsim::proto
