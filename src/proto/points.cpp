#include "ecsim/proto/points.hpp"

#include "ecsim/sim/assert.hpp"

namespace ecsim::proto {

namespace detail {
PointState g_points;

bool reach_hooked(net::NodeId node, Point p) {
  PointHook& hook = *g_points.hook;
  if (hook.halted(node)) return true;  // stopped earlier in this handler: not a reach
  ++g_points.reached[static_cast<size_t>(p)];
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
     "proto/storage.cpp QuorumWriter::on_ack",
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
    {Point::kStorageWriterAfterSend, "storage.writer.after_send", kOnCore, "proto/storage.cpp QuorumWriter::write",
     "core sent a write to the three replicas, before any acknowledgement: the replicas apply and acknowledge a "
     "write whose writer is gone, and the edge is never answered and tries the next core"},
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

void set_point_hook(PointHook* hook) {
  ECSIM_ASSERT(g_scope_active);
  detail::g_points.hook = hook;
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
