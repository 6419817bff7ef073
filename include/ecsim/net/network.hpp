// The simulated network: one directed link per (src, dst) pair, each with its
// own LinkConfig (latency model, drops, duplicates, FIFO or reorder), node
// groups for partitions, and counters. Links behave like TCP connections:
// FIFO by default, and a partition or a crash of either end drops what is in
// flight on the affected links. Every send, delivery, drop and duplicate is a
// trace record. Settings can change at any time (the fault schedule).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/net/envelope.hpp"
#include "ecsim/net/link_config.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/simulator.hpp"

namespace ecsim::net {

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t duplicated = 0;
  uint64_t bytes_sent = 0;
  std::array<uint64_t, 8> dropped_by_reason{};  // indexed by sim::DropReason
  uint64_t dropped() const {
    uint64_t n = 0;
    for (uint64_t d : dropped_by_reason) n += d;
    return n;
  }
};

class Network {
 public:
  static constexpr uint32_t kNodesMax = 2048;
  // Messages in flight on all links together (a duplicate counts as one
  // more): a message sent while this many travel is dropped (reason
  // kInFlightLimit), counted and traced (sim/limits.hpp), so no setting can
  // make the table grow without bound.
  static constexpr uint32_t kInFlightMax = 1u << 18;

  // `names` gives each node's stable name: node i draws its network
  // randomness from the stream "NAME/net".
  Network(sim::Simulator& sim, const std::vector<std::string>& names);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  void set_receiver(Receiver* receiver) { receiver_ = receiver; }
  uint32_t node_count() const { return node_count_; }

  // The config of links not set explicitly.
  void set_default_link(const LinkConfig& config) { default_link_ = config; }
  // REQUIRES: config.latency.validate() is empty.
  void set_link(NodeId src, NodeId dst, const LinkConfig& config);
  const LinkConfig& link_config(NodeId src, NodeId dst) const;

  // Sends a message; returns its id. The payload is released through
  // Receiver::on_discard if it is never delivered.
  uint64_t send(NodeId src, NodeId dst, uint32_t kind, uint32_t size_bytes, uint64_t payload);

  // group_of[node]: nodes talk only within the same group. All zero = healed.
  void set_partition(const std::vector<uint32_t>& group_of);
  const std::vector<uint32_t>& partition() const { return group_; }
  bool connected(NodeId a, NodeId b) const { return group_[a] == group_[b]; }
  // Counts and traces a message the receiver refused (its queue was full)
  // and releases its payload.
  void refuse(const Envelope& env, sim::DropReason reason) { drop(env, reason); }
  // Drops the messages in flight to and from `node` (it crashed).
  void reset_node(NodeId node);

  const NetworkStats& stats() const { return stats_; }
  size_t in_flight() const { return pool_.size() - free_.size(); }

 private:
  struct Link {
    LinkConfig config;
    NodeId src;
    NodeId dst;
    uint32_t epoch = 0;
    int64_t last_deliver_ns = 0;  // FIFO: no delivery before the previous one
  };
  static void on_deliver_event(void* self, const sim::Event& e);
  uint32_t link_index(NodeId src, NodeId dst);
  void transmit(Envelope env, Link& link, sim::Rng& rng);
  void drop(const Envelope& env, sim::DropReason reason);

  sim::Simulator& sim_;
  sim::HandlerId deliver_handler_;
  uint32_t node_count_;
  Receiver* receiver_ = nullptr;
  LinkConfig default_link_;
  std::vector<uint32_t> link_of_pair_;  // node_count^2, 0 = not created, else index + 1
  std::vector<Link> links_;
  std::vector<sim::Rng> rng_;      // per source node
  std::vector<uint32_t> group_;    // partition group per node
  std::vector<Envelope> pool_;     // messages in flight, by slot
  std::vector<uint32_t> free_;     // free slots (LIFO)
  sim::Accounted pool_bytes_{sim::Resource::kNetworkInFlight};
  uint64_t next_message_id_ = 1;
  NetworkStats stats_;
};

}  // namespace ecsim::net
