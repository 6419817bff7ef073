#include "ecsim/proto/plant.hpp"

#include <array>

#include "ecsim/sim/assert.hpp"

namespace ecsim::proto {

namespace detail {
Plant g_active_plant = Plant::kNone;
}  // namespace detail

namespace {
constexpr std::array<PlantInfo, 20> kPlants{{
    {Plant::kStorageAckBeforeSync, "storage.ack_before_sync", "durability",
     "a cloud replica acknowledges a write before its WAL entry is synced"},
    {Plant::kStorageQuorumOfOne, "storage.quorum_of_one", "acknowledged_writes",
     "core acknowledges a write once one replica (not 2 of 3) acknowledged it"},
    {Plant::kMsgqNoDedup, "msgq.no_dedup", "exactly_once",
     "the reliable-messaging receiver hands a resent or duplicated message to the DSM again"},
    {Plant::kVclockSkipMerge, "vclock.skip_merge", "causality",
     "a receive increments the node's vector clock without merging the message's clock"},
    {Plant::kDsmArrivalOrderTiebreak, "dsm.arrival_order_tiebreak", "convergence",
     "concurrent DSM writes are resolved by arrival order instead of the deterministic tie-break"},
    {Plant::kRpcNoResponseCache, "rpc.no_response_cache", "at_most_once",
     "the RPC server executes a retried request again instead of answering from its response cache"},
    {Plant::kAuthSkipVerify, "auth.skip_verify", "tokens",
     "an edge node accepts a token without verifying its HMAC signature"},
    {Plant::kStorageCatchUpEarly, "storage.catch_up_early", "catch_up",
     "a restarted cloud replica says it caught up once its own log is replayed, before any peer pass"},
    {Plant::kStorageAcceptAnyWriter, "storage.accept_any_writer", "edge_isolation",
     "a cloud replica accepts a write from any node, not only from core nodes"},
    {Plant::kTwopcDecideBeforeAllVotes, "twopc.decide_before_all_votes", "billing_atomicity",
     "a 2PC coordinator decides COMMIT on the first YES vote instead of waiting for every participant's"},
    {Plant::kTwopcForgetDecisionOnRecovery, "twopc.forget_decision_on_recovery", "billing_atomicity",
     "a restarted 2PC coordinator ignores the decisions in its log and presumes abort for their transactions"},
    {Plant::kTwopcVoteBeforePreparedLog, "twopc.vote_before_prepared_log", "billing_termination",
     "a 2PC participant votes YES as soon as PREPARED is appended, before it is durable"},
    {Plant::kTwopcReleaseLocksAtPrepare, "twopc.release_locks_at_prepare", "billing_conservation",
     "a 2PC participant releases its locks once it has logged PREPARED instead of at the decision"},
    {Plant::kStorageCheckpointTruncatesCopy, "storage.checkpoint_truncates_copy", "durability",
     "a cloud replica's WAL checkpoint truncates the log through the copy it wrote (to its end, not its start)"},
    {Plant::kTwopcReadUncommitted, "twopc.read_uncommitted", "billing_isolation",
     "a 2PC participant answers balance and number-owner reads with its prepared, undecided transactions applied"},
    {Plant::kTwopcSkipInvalidation, "twopc.skip_invalidation", "billing_cache_freshness",
     "a 2PC coordinator commits without sending the edge billing caches their invalidation"},
    {Plant::kTwopcRerunClientTxn, "twopc.rerun_client_txn", "billing_at_most_once",
     "a 2PC participant prepares a client transaction id it already ran, under a new transaction, instead of voting NO"},
    {Plant::kTwopcReportBeforeDurable, "twopc.report_before_durable", "billing_durability",
     "a 2PC coordinator tells the client COMMIT once the decision is appended, before it is durable"},
    {Plant::kTwopcPrepareForgotten, "twopc.prepare_forgotten", "billing_at_most_once",
     "a 2PC participant prepares a late copy of a PREPARE whose transaction it resolved and forgot"},
    {Plant::kTwopcNoPrepareResend, "twopc.no_prepare_resend", "billing.served_ratio_min",
     "a 2PC coordinator aborts a transaction at its first prepare timeout instead of resending PREPARE to the "
     "participants that have not voted"},
}};
}  // namespace

std::span<const PlantInfo> plants() { return kPlants; }

std::optional<Plant> plant_by_name(std::string_view name) {
  for (const PlantInfo& p : kPlants) {
    if (p.name == name) return p.plant;
  }
  return std::nullopt;
}

const PlantInfo& plant_info(Plant p) {
  ECSIM_ASSERT(p != Plant::kNone);
  const size_t i = static_cast<size_t>(p) - 1;
  ECSIM_ASSERT(i < kPlants.size() && kPlants[i].plant == p);
  return kPlants[i];
}

PlantScope::PlantScope(Plant p) : previous_(detail::g_active_plant) {
  ECSIM_ASSERT(p == Plant::kNone || previous_ == Plant::kNone);
  if (p != Plant::kNone) detail::g_active_plant = p;
}

PlantScope::~PlantScope() { detail::g_active_plant = previous_; }

}  // namespace ecsim::proto
