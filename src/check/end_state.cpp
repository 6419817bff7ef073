#include "ecsim/check/end_state.hpp"

#include "ecsim/sim/assert.hpp"
#include "ecsim/tiers/end_state.hpp"
#include "internal.hpp"

namespace ecsim::check {

namespace {
using internal::type_number;
}  // namespace

void EndState::on_record(const sim::Record& r) {
  namespace t = tiers;
  switch (type_number(r.type)) {
    case type_number(t::kRecordEndReplica): {
      // The tiers trace each replica once, its writers and versions right after it.
      ECSIM_ASSERT(replicas_.empty() || replicas_.back().node < r.node);
      const bool from_disk = r.code == t::kEndFromLog;
      replicas_.push_back(ReplicaVersions{r.node, from_disk, {}, r.time_ns, record_index()});
      writers_.push_back(ReplicaWriters{r.node, from_disk, r.time_ns, {}});
      break;
    }
    case type_number(t::kRecordEndWriter):
      ECSIM_ASSERT(!writers_.empty() && writers_.back().node == r.node);
      writers_.back().writers.push_back({r.peer, r.a, r.b, record_index()});
      break;
    case type_number(t::kRecordEndVersion):
      ECSIM_ASSERT(!replicas_.empty() && replicas_.back().node == r.node);
      replicas_.back().versions.emplace(r.a, proto::storage::Version{r.b, r.peer});
      break;
    case type_number(t::kRecordEndAcked):
      acked_[r.a] = AckedVersion{proto::storage::Version{r.b, r.peer}, r.time_ns, record_index()};
      break;
    case type_number(t::kRecordEndDsm):
      dsm_seen_ = true;
      if (r.code == t::kEndFromLog) {
        ++dsm_down_;
      } else {
        ECSIM_ASSERT(dsm_.empty() || dsm_.back().node < r.node);
        dsm_.push_back(ReplicaState{r.node, {}, r.time_ns, record_index(), {}});
      }
      break;
    case type_number(t::kRecordEndDsmKey): {
      ECSIM_ASSERT(!dsm_.empty() && dsm_.back().node == r.node);
      const uint64_t clock_hash = uint64_t{r.kind} << 32 | r.peer;
      dsm_.back().entries.emplace(r.a, ReplicaValue{r.b, clock_hash});
      dsm_.back().key_records.emplace(r.a, record_index());
      break;
    }
    default:
      break;
  }
}


std::span<const sim::RecordType> EndState::record_types() const {
  static constexpr sim::RecordType kTypes[] = {tiers::kRecordEndReplica, tiers::kRecordEndWriter, tiers::kRecordEndVersion,
                                                tiers::kRecordEndAcked, tiers::kRecordEndDsm, tiers::kRecordEndDsmKey};
  return kTypes;
}

}  // namespace ecsim::check
