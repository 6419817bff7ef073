#include "model/records.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::viz {

namespace {

// The protocol step a 2PC record names (proto/twopc.hpp's event codes), or
// nullptr for a code this build does not know.
const char* twopc_step(const sim::Record& r) {
  using namespace proto::twopc;
  switch (static_cast<int>(r.type)) {
    case static_cast<int>(kRecordCoordinator):
      switch (static_cast<CoordinatorEvent>(r.code)) {
        case CoordinatorEvent::kStartLogged: return "START logged";
        case CoordinatorEvent::kPrepareSent: return "PREPARE sent";
        case CoordinatorEvent::kDecidedCommit: return "COMMIT decided (logged)";
        case CoordinatorEvent::kDecidedAbort: return "ABORT decided (logged)";
        case CoordinatorEvent::kDecisionSent: return "decision durable, sent";
        case CoordinatorEvent::kEndLogged: return "every awaited ACK in, END logged";
        case CoordinatorEvent::kJoined: return "a retry joined it";
        case CoordinatorEvent::kDecisionResent: return "decision re-sent";
        case CoordinatorEvent::kPrepareResent: return "PREPARE re-sent";
        case CoordinatorEvent::kRecoveredDecision: return "recovered a logged decision";
      }
      return nullptr;
    case static_cast<int>(kRecordVote): return r.code == 1 ? "voted YES" : r.code == 2 ? "voted NO" : nullptr;
    case static_cast<int>(kRecordParticipant):
      switch (static_cast<ParticipantEvent>(r.code)) {
        case ParticipantEvent::kPreparedLogged: return "PREPARED logged";
        case ParticipantEvent::kCommitted: return "committed (applied, logged)";
        case ParticipantEvent::kAborted: return "aborted (rolled back, logged)";
        case ParticipantEvent::kAcked: return "ACK sent";
        case ParticipantEvent::kInDoubt: return "in doubt after recovery (locks kept)";
        case ParticipantEvent::kResolved: return "in-doubt resolved";
        case ParticipantEvent::kAckedUnknown: return "ACK sent for a COMMIT it has no record of";
      }
      return nullptr;
    case static_cast<int>(kRecordLock):
      switch (static_cast<LockEvent>(r.code)) {
        case LockEvent::kGranted: return "lock granted";
        case LockEvent::kWait: return "lock wait";
        case LockEvent::kDie: return "lock denied (wait-die: younger)";
        case LockEvent::kTimeout: return "lock wait timed out";
        case LockEvent::kReleased: return "lock released";
      }
      return nullptr;
    case static_cast<int>(kRecordOutcome):
      switch (static_cast<Outcome>(r.code)) {
        case Outcome::kCommitted: return "outcome: committed";
        case Outcome::kAborted: return "outcome: aborted";
        case Outcome::kUnknown: return "outcome: unknown yet";
      }
      return nullptr;
    default: return nullptr;
  }
}
using sim::Record;
using sim::RecordType;
using rt::kAction;
using rt::kAuthRefused;
using rt::kBillingEnd;
using rt::kBillingOp;
using rt::kClientEnd;
using rt::kClientStart;
using rt::kCloudOp;
using rt::kDsm;
using rt::kLookup;
using rt::kRehydration;
using rt::kRpcDone;
using rt::kStaleRead;
using rt::kStorageCatchUp;
using rt::kSuspect;
using rt::kTwopcFirst;
using rt::kTwopcLast;
using rt::type;

bool twopc(const Record& r) {
  const int t = static_cast<int>(r.type);
  return t >= kTwopcFirst && t <= kTwopcLast;
}

constexpr RecordType kCollected[] = {
    RecordType::kSend,  RecordType::kDeliver,      RecordType::kDrop,     RecordType::kDuplicate,
    RecordType::kCrash, RecordType::kRestart,      RecordType::kFault,    RecordType::kDiskLoss,
    RecordType::kRecover, RecordType::kLimit,      RecordType::kLoad,     RecordType::kLimitReached,
    RecordType::kPingDone, kDsm, kRpcDone, kAuthRefused, kSuspect, kClientStart, kClientEnd, kLookup,
    kStaleRead, kRehydration, kStorageCatchUp, kCloudOp, type(70), type(71), type(72), type(73), type(74),
    type(75), type(76), type(77), type(78), type(79), kBillingEnd, kBillingOp, kAction};

const char* drop_reason(uint16_t code) {
  switch (code) {
    case 1: return "random loss";
    case 2: return "partition";
    case 3: return "receiver down";
    case 4: return "link reset";
    case 5: return "sender down";
    case 6: return "overload";
    case 7: return "in-flight limit";
    default: return "?";
  }
}

const char* fault_kind(uint16_t code) {
  static const char* kNames[] = {"crash", "restart", "partition", "heal", "drop", "delay",
                                 "duplicate", "reorder", "byzantine", "at_point", "dsm_set", "dsm_get", "billing",
                                 "twopc_vote_no"};
  return code < std::size(kNames) ? kNames[code] : "fault";
}

const char* message_kind(uint32_t kind) {
  switch (kind) {
    case 1: return "ping";
    case 2: return "pong";
    case 10: return "rpc";
    case 11: return "storage";
    case 12: return "dsm";
    case 14: return "handshake";
    case 15: return "2pc";
    default: return "msg";
  }
}
// A DSM record (proto/dsm.hpp, Event): how the replica resolved an entry.
std::string describe_dsm(const sim::Record& r, const std::string& node, const std::string& writer) {
  switch (r.code) {
    case 1: return fmt::format("{} dsm SET key {} = {} (its own write)", node, r.a, r.b);
    case 2: return fmt::format("{} dsm key {}: took {}'s {} (it wins: later clock or tie-break)", node, r.a, writer, r.b);
    case 3: return fmt::format("{} dsm key {}: kept its own, {}'s {} loses (older or tie-break)", node, r.a, writer, r.b);
    case 4: return fmt::format("{} dsm key {}: {}'s {} again (duplicate)", node, r.a, writer, r.b);
    case 5: return fmt::format("{} dsm key {} refused: replica full", node, r.a);
    case 6: return fmt::format("{} dsm key {}: dropped a malformed entry from {}", node, r.a, writer);
    default: return fmt::format("{} dsm key {} event {} (writer {})", node, r.a, r.code, writer);
  }
}

}  // namespace

