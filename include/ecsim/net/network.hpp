// The simulated network: one directed link per (src, dst) pair, each with its
// own LinkConfig (latency model, drops, duplicates, FIFO or reorder), node
// groups for partitions, and counters. Links behave like TCP connections:
// FIFO per connection by default (the envelope's `conn`; messages without
// one share a FIFO queue per pair), and a partition or a crash of either end
// drops what is in flight on the affected links and clears their FIFO
// state. Every send, arrival, drop and duplicate is a trace record. Settings
// can change at any time (the fault schedule).
//
// The counters reconcile at every moment (an always-on assertion): every
// message sent and every duplicate made is delivered (taken by the
// receiver's actor), dropped (anywhere, the receiver's full or crashed
// service queue included) or in flight (on the wire, or held in the
// receiver's service queue).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/net/conn_fifo.hpp"
#include "ecsim/net/envelope.hpp"
#include "ecsim/net/link_config.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/sim/slot_pool.hpp"

namespace ecsim::net {

struct NetworkStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;   // taken by the receiver's actor
  uint64_t duplicated = 0;
  uint64_t held = 0;        // arrived, waiting in the receiver's service queue now
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
  // Messages in flight on one directed link (what its send buffer holds,
  // in TCP's terms): a message sent while this many travel on its link is
  // dropped the same way (limit network.link_in_flight), so one link held
  // back for hours cannot take the whole network's kInFlightMax and make
  // every other link drop. An eighth of kInFlightMax; no shipped scenario
  // or golden run comes near it. A reset (crash, partition) empties the
  // count: what the link held waits to be dropped on arrival, still in the
  // network's table, so only a link reset again and again while held back
  // for hours can fill kInFlightMax.
  static constexpr uint32_t kLinkInFlightMax = 1u << 15;
  // Nine links held back together hold more than kInFlightMax, and then
  // every other link dropped (found by adversarial passes: a Byzantine
  // flood on the edge -> cloud links under a long delay, on 9 links and on
  // 33). So the last quarter of kInFlightMax is kept for the links with
  // little in flight: once the network holds kInFlightShared, a link
  // holding its equal share of that (kInFlightShared over the links with
  // messages in flight) or more is refused as if at its own maximum.
  static constexpr uint32_t kInFlightShared = kInFlightMax / 4 * 3;

  // `names` gives each node's stable name: node i draws its network
  // randomness from the stream "NAME/net".
  Network(sim::Simulator& sim, const std::vector<std::string>& names);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  void set_receiver(Receiver* receiver) { receiver_ = receiver; }
  uint32_t node_count() const { return node_count_; }

  // The config of links not set explicitly.
  void set_default_link(const LinkConfig& config) { default_link_ = config; }
  // Classes of nodes (the tiers) with a config per ordered pair of classes:
  // a link not set explicitly takes its classes' config, made when the link
  // is first used, so that a cluster of n nodes need not hold n^2 links.
  // `class_of` has one entry per node, each < k; `pair_configs` k*k configs,
  // [from class * k + to class]. REQUIRES: every latency valid.
  void set_link_classes(std::vector<uint8_t> class_of, std::vector<LinkConfig> pair_configs);
  // REQUIRES: config.latency.validate() is empty.
  void set_link(NodeId src, NodeId dst, const LinkConfig& config);
  const LinkConfig& link_config(NodeId src, NodeId dst) const;

  // The id the next send() will give its message (read-only: an observer
  // of sends, tiers/send_observer.hpp, names a message before it is sent).
  uint64_t next_message_id() const { return next_message_id_; }
  // Sends a message; returns its id. The payload is released through
  // Receiver::on_discard if it is never delivered.
  // `conn`: the connection it travels on (net/connection.hpp), 0 for none.
  uint64_t send(NodeId src, NodeId dst, uint32_t kind, uint32_t size_bytes, uint64_t payload,
                uint64_t conn = 0);

