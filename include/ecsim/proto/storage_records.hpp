// The storage machines' trace records (types 40-49) and the codes they
// carry; proto/storage.hpp describes the machines that write them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ecsim/sim/trace.hpp"

namespace ecsim::proto::storage {

// Trace record types 40-49 (registered in sim/trace.hpp's list).
// kRecordWrite: node = replica, peer = sender, code = WriteOutcome, kind = version writer, a = key,
// b = version counter.
inline constexpr auto kRecordWrite = static_cast<sim::RecordType>(40);
// kRecordRefused: node = replica, peer = sender, code = Refusal, a = key, b = request id.
inline constexpr auto kRecordRefused = static_cast<sim::RecordType>(41);
// kRecordAck: node = replica, peer = writer, a = key, b = version counter (durable here).
inline constexpr auto kRecordAck = static_cast<sim::RecordType>(42);
// kRecordWal: node = replica, code = WalEvent, a = log index, b = log length.
inline constexpr auto kRecordWal = static_cast<sim::RecordType>(43);
// kRecordCatchUp: node = replica, peer = peer replica, code = CatchUpEvent, a = entries, b = since
// ns.
inline constexpr auto kRecordCatchUp = static_cast<sim::RecordType>(44);
// kRecordQuorum: node = core, peer = version writer, code = QuorumOutcome, a = key,
// b = version counter, kind = attempts.
inline constexpr auto kRecordQuorum = static_cast<sim::RecordType>(45);
// kRecordIgnored: node, peer = sender, code = Ignored, a = request id or tag.
inline constexpr auto kRecordIgnored = static_cast<sim::RecordType>(46);
// kRecordRecovered: node = replica, peer = version writer, a = key, b = version counter: what the
// replica's log replay recovered after a restart, one per key in key order,
// all before its kRecordWal kReplayed record (the durability verdict holds
// them against the acks the replica sent before).
inline constexpr auto kRecordRecovered = static_cast<sim::RecordType>(47);
// kRecordWriteStarted: node = core (the quorum writer), a = key, b = request
// id: a quorum write sent its request to every replica (the point
// storage.writer.after_send); its kRecordQuorum record follows unless the
// writer crashes first or the run ends.
inline constexpr auto kRecordWriteStarted = static_cast<sim::RecordType>(48);
// kRecordCatchUpEntry: node = replica, peer = version writer, kind = the peer replica that served
// it, a = key, b = version counter: one catch-up entry logged (whether or not it is newer than
// what the replica holds); the catch_up verdict rebuilds what a restarted replica holds from these,
// its kRecordRecovered and its kRecordWrite records.
inline constexpr auto kRecordCatchUpEntry = static_cast<sim::RecordType>(49);

enum class WriteOutcome : uint16_t { kApplied = 1, kSuperseded = 2, kDuplicate = 3 };
enum class Refusal : uint16_t {
  kNotCore = 1,      // a write from a node that is not a core node
  kKeysFull = 2,     // a new key at keys_max
  kPendingFull = 3,  // pending acks at pending_acks_max
  kDiskFull = 4,     // the Disk refused the append
  kNotPeer = 5,      // a catch-up request from a node that is not a peer replica
  kUnexpected = 6,   // a message kind this machine does not serve
};
inline constexpr size_t kRefusalKinds = 7;  // index 0 unused
// kCheckpointed: a = entries the checkpoint truncated, b = the log's length.
enum class WalEvent : uint16_t { kReplayed = 1, kRejected = 2, kMarksVoided = 3, kCheckpointed = 4 };
enum class CatchUpEvent : uint16_t {
  kRequested = 1,  // a batch asked of a peer (b = since: the cursor, or the pass start by key)
  kServed = 2,     // a batch served to a peer
  kApplied = 3,    // a batch received and logged (b = the time cursor: the pass start by key)
  kPeerDone = 4,   // a pass with this peer is durable (its mark synced)
  kCaughtUp = 5,   // the first peer done: every acknowledged write is here
  kGaveUp = 6,     // the pass with a peer stopped: the replica's disk refused its mark
  // A peer did not answer catch_up_retries_max requests in a row: the
  // replica keeps asking, at a doubling interval (b = the interval in ns).
  kBackingOff = 7,
  kPassRestarted = 8,  // the peer restarted since the pass began (it may have lost versions): again
  // An answer to an earlier request than the latest at its cursor: the round
  // trip outlasted the wait (a = that request's send time in ns, b = its round
  // trip in ns; both 0 when it is older than the requests the replica keeps).
  // Traced before the answer's own kApplied or kPassRestarted record.
  kAnsweredLate = 9,
};
enum class QuorumOutcome : uint16_t { kWriteOk = 1, kWriteFailed = 2, kReadOk = 3, kReadFailed = 4 };
enum class Ignored : uint16_t {
  kLateAnswer = 1,    // no such request (finished, or before a restart)
  kDuplicate = 2,     // a second answer from the same replica
  kNotReplica = 3,    // an answer from a node outside the replica set
  kStaleTimer = 4,    // a timer of a request that has finished
  kStaleSync = 5,     // a sync completion this incarnation did not start
  kStaleCatchUp = 6,  // a catch-up answer to no request at the peer's current cursor
  kMismatch = 7,      // an answer whose key or version differs from the request
};

}  // namespace ecsim::proto::storage