const char* severity_name(Severity s) {
  static const char* kNames[] = {"detail", "info", "success", "warning", "critical"};
  return kNames[static_cast<size_t>(s)];
}

std::span<const RecordType> collected_types() { return kCollected; }

bool stored(const Record& r) {
  // Counted into the per-second figures only: the bulk of a tier run.
  if (r.type == kLookup || r.type == kClientStart || r.type == kCloudOp || r.type == RecordType::kPingDone) {
    return false;
  }
  if (r.type == kClientEnd) return r.code != 0 && r.code != 5;  // failures only
  if (r.type == kRpcDone) return r.code != 0;                     // failed calls only
  if (r.type == kDsm) return r.code != 1 && r.code != 2 && r.code != 4;  // conflicts and refusals
  return true;
}

bool is_message(const Record& r) {
  return r.type == RecordType::kSend || r.type == RecordType::kDeliver || r.type == RecordType::kDrop ||
         r.type == RecordType::kDuplicate;
}

bool is_fault(const Record& r) {
  return r.type == RecordType::kFault || r.type == RecordType::kCrash || r.type == RecordType::kRestart ||
         r.type == RecordType::kDiskLoss;
}

bool is_phase(const Record& r) {
  return twopc(r) || r.type == kRehydration || r.type == kSuspect || r.type == RecordType::kRecover ||
         r.type == kStorageCatchUp;
}