  // group_of[node]: nodes talk only within the same group. All zero = healed.
  void set_partition(const std::vector<uint32_t>& group_of);
  const std::vector<uint32_t>& partition() const { return group_; }
  bool connected(NodeId a, NodeId b) const { return group_[a] == group_[b]; }
  // Counts and traces a message the receiver refused as it arrived (its
  // queue was full) and releases its payload. REQUIRES: called from the
  // receiver's on_deliver for that message, which then returns kRefused.
  void refuse(const Envelope& env, sim::DropReason reason);
  // A held message (Arrival::kHeld) is taken by the receiver's actor now.
  void take_held(const Envelope& env);
  // A held message is lost (its node crashed while it waited): counted,
  // traced and released as a drop.
  void lose_held(const Envelope& env, sim::DropReason reason);
  // Drops the messages in flight to and from `node` (it crashed).
  void reset_node(NodeId node);

  const NetworkStats& stats() const { return stats_; }
  // Messages on the wire now.
  size_t on_wire() const { return pool_.size(); }
  // Messages on the wire or held in service queues now.
  uint64_t in_flight() const { return on_wire() + stats_.held; }
  // Checks sent + duplicated == delivered + dropped + in flight.
  void check_counters() const;

 private:
  struct Link {
    LinkConfig config;
    NodeId src;
    NodeId dst;
    // FIFO of the messages without a connection: no delivery before the
    // previous one's.
    int64_t last_deliver_ns = 0;
    LatencyModel::Prepared latency;  // config.latency.prepare(), kept with config
    uint32_t on_wire = 0;            // messages in flight on it (at most kLinkInFlightMax)
  };
  static void on_deliver_event(void* self, const sim::Event& e);
  uint32_t link_index(NodeId src, NodeId dst);
  void transmit(Envelope env, Link& link, sim::Rng& rng);
  void drop(const Envelope& env, sim::DropReason reason);
  // A crash or a partition cut the link: what is in flight on it will be
  // dropped on arrival, and nothing sent later waits behind it.
  void reset_link(uint32_t index);

  sim::Simulator& sim_;
  sim::HandlerId deliver_handler_;
  uint32_t node_count_;
  Receiver* receiver_ = nullptr;
  LinkConfig default_link_;
  std::vector<uint8_t> class_of_;         // per node; empty: no classes
  std::vector<LinkConfig> class_links_;   // per ordered pair of classes
  uint32_t classes_ = 0;
  const LinkConfig& implicit_link(NodeId src, NodeId dst) const {
    return class_of_.empty() ? default_link_ : class_links_[class_of_[src] * classes_ + class_of_[dst]];
  }
  struct PairSlot {
    uint64_t key = 0;             // pair_key(src, dst)
    uint32_t index_plus_one = 0;  // into links_; 0 = empty slot
  };
  static uint64_t pair_key(NodeId src, NodeId dst);
  size_t pair_slot(uint64_t key) const;  // the key's slot, or the empty slot where it would go
  std::vector<PairSlot> pair_table_;     // size a power of two, at most half full
  std::vector<Link> links_;
  std::vector<uint32_t> link_epochs_;  // by link index; stale epochs are dropped on arrival
  ConnFifo conn_fifo_;
  // links_, pair_table_ and link_epochs_: --memory-max (net.links).
  sim::Accounted links_bytes_{sim::Resource::kLinks};
  // The message on_deliver is being called for (refuse() is only valid then).
  uint64_t arriving_id_ = 0;
  bool arriving_refused_ = false;
  std::vector<sim::Rng> rng_;      // per source node
  std::vector<uint32_t> group_;    // partition group per node
  // Messages in flight; a delivery event carries its message's id.
  sim::SlotPool<Envelope> pool_{kInFlightMax, sim::Resource::kNetworkInFlight};
  uint32_t links_on_wire_ = 0;  // links with messages in flight (on_wire > 0)
  uint64_t next_message_id_ = 1;
  NetworkStats stats_;
};

}  // namespace ecsim::net
