// Nodes as actors. The Cluster owns every node: its name, whether it is up,
// its Disk (which survives crashes), its timers and its Actor (volatile
// state, gone on a crash). It is the network's Receiver and hands each actor
// a Context: the sans-IO surface (now, send, timers, disk, rng, trace).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ecsim/net/latency.hpp"
#include "ecsim/net/network.hpp"
#include "ecsim/node/disk.hpp"
#include "ecsim/node/load_model.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/simulator.hpp"

namespace ecsim::node {

using net::NodeId;
using TimerId = uint64_t;
// What set_timer returns when the node's timer table is full (see
// Cluster::kTimersPerNodeMax): a timer that never fires, and that
// cancel_timer refuses (returns false). No armed timer ever has this id.
inline constexpr TimerId kTimerRefused = ~TimerId{0};
class Cluster;

class Context {
 public:
  Context(Cluster& cluster, NodeId self) : cluster_(&cluster), self_(self) {}
  sim::Time now() const;
  NodeId self() const { return self_; }
  const std::string& name() const;
  uint32_t node_count() const;
  // How many times this node was restarted (0 at boot).
  uint32_t incarnation() const;
  // True when the node stopped at a protocol point in the handler now
  // running (Cluster::halt): it must cause no further effect.
  bool halted() const;
  // The current settings of the link from this node to `dst`.
  const net::LinkConfig& link(NodeId dst) const;
  // `conn`: the connection the message travels on (net/connection.hpp), 0
  // for none (the pair's shared FIFO queue).
  uint64_t send(NodeId dst, uint32_t kind, uint32_t size_bytes, uint64_t payload, uint64_t conn = 0);
  // The id the next send() of any node will return.
  uint64_t next_message_id() const;
  // Fires on_timer(tag) after `after` (>= 0) unless cancelled or the node crashes.
  // When the node already has its maximum of armed timers, the timer is
  // refused: counted and traced as a reach of `node.timers`, it never fires,
  // and the id returned is kTimerRefused. Callers keep the id as for any
  // timer (cancelling it is a no-op): the degradation is a timeout that never
  // comes, which the run's summary names, never an abort or an overwrite.
  TimerId set_timer(sim::Duration after, uint64_t tag);
  // Returns false if the timer already fired or was cancelled.
  bool cancel_timer(TimerId id);
  Disk& disk();
  // Starts a sync; on_sync(tag) fires when every entry appended so far is durable.
  void sync(uint64_t tag);
  // The node's second disk, for the transaction (2PC) log, kept apart from
  // the first so that neither log's replay meets the other's records. Same
  // rules: it survives crashes, a sync makes it durable, a crash loses a
  // seeded-random suffix of its un-synced entries. Its sync and loss
  // records carry code 1.
  Disk& log_disk();
  // Starts a sync of the log disk; on_sync(tag) fires when it is done.
  void sync_log(uint64_t tag);
  sim::Rng& rng();
  sim::Trace& trace();
  // The node's load model, or nullptr when it has none. Work that does not
  // arrive as a message (a client's request) is admitted through it.
  LoadModel* load_model();

