// The end state of a three-tier run, traced. Verdicts that compare what the
// nodes hold at the end (acknowledged_writes, edge_isolation, convergence)
// read it from these records, never from the actors (DESIGN: check/ reads
// trace records only), so a recorded trace file carries everything they
// judge. The tiers emit them once, when the run ends, at the end time, in a
// fixed order: cloud replicas by node id (each followed by its writers and
// then its acknowledged keys, ascending), the acknowledged writes by key,
// then the DSM replicas by node id (each followed by its keys, ascending).
//
// The record volume stays small: one summary record per replica, one per
// (replica, writer), and per-key records only for what a verdict the
// scenario expects compares key by key (the acknowledged keys; the DSM keys
// when `convergence` is expected).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/msgq.hpp"
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::tiers {

// Record numbers 60-69 (sim/trace.hpp). `code` is kEndFromLog on the records
// of a cloud replica that is down at the end: its state is what its
// write-ahead log replays to (the newest version per key of its puts); on a
// DSM record, that the node is down (its memory is gone: not compared).
inline constexpr uint16_t kEndUp = 0;
inline constexpr uint16_t kEndFromLog = 1;
// kRecordEndReplica: node = cloud replica, code = kEndUp / kEndFromLog,
// a = keys held, b = digest of its (key, version counter, writer) ascending.
inline constexpr auto kRecordEndReplica = static_cast<sim::RecordType>(60);
// kRecordEndWriter: node = cloud replica, peer = writer, code as above,
// a = versions held whose writer it is, b = the smallest such key.
inline constexpr auto kRecordEndWriter = static_cast<sim::RecordType>(61);
// kRecordEndVersion: node = cloud replica, peer = writer, a = key, b =
// version counter, for each acknowledged key the replica holds (only when
// `acknowledged_writes` is traced); a key it lacks has no record.
inline constexpr auto kRecordEndVersion = static_cast<sim::RecordType>(62);
// kRecordEndAcked: node = peer = writer, a = key, b = version counter: the
// newest version of `key` acknowledged to a client during the run.
inline constexpr auto kRecordEndAcked = static_cast<sim::RecordType>(63);
// kRecordEndDsm: node, code = kEndUp / kEndFromLog (down), a = DSM keys
// held, b = digest of its (key, value, clock hash) ascending.
inline constexpr auto kRecordEndDsm = static_cast<sim::RecordType>(64);
// kRecordEndDsmKey: node, a = key, b = value, kind = the clock hash's high
// 32 bits, peer = its low 32 bits (proto::vclock::hash).
inline constexpr auto kRecordEndDsmKey = static_cast<sim::RecordType>(65);

// The versions a write-ahead log replays to: the newest version per key of
// its puts (entries that do not decode are skipped, marks carry none). What
// a cloud replica that is down at the end is traced as holding.
std::map<uint64_t, proto::storage::Version> log_versions(const std::vector<std::string>& log);

// What to trace beyond the per-replica summaries.
struct EndStateFacets {
  bool acked_writes = false;  // the acknowledged keys and each replica's version of them
  bool dsm = false;           // every node's DSM replica, key by key
};

// Traces the end state at sim.now(). Call once, after World::finish.
// REQUIRES: the cluster runs the three tiers of `world`.
void trace_end_state(const World& world, const node::Cluster& cluster, sim::Simulator& sim, EndStateFacets facets);

// The protocol counters over the whole run, for the summary: the World holds
// what the crashed incarnations counted, the live nodes the rest.
struct ProtocolTotals {
  proto::rpc::ClientCounters rpc_client;
  proto::rpc::ServerCounters rpc_server;
  proto::msgq::SenderCounters msgq_sender;
  proto::msgq::ReceiverCounters msgq_receiver;
  uint64_t rpc_open_connections = 0;  // held open by the live clients at the end
  uint64_t msgq_pending = 0;          // unacknowledged at the live senders at the end
  uint64_t replica_not_core = 0;      // writes the replicas refused as not from a core node
};
ProtocolTotals protocol_totals(const World& world, const node::Cluster& cluster);

// The msgq messages the live senders still hold at the end for receivers that
// are up then (those to a node down at the end can change nothing the DSM's
// convergence judges: down replicas are skipped).
uint64_t msgq_pending_to_up(const World& world, const node::Cluster& cluster);

}  // namespace ecsim::tiers