Severity severity(const Record& r) {
  switch (r.type) {
    case RecordType::kSend:
    case RecordType::kDeliver:
    case RecordType::kDuplicate:
    case RecordType::kLoad:
      return Severity::kDetail;
    case RecordType::kFault:  // workload actions (codes 10..12) are no faults
      return r.code >= 10 ? Severity::kInfo : Severity::kWarning;
    case RecordType::kDrop:
    case RecordType::kDiskLoss:
      return Severity::kWarning;
    case RecordType::kCrash:
    case RecordType::kLimit:
    case RecordType::kLimitReached:
      return Severity::kCritical;
    case RecordType::kRestart:
    case RecordType::kRecover:
      return Severity::kSuccess;
    default:
      break;
  }
  if (r.type == kExpectationFailed) return Severity::kCritical;
  if (r.type == kClientEnd) return r.code == 0 ? Severity::kSuccess : r.code == 1 ? Severity::kWarning : Severity::kCritical;
  if (r.type == kRpcDone) return r.code == 0 ? Severity::kDetail : r.code == 1 ? Severity::kCritical : Severity::kWarning;
  if (r.type == kRehydration) return r.code == 2 ? Severity::kSuccess : Severity::kInfo;
  if (r.type == kDsm) return r.code == 3 || r.code >= 5 ? Severity::kWarning : Severity::kInfo;  // lost, refused
  if (r.type == kBillingEnd) return r.code == 1 ? Severity::kSuccess : r.code == 2 ? Severity::kWarning : Severity::kCritical;
  if (r.type == kAction && r.code == 5) return Severity::kWarning;  // node down
  if (r.type == kSuspect || r.type == kStaleRead || r.type == kAuthRefused) return Severity::kWarning;
  if (r.type == type(78)) return r.code == 1 ? Severity::kSuccess : Severity::kWarning;  // 2PC outcome
  if (r.type == type(71) && r.code == 2) return Severity::kWarning;                         // a NO vote
  return Severity::kInfo;
}

float drop_position(uint16_t reason) {
  switch (static_cast<sim::DropReason>(reason)) {
    case sim::DropReason::kRandom:
    case sim::DropReason::kPartition:
    case sim::DropReason::kInFlightLimit:
      return 0.15f;
    case sim::DropReason::kNodeDown:
    case sim::DropReason::kLinkReset:
    case sim::DropReason::kOverload:
      return 0.85f;
    case sim::DropReason::kSenderDown:
      break;
  }
  return 0.5f;
}

bool is_failure(const Record& r) { return severity(r) == Severity::kCritical; }

uint32_t record_node(const Record& r) {
  if (r.type == RecordType::kFault && r.code != 9) return UINT32_MAX;  // a timed fault names no node
  if (r.type == RecordType::kLimit) return UINT32_MAX;
  return r.node;
}

uint32_t record_peer(const Record& r) {
  if (is_message(r) || r.type == kRpcDone || r.type == kSuspect || r.type == kDsm) return r.peer;
  if (twopc(r)) return r.peer;
  return UINT32_MAX;
}

const char* record_label(RecordType t) {
  switch (t) {
    case RecordType::kSend: return "send";
    case RecordType::kDeliver: return "deliver";
    case RecordType::kDrop: return "drop";
    case RecordType::kDuplicate: return "duplicate";
    case RecordType::kCrash: return "crash";
    case RecordType::kRestart: return "restart";
    case RecordType::kFault: return "fault";
    case RecordType::kDiskLoss: return "disk loss";
    case RecordType::kRecover: return "recover";
    case RecordType::kLimit: return "limit";
    case RecordType::kLoad: return "load";
    case RecordType::kLimitReached: return "limit reached";
    default: break;
  }
  switch (static_cast<int>(t)) {
    case 20: return "dsm";
    case 22: return "rpc done";
    case 30: return "auth refused";
    case 34: return "edge suspect";
    case 36: return "client end";
    case 38: return "stale read";
    case 39: return "rehydration";
    case 44: return "storage catch-up";
    case 70: return "2pc coordinator";
    case 71: return "2pc vote";
    case 72: return "2pc participant";
    case 73: return "2pc lock";
    case 74: return "2pc query";
    case 75: return "2pc ignored";
    case 76: return "2pc refused";
    case 77: return "2pc wal";
    case 78: return "2pc outcome";
    case 79: return "2pc applied";
    case 83: return "billing end";
    case 85: return "billing op";
    case 89: return "action";
    case 100: return "expectation failed";
    default: return "record";
  }
}