 private:
  Cluster* cluster_;
  NodeId self_;
};

class Actor {
 public:
  virtual ~Actor() = default;
  // At boot and after every restart; the Disk holds what survived.
  virtual void on_start(Context& ctx) = 0;
  virtual void on_message(Context& ctx, const net::Envelope& m) = 0;
  virtual void on_timer(Context& ctx, uint64_t tag) = 0;
  virtual void on_sync(Context& ctx, uint64_t tag) = 0;
  // The network discarded a message this node's layer owns the payload of.
  virtual void on_discard(const net::Envelope&) {}
  // The connections between this node and `peer` were reset (DESIGN: a
  // crash or a partition resets the pooled connections on the affected
  // links): `peer` crashed (`crashed`; until it restarts, connecting to it
  // is refused at once, as a host answers for a dead process), or a
  // partition cut the link.
  virtual void on_connections_reset(Context&, NodeId /*peer*/, bool /*crashed*/) {}
  // `peer` restarted after a crash: it accepts connections again.
  virtual void on_peer_restarted(Context&, NodeId /*peer*/) {}
  // Connections open at this node now (its own and its peers' to it), for
  // the load samples.
  virtual uint32_t open_connections() const { return 0; }
};

// Owns the payloads behind envelope handles when a layer pools them: told
// when the network discards a message (release) or copies one (retain),
// whether or not the sender is still up.
class PayloadOwner {
 public:
  virtual ~PayloadOwner() = default;
  virtual void on_discard(const net::Envelope& e) = 0;
  virtual void on_copy(const net::Envelope& e) = 0;
};

// Builds a node's actor at boot and at each restart (never on the hot path).
using ActorFactory = std::function<std::unique_ptr<Actor>(NodeId node)>;

struct ClusterStats {
  uint64_t crashes = 0;
  uint64_t restarts = 0;
  uint64_t timers_fired = 0;
  uint64_t timers_refused = 0;  // set_timer at a node's maximum (node.timers)
  uint64_t syncs = 0;
  uint64_t disk_entries_lost = 0;
  uint64_t overload_refused = 0;  // messages refused by a full service queue
};

class Cluster final : public net::Receiver {
 public:
  // Armed timers per node (sim::Resource::kTimers). Never reached in the
  // scenarios: each protocol's timers are bounded by its own tables.
  static constexpr uint32_t kTimersPerNodeMax = 1u << 20;

  Cluster(sim::Simulator& sim, net::Network& network, std::vector<std::string> names,
          ActorFactory factory);
  ~Cluster() override;

  void set_disk_sync_latency(const net::LatencyModel& model) { sync_latency_ = model; }
  void set_payload_owner(PayloadOwner* owner) { payload_owner_ = owner; }
  // Lowers the armed timers a node may hold (tests of the limit).
  // REQUIRES: 1 <= timers_max <= kTimersPerNodeMax.
  void set_timers_per_node_max(uint32_t timers_max);
  // Boots every node (on_start). Call once, before running.
  void boot();
  // REQUIRES: the node is up.
  void crash(NodeId node);
  // REQUIRES: the node is down.
  void restart(NodeId node);
  // Stops the node at a protocol point (proto/points.hpp), from inside one of
  // its handlers: the handler returns at once and sends nothing more (sends
  // after this are assertion failures), and the node crashes as soon as the
  // handler returns, before any other event. REQUIRES: the node is up.
  void halt(NodeId node);
  bool halted(NodeId node) const { return nodes_[node].halted; }
  // Harnesses that call into an actor from outside the cluster's own events
  // (the clients) call this afterwards: a node halted in that call crashes now.
  void settle(NodeId node);
  // Sets the network's partition (net::Network::set_partition) and tells the
  // up nodes on both ends of every newly cut link that its connections reset.
  void set_partition(const std::vector<uint32_t>& group_of);

  // Serves the node's messages through a load model: a message whose kind
  // has a service time is handed to the actor when its service ends, or
  // refused when the queue is full. Kinds without one are handed at once.
  void set_load_profile(NodeId node, const LoadProfile& profile);
  // Records every load-modelled node's LoadSample in the trace every
  // `interval` (a `load` record), from now on.
  void start_load_sampling(sim::Duration interval);
  // The last sample taken (zeros before the first).
  const LoadSample& last_load(NodeId node) const { return nodes_[node].last_load; }
  const LoadModel* load_model(NodeId node) const { return nodes_[node].load.get(); }

