// Planted bugs: deliberate defects in real protocol code, each behind one
// guarded branch, so that a sweep can prove its verdict finds it (DESIGN:
// "Verdicts, protocol points and plants"). `ecsim run/sweep --plant NAME`
// switches one on for a run; `ecsim plant --list` lists them.
//
// The switch is process-wide: one simulation runs per thread and sweeps run
// their seeds in child processes (DESIGN rule 1), and run::Run sets it for
// its lifetime (PlantScope). With no plant, each guard is one load and one
// well-predicted branch.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ecsim::proto {

enum class Plant : uint8_t {
  kNone = 0,
  kStorageAckBeforeSync,      // a cloud replica acks a write before its WAL entry is durable
  kStorageQuorumOfOne,        // core acknowledges a write after one replica's ack
  kMsgqNoDedup,               // the msgq receiver delivers a duplicate again
  kVclockSkipMerge,           // a receive increments the clock without merging the message's
  kDsmArrivalOrderTiebreak,   // concurrent DSM writes resolved by arrival order
  kRpcNoResponseCache,        // a retried RPC executes again at the server
  kAuthSkipVerify,            // an edge node accepts a token without checking its signature
  kStorageCatchUpEarly,       // a restarted replica says it caught up before any peer pass
  kStorageAcceptAnyWriter,    // a cloud replica accepts a write from a node that is not a core node
  kTwopcDecideBeforeAllVotes,      // a 2PC coordinator commits on the first YES
  kTwopcForgetDecisionOnRecovery,  // a recovering 2PC coordinator ignores its logged decisions
  kTwopcVoteBeforePreparedLog,     // a 2PC participant votes YES before PREPARED is durable
  kTwopcReleaseLocksAtPrepare,     // a 2PC participant releases its locks at PREPARE, not at the decision
  kStorageCheckpointTruncatesCopy,  // a cloud replica's checkpoint truncates its log through the copy
  kTwopcReadUncommitted,           // a 2PC participant answers reads with its prepared transactions applied
  kTwopcSkipInvalidation,          // a 2PC coordinator commits without invalidating the edges' caches
  kTwopcRerunClientTxn,            // a 2PC participant runs a client transaction id again under a new transaction
  kTwopcReportBeforeDurable,       // a 2PC coordinator reports COMMIT before its decision is durable
  kTwopcPrepareForgotten,          // a 2PC participant prepares a late PREPARE it forgot
  kTwopcNoPrepareResend,           // a 2PC coordinator aborts at its first prepare timeout, resending nothing
};

struct PlantInfo {
  Plant plant;
  std::string_view name;     // "storage.ack_before_sync"
  std::string_view verdict;  // the invariant that must find it
  std::string_view what;     // one line
};

// Every plant, in enum order (kNone excluded).
std::span<const PlantInfo> plants();
std::optional<Plant> plant_by_name(std::string_view name);
const PlantInfo& plant_info(Plant p);  // REQUIRES: p != kNone

namespace detail {
extern Plant g_active_plant;
}

// True when plant `p` is switched on for the running simulation.
inline bool planted(Plant p) { return detail::g_active_plant == p; }

// Switches `p` on for its lifetime (kNone: changes nothing); restores what
// was in force before. REQUIRES: p == kNone or no plant is on.
class PlantScope {
 public:
  explicit PlantScope(Plant p);
  ~PlantScope();
  PlantScope(const PlantScope&) = delete;
  PlantScope& operator=(const PlantScope&) = delete;

 private:
  Plant previous_;
};

}  // namespace ecsim::proto
