#include <catch2/catch.hpp>

#include <set>

#include "ecsim/proto/auth.hpp"
#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/msgq.hpp"
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/trace.hpp"
#include "ecsim/tiers/actions.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/end_state.hpp"
#include "ecsim/tiers/world.hpp"

namespace test_record_types {

using ecsim::sim::RecordType;

TEST_CASE("record types: every protocol's numbers are distinct", "[trace]") {
  // A collision makes a checker read another protocol's records as its own.
  namespace p = ecsim::proto;
  const RecordType all[] = {
      RecordType::kSend, RecordType::kDeliver, RecordType::kDrop, RecordType::kDuplicate, RecordType::kTimer,
      RecordType::kCrash, RecordType::kRestart, RecordType::kFault, RecordType::kDiskWrite, RecordType::kDiskSync,
      RecordType::kDiskLoss, RecordType::kRecover, RecordType::kPingSent, RecordType::kPingDone, RecordType::kBench,
      RecordType::kLimit, RecordType::kLoad, RecordType::kLimitReached, p::vclock::kRecordClockSend, p::vclock::kRecordClockRecv,
      p::vclock::kRecordClockLocal, p::dsm::kRecordDsm, p::rpc::kRecordCall, p::rpc::kRecordDone,
      p::rpc::kRecordServe, p::rpc::kRecordConn, p::rpc::kRecordIgnored, p::msgq::kRecordSend,
      p::msgq::kRecordAcked, p::msgq::kRecordDeliver, p::msgq::kRecordIgnored, p::auth::kRecordAuthRefused,
      p::storage::kRecordWrite, p::storage::kRecordRefused, p::storage::kRecordAck, p::storage::kRecordWal,
      p::storage::kRecordCatchUp, p::storage::kRecordQuorum, p::storage::kRecordIgnored,
      p::storage::kRecordRecovered, ecsim::tiers::kRecordClientBadToken, p::rpc::kRecordAttempt,
      p::msgq::kRecordAccepted, ecsim::tiers::kRecordCoreSuspected, ecsim::tiers::kRecordEndReplica,
      ecsim::tiers::kRecordEndWriter, ecsim::tiers::kRecordEndVersion, ecsim::tiers::kRecordEndAcked,
      ecsim::tiers::kRecordEndDsm, ecsim::tiers::kRecordEndDsmKey, ecsim::tiers::kRecordClientStart,
      ecsim::tiers::kRecordClientEnd, ecsim::tiers::kRecordEdgeLookup, ecsim::tiers::kRecordStaleRead,
      ecsim::tiers::kRecordRehydration, p::storage::kRecordWriteStarted, ecsim::tiers::kRecordCloudOp,
      p::storage::kRecordCatchUpEntry, p::twopc::kRecordCoordinator, p::twopc::kRecordVote,
      p::twopc::kRecordParticipant, p::twopc::kRecordLock, p::twopc::kRecordQuery,
      p::twopc::kRecordIgnored, p::twopc::kRecordRefused, p::twopc::kRecordWal,
      p::twopc::kRecordOutcome, p::twopc::kRecordApplied, ecsim::tiers::kRecordBillingAccount,
      ecsim::tiers::kRecordBillingNumber, ecsim::tiers::kRecordBillingStart, ecsim::tiers::kRecordBillingEnd,
      ecsim::tiers::kRecordBillingRead, ecsim::tiers::kRecordBillingOp, ecsim::tiers::kRecordBillingEndNode,
      ecsim::tiers::kRecordBillingEndBalance, ecsim::tiers::kRecordBillingEndOwner,
      ecsim::tiers::kRecordBillingEndLog, ecsim::tiers::kRecordBillingCache, ecsim::tiers::kRecordBillingInval,
      ecsim::tiers::kRecordAction};
  std::set<uint16_t> seen;
  for (RecordType t : all) {
    INFO("record type " << static_cast<int>(t));
    CHECK(seen.insert(static_cast<uint16_t>(t)).second);
  }
}

}  // namespace test_record_types