std::string describe(const Record& r, const std::vector<std::string>& names) {
  const auto name = [&names](uint32_t n) -> std::string {
    return n < names.size() ? names[n] : fmt::format("#{}", n);
  };
  switch (r.type) {
    case RecordType::kSend:
      return fmt::format("{} -> {} send {} #{} ({} B)", name(r.node), name(r.peer), message_kind(r.kind), r.a, r.b);
    case RecordType::kDeliver:
      return fmt::format("{} <- {} deliver {} #{}", name(r.node), name(r.peer), message_kind(r.kind), r.a);
    case RecordType::kDrop:
      return fmt::format("{} <- {} DROP {} #{}: {}", name(r.node), name(r.peer), message_kind(r.kind), r.a,
                         drop_reason(r.code));
    case RecordType::kDuplicate:
      return fmt::format("{} -> {} duplicate of #{}", name(r.node), name(r.peer), r.a);
    case RecordType::kCrash: return fmt::format("{} CRASHED (incarnation {})", name(r.node), r.a);
    case RecordType::kRestart: return fmt::format("{} restarted (incarnation {})", name(r.node), r.a);
    case RecordType::kFault:
      if (r.code == 9) return fmt::format("fault at_point fired on {} (point {})", name(r.node), r.kind);
      return fmt::format("fault #{} {} {}", r.a, fault_kind(r.code), r.b == 1 ? "applied" : "reverted");
    case RecordType::kDiskLoss: return fmt::format("{} lost {} unsynced log entries", name(r.node), r.kind);
    case RecordType::kRecover: return fmt::format("{} recovered a log of {} entries", name(r.node), r.a);
    case RecordType::kLimit: return fmt::format("run cut short after {} events", r.a);
    case RecordType::kLoad:
      return fmt::format("{} load: cpu {}.{}%, mem {}.{}%, queue {}", name(r.node), (r.a >> 32) / 10,
                         (r.a >> 32) % 10, (r.a & 0xffffffff) / 10, (r.a & 0xffffffff) % 10, r.b >> 32);
    case RecordType::kLimitReached: return fmt::format("limit {} reached at {} ({} times)", r.code, name(r.node), r.b);
    default: break;
  }
  switch (static_cast<int>(r.type)) {
    case 20: return describe_dsm(r, name(r.node), name(r.peer));
    case 83: {
      static const char* kEnd[] = {"?", "COMMITTED", "ABORTED (rolled back)", "unknown", "failed", "refused", "late", "unsettled"};
      return fmt::format("billing txn {} at {}: {} ({} us)", r.a, name(r.node), r.code < 8 ? kEnd[r.code] : "?", r.b / 1000);
    }
    case 85: {
      static const char* kOp[] = {"debit", "transfer", "top_up", "port", "balance", "number_owner"};
      return fmt::format("billing txn {} at {}: {} from {} to {}, {} ({})", r.a, name(r.node),
                         r.code < 6 ? kOp[r.code] : "?", r.peer, r.kind, r.b, r.code == 3 || r.code == 5 ? "number" : "amount");
    }
    case 89:
      switch (r.code) {
        case 1: return fmt::format("{} action dsm_set key {} = {}", name(r.node), r.a, r.b);
        case 2: return fmt::format("{} action dsm_set key {} refused (replica full)", name(r.node), r.a);
        case 3: return fmt::format("{} action dsm_get key {} -> {}", name(r.node), r.a, r.b);
        case 4: return fmt::format("{} action dsm_get key {} -> nothing", name(r.node), r.a);
        case 5: return fmt::format("{} is down: action on key/txn {} not applied", name(r.node), r.a);
        case 6: return fmt::format("{} action billing txn {} sent", name(r.node), r.a);
        case 7: return fmt::format("{} action twopc_vote_no: its next {} vote(s) NO", name(r.node), r.a);
        default: break;
      }
      return fmt::format("{} action code {}", name(r.node), r.code);
    case 22: {
      static const char* kCode[] = {
          "ok",          "timed out",        "unreachable",          "queue full",
          "server busy", "connection reset", "stale (not run again)"};
      return fmt::format("{} -> {} rpc call #{} failed: {}", name(r.node), name(r.peer), r.a,
                         r.code < 7 ? kCode[r.code] : fmt::format("code {}", r.code));
    }
    case 30: {
      static const char* kReason[] = {"ok",      "malformed",     "bad signature",
                                      "expired", "not yet valid", "forbidden"};
      return fmt::format("{} refused a token: {}", name(r.node),
                         r.code < 6 ? kReason[r.code] : fmt::format("reason {}", r.code));
    }
    case 34: return fmt::format("{} suspects {}", name(r.node), name(r.peer));
    case 36: {
      static const char* kOutcome[] = {"ok", "refused", "failed", "answered late", "lost", "unsettled"};
      return fmt::format("request #{} at {} {}", r.a, name(r.node), r.code < 6 ? kOutcome[r.code] : "?");
    }
    case 38: return fmt::format("{} stale read of key {} ({} versions behind)", name(r.node), r.a, r.kind);
    case 39:
      return r.code == 1 ? fmt::format("{} rehydration started ({} keys)", name(r.node), r.a)
                         : fmt::format("{} rehydration done ({} fetched, {} given up)", name(r.node), r.a, r.b);
    case 44: {
      // proto::storage::CatchUpEvent; peer = the other replica, a = entries.
      switch (r.code) {
        case 1:
          return fmt::format("{} asks {} for a catch-up batch", name(r.node), name(r.peer));
        case 2:
          return fmt::format("{} serves {} a catch-up batch of {} entries", name(r.node),
                             name(r.peer), r.a);
        case 3:
          return fmt::format("{} logged a catch-up batch of {} entries from {}", name(r.node), r.a,
                             name(r.peer));
        case 4:
          return fmt::format("{} caught up with {} (its mark synced)", name(r.node), name(r.peer));
        case 5:
          return fmt::format("{} caught up: every acknowledged write is here", name(r.node));
        case 6:
          return fmt::format("{} gave up its catch-up with {} (disk refused the mark)",
                             name(r.node), name(r.peer));
        case 7:
          return fmt::format("{} backs off: {} did not answer, asking every {}", name(r.node),
                             name(r.peer),
                             sim::format_duration(sim::Duration{static_cast<int64_t>(r.b)}));
        case 8:
          return fmt::format("{} begins its catch-up pass with {} again ({} restarted since it began)",
                             name(r.node), name(r.peer), name(r.peer));
        case 9:
          return r.a == 0 ? fmt::format("{} got a late answer from {} to a request it no longer keeps",
                                        name(r.node), name(r.peer))
                          : fmt::format("{} got a late answer from {}: a round trip of {}", name(r.node),
                                        name(r.peer),
                                        sim::format_duration(sim::Duration{static_cast<int64_t>(r.b)}));
        default:
          break;
      }
      return fmt::format("{} storage catch-up (code {})", name(r.node), r.code);
    }
    case 100: return fmt::format("expectation failed (verdict {}; Timeline::describe names it)", r.a + 1);
    default: break;
  }
  if (twopc(r)) {
    if (const char* step = twopc_step(r)) {
      return fmt::format("{} {} txn {}: {} (peer {})", name(r.node), record_label(r.type), r.a, step, name(r.peer));
    }
    return fmt::format("{} {} txn {} code {} (peer {})", name(r.node), record_label(r.type), r.a, r.code,
                       name(r.peer));
  }
  return fmt::format("{} record type {}", name(r.node), static_cast<int>(r.type));
}

}  // namespace ecsim::viz