  bool is_up(NodeId node) const override { return nodes_[node].up; }
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }
  const std::string& name(NodeId node) const { return nodes_[node].name; }
  Actor* actor(NodeId node) { return nodes_[node].actor.get(); }
  const Actor* actor(NodeId node) const { return nodes_[node].actor.get(); }
  // The node's Context, for harnesses that call into its actor directly.
  Context& context(NodeId node) { return *nodes_[node].context; }
  const Disk& disk(NodeId node) const { return nodes_[node].disk; }
  const Disk& log_disk(NodeId node) const { return nodes_[node].log_disk; }
  uint32_t incarnation(NodeId node) const { return nodes_[node].incarnation; }
  const ClusterStats& stats() const { return stats_; }
  // Messages waiting or in service in the nodes' service queues now (a
  // crashed node's included, until their service would have ended).
  uint64_t held_messages() const { return in_service_.size(); }
  sim::Simulator& simulator() { return sim_; }
  net::Network& network() { return network_; }

  // net::Receiver
  net::Arrival on_deliver(const net::Envelope& e) override;
  void on_discard(const net::Envelope& e) override;
  void on_copy(const net::Envelope& e) override {
    if (payload_owner_ != nullptr) payload_owner_->on_copy(e);
  }

 private:
  friend class Context;
  struct TimerSlot {
    // Never 0 (bump skips it), so no timer id is 0: the protocols keep 0
    // for "no timer" (proto/rpc.hpp), and slot 0's first id was 0.
    uint32_t generation = 1;
    void bump() {
      if (++generation == 0) generation = 1;
    }
    bool armed = false;
    uint64_t tag = 0;
  };
  struct Node {
    std::string name;
    bool up = true;
    bool halted = false;  // stopped at a protocol point; crashes when its handler returns
    uint32_t incarnation = 0;
    Disk disk;
    Disk log_disk;  // the transaction log (Context::log_disk)
    std::unique_ptr<Actor> actor;
    std::unique_ptr<Context> context;
    std::vector<TimerSlot> timers;
    std::vector<uint32_t> free_timers;
    sim::Rng rng;       // "NAME/actor": the actor's draws
    sim::Rng disk_rng;  // "NAME/disk": sync latencies and crash losses
    std::unique_ptr<LoadModel> load;
    LoadSample last_load;
  };
  struct InService {
    net::Envelope envelope;
    uint32_t incarnation;
  };
  static void on_timer_event(void* self, const sim::Event& e);
  static void on_sync_event(void* self, const sim::Event& e);
  static void on_service_done(void* self, const sim::Event& e);
  static void on_sample_event(void* self, const sim::Event& e);
  TimerId set_timer(NodeId node, sim::Duration after, uint64_t tag);
  bool cancel_timer(NodeId node, TimerId id);
  void start_sync(NodeId node, uint64_t tag, bool log_disk);

  sim::Simulator& sim_;
  net::Network& network_;
  ActorFactory factory_;
  std::vector<Node> nodes_;
  // Timer slots of every node (they are reused, never freed before the run
  // ends), accounted for --memory-max.
  uint64_t timer_slots_ = 0;
  uint32_t timers_per_node_max_ = kTimersPerNodeMax;
  sim::Accounted timer_bytes_{sim::Resource::kTimers};
  sim::HandlerId timer_handler_;
  sim::HandlerId sync_handler_;
  sim::HandlerId service_handler_;
  sim::HandlerId sample_handler_;
  sim::Duration sample_interval_{0};
  // Messages waiting for or in service at a loaded node; a service-done event
  // carries its message's id. Bounded like the network's in-flight pool.
  static constexpr uint32_t kInServiceMax = net::Network::kInFlightMax;
  sim::SlotPool<InService> in_service_{kInServiceMax};
  net::LatencyModel sync_latency_ = net::LatencyModel::uniform(sim::microseconds(500),
                                                              sim::microseconds(1500));
  struct PendingSync {
    uint64_t tag;
    uint64_t length;  // entries the sync covers
    uint32_t incarnation;
    bool log_disk;
  };
  std::vector<PendingSync> syncs_;  // by slot
  std::vector<uint32_t> free_syncs_;
  ClusterStats stats_;
  PayloadOwner* payload_owner_ = nullptr;
};

}  // namespace ecsim::node
