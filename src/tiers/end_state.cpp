#include "ecsim/tiers/end_state.hpp"

#include <map>
#include <variant>

#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/tiers/tier_node.hpp"

#include "cloud_node.hpp"
#include "core_node.hpp"
#include "edge_node.hpp"

namespace ecsim::tiers {

namespace {

using proto::storage::Version;
using sim::Record;

// An order-dependent digest of 64-bit words (splitmix64's finaliser on a
// running sum): equal sequences give equal digests on every platform.
class Digest {
 public:
  void add(uint64_t word) {
    uint64_t z = (state_ += word + 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    state_ = z ^ (z >> 31);
  }
  uint64_t value() const { return state_; }

 private:
  uint64_t state_ = 0;
};

// A cloud replica's versions by key: its memory when it is up; when it is
// down, what its log replays to.
std::map<uint64_t, Version> replica_versions(const node::Cluster& cluster, net::NodeId n) {
  std::map<uint64_t, proto::storage::Version> out;
  if (const CloudNode* node = cloud_node(cluster, n)) {
    ECSIM_ASSERT(node->replica() != nullptr);  // every cloud node runs a storage replica
    node->replica()->entries().for_each(
        [&out](uint64_t key, const proto::storage::Stored& st) { out.emplace(key, st.version); });
    return out;
  }
  const node::Disk& d = cluster.disk(n);
  std::vector<std::string> log;
  log.reserve(d.retained());
  for (size_t i = d.first(); i < d.length(); ++i) log.push_back(d.entry(i));
  return log_versions(log);
}

void trace_replica(const World& world, const node::Cluster& cluster, sim::Simulator& sim, net::NodeId n,
                   bool acked_writes) {
  const int64_t now = sim.now().ns;
  const uint16_t code = cluster.is_up(n) ? kEndUp : kEndFromLog;
  const std::map<uint64_t, Version> versions = replica_versions(cluster, n);
  Digest digest;
  std::map<uint32_t, std::pair<uint64_t, uint64_t>> writers;  // writer -> (versions, smallest key)
  for (const auto& [key, v] : versions) {
    digest.add(key);
    digest.add(v.counter);
    digest.add(v.writer);
    auto [it, inserted] = writers.emplace(v.writer, std::pair{uint64_t{0}, key});
    ++it->second.first;
  }
  sim.trace().record(Record{now, kRecordEndReplica, code, n, 0, 0, versions.size(), digest.value()});
  for (const auto& [writer, w] : writers) {
    sim.trace().record(Record{now, kRecordEndWriter, code, n, writer, 0, w.first, w.second});
  }
  if (!acked_writes) return;
  // The replica's keys that were acknowledged, ascending: walked over the
  // replica's keys (its group's share), not over every key of the cluster,
  // which made the summary cost replicas x keys on a sharded cloud.
  const auto& acked = world.acked_writes();
  for (const auto& [key, v] : versions) {
    if (acked.contains(key))
      sim.trace().record(Record{now, kRecordEndVersion, code, n, v.writer, 0, key, v.counter});
  }
}

void trace_dsm(const node::Cluster& cluster, sim::Simulator& sim, net::NodeId n, bool keys) {
  const int64_t now = sim.now().ns;
  const TierNode* node = tier_node(cluster, n);
  if (node == nullptr) {
    sim.trace().record(Record{now, kRecordEndDsm, kEndFromLog, n, 0, 0, 0, 0});
    return;
  }
  const auto& entries = node->dsm().entries();
  Digest digest;
  entries.for_each([&digest](uint64_t key, const proto::dsm::Stored& e) {
    digest.add(key);
    digest.add(e.value);
    digest.add(proto::vclock::hash(e.clock));
  });
  sim.trace().record(Record{now, kRecordEndDsm, kEndUp, n, 0, 0, entries.size(), digest.value()});
  if (!keys) return;
  entries.for_each([&](uint64_t key, const proto::dsm::Stored& e) {
    const uint64_t clock = proto::vclock::hash(e.clock);
    sim.trace().record(Record{now, kRecordEndDsmKey, 0, n, static_cast<uint32_t>(clock),
                              static_cast<uint32_t>(clock >> 32), key, e.value});
  });
}

}  // namespace

std::map<uint64_t, proto::storage::Version> log_versions(const std::vector<std::string>& log) {
  std::map<uint64_t, proto::storage::Version> out;
  for (const std::string& bytes : log) {
    const auto rec = proto::storage::decode(bytes);
    const auto* put = rec ? std::get_if<proto::storage::WalPut>(&*rec) : nullptr;
    if (put == nullptr) continue;
    auto [it, inserted] = out.emplace(put->key, put->version);
    if (!inserted && it->second < put->version) it->second = put->version;
  }
  return out;
}

void trace_end_state(const World& world, const node::Cluster& cluster, sim::Simulator& sim, EndStateFacets facets) {
  const std::vector<net::NodeId>& clouds = world.nodes(Role::kCloud);
  ECSIM_ASSERT(!clouds.empty() && clouds.size() % proto::storage::kReplicas == 0);
  for (net::NodeId n : clouds) trace_replica(world, cluster, sim, n, facets.acked_writes);
  if (facets.acked_writes) {
    for (const auto& [key, v] : world.acked_writes()) {
      sim.trace().record(Record{sim.now().ns, kRecordEndAcked, 0, v.writer, v.writer, 0, key, v.counter});
    }
  }
  if (!facets.dsm) return;
  // Every node holds a DSM replica; node ids are dense from 0.
  net::NodeId nodes = 0;
  for (Role r : {Role::kEdge, Role::kCore, Role::kCloud}) nodes += static_cast<net::NodeId>(world.nodes(r).size());
  for (net::NodeId n = 0; n < nodes; ++n) trace_dsm(cluster, sim, n, true);
}

ProtocolTotals protocol_totals(const World& world, const node::Cluster& cluster) {
  ProtocolTotals t;
  t.rpc_client = world.rpc_client_totals();
  t.rpc_server = world.rpc_server_totals();
  t.msgq_sender = world.msgq_sender_totals();
  t.msgq_receiver = world.msgq_receiver_totals();
  t.replica_not_core = world.replica_refusal_totals()[static_cast<size_t>(proto::storage::Refusal::kNotCore)];
  net::NodeId nodes = 0;
  for (Role r : {Role::kEdge, Role::kCore, Role::kCloud}) nodes += static_cast<net::NodeId>(world.nodes(r).size());
  for (net::NodeId n = 0; n < nodes; ++n) {
    const TierNode* node = tier_node(cluster, n);
    if (node == nullptr) continue;
    // The RPC client is the edge's, the server the core's, the replica the cloud's.
    const EdgeNode* edge = node->role() == Role::kEdge ? edge_node(cluster, n) : nullptr;
    if (const proto::rpc::Client* client = edge != nullptr ? edge->rpc_client() : nullptr) {
      t.rpc_client += client->counters();
      t.rpc_open_connections += client->open_connections();
    }
    const CoreNode* core = node->role() == Role::kCore ? core_node(cluster, n) : nullptr;
    if (const proto::rpc::Server* server = core != nullptr ? core->rpc_server() : nullptr) {
      t.rpc_server += server->counters();
    }
    if (const proto::msgq::Sender* sender = node->msgq_sender()) {
      t.msgq_sender += sender->counters();
      t.msgq_pending += sender->pending();
    }
    if (const proto::msgq::Receiver* receiver = node->msgq_receiver()) t.msgq_receiver += receiver->counters();
    const CloudNode* cloud = node->role() == Role::kCloud ? cloud_node(cluster, n) : nullptr;
    if (const proto::storage::Replica* replica = cloud != nullptr ? cloud->replica() : nullptr) {
      t.replica_not_core += replica->refused(proto::storage::Refusal::kNotCore);
    }
  }
  return t;
}

uint64_t msgq_pending_to_up(const World& world, const node::Cluster& cluster) {
  uint64_t pending = 0;
  net::NodeId nodes = 0;
  for (Role r : {Role::kEdge, Role::kCore, Role::kCloud}) nodes += static_cast<net::NodeId>(world.nodes(r).size());
  for (net::NodeId n = 0; n < nodes; ++n) {
    const TierNode* node = tier_node(cluster, n);
    const proto::msgq::Sender* sender = node != nullptr ? node->msgq_sender() : nullptr;
    if (sender == nullptr) continue;
    for (const auto& [dst, count] : sender->pending_by_receiver()) {
      if (cluster.is_up(dst)) pending += count;
    }
  }
  return pending;
}

}  // namespace ecsim::tiers
