// Acknowledged-writes checker (issue 4, item 2): at the end of a run, every
// write acknowledged to a client must be held, at its acknowledged version
// or a newer one, by at least a quorum (2 of 3) of the cloud replicas. A
// replica's state is what it holds in memory when it is up, or what its
// write-ahead log would replay to when it is down. Both come from the end
// state the tiers trace (tiers/end_state.hpp; check/end_state.hpp follows
// it): the checker sees only versions and never reaches into nodes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ecsim/proto/storage.hpp"

namespace ecsim::check {

// One replica's versions by key.
struct ReplicaVersions {
  uint32_t node = 0;
  bool from_disk = false;  // recovered from its log (the node is down)
  std::map<uint64_t, proto::storage::Version> versions;
  int64_t time_ns = 0;  // where the replica's end state is in the trace
  uint64_t record = 0;
};

// The newest version of a key acknowledged to a client, and the trace
// record that says so (a violation names its time and index).
struct AckedVersion {
  proto::storage::Version version;
  int64_t time_ns = 0;
  uint64_t record = 0;
};

struct AckedWriteViolation {
  uint64_t key = 0;
  proto::storage::Version acked;
  std::string what;  // the time and record of the ack; names the key, the version and each replica's version
};

struct AckedWritesReport {
  static constexpr size_t kViolationsMax = 100;
  uint64_t keys_checked = 0;
  uint64_t violation_count = 0;
  std::vector<AckedWriteViolation> violations;  // the first kViolationsMax, by key
  bool ok() const { return violation_count == 0; }
};

// `acked`: the newest acknowledged version per key; `replicas`: every cloud
// node (a positive multiple of kReplicas; in node order, each consecutive
// three a group, proto::storage::key_group). `names` labels nodes. A key
// passes when at least `need` replicas of its group hold a version >= its ack.
AckedWritesReport check_acknowledged_writes(const std::map<uint64_t, AckedVersion>& acked,
                                            const std::vector<ReplicaVersions>& replicas,
                                            const std::vector<std::string>& names,
                                            size_t need = proto::storage::kQuorum);

}  // namespace ecsim::check
