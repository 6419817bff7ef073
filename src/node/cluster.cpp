#include "ecsim/node/cluster.hpp"

namespace ecsim::node {

using sim::Record;
using sim::RecordType;

sim::Time Context::now() const { return cluster_->sim_.now(); }
const std::string& Context::name() const { return cluster_->nodes_[self_].name; }
uint32_t Context::node_count() const { return cluster_->size(); }
uint32_t Context::incarnation() const { return cluster_->nodes_[self_].incarnation; }
bool Context::halted() const { return cluster_->nodes_[self_].halted; }
const net::LinkConfig& Context::link(NodeId dst) const { return cluster_->network_.link_config(self_, dst); }
uint64_t Context::send(NodeId dst, uint32_t kind, uint32_t size_bytes, uint64_t payload, uint64_t conn) {
  ECSIM_ASSERT(cluster_->nodes_[self_].up);
  ECSIM_ASSERT(!cluster_->nodes_[self_].halted);  // nothing after a protocol point
  return cluster_->network_.send(self_, dst, kind, size_bytes, payload, conn);
}
uint64_t Context::next_message_id() const { return cluster_->network_.next_message_id(); }
TimerId Context::set_timer(sim::Duration after, uint64_t tag) {
  return cluster_->set_timer(self_, after, tag);
}
bool Context::cancel_timer(TimerId id) { return cluster_->cancel_timer(self_, id); }
Disk& Context::disk() { return cluster_->nodes_[self_].disk; }
void Context::sync(uint64_t tag) { cluster_->start_sync(self_, tag, false); }
Disk& Context::log_disk() { return cluster_->nodes_[self_].log_disk; }
void Context::sync_log(uint64_t tag) { cluster_->start_sync(self_, tag, true); }
sim::Rng& Context::rng() { return cluster_->nodes_[self_].rng; }
sim::Trace& Context::trace() { return cluster_->sim_.trace(); }
LoadModel* Context::load_model() { return cluster_->nodes_[self_].load.get(); }

Cluster::Cluster(sim::Simulator& sim, net::Network& network, std::vector<std::string> names,
                 ActorFactory factory)
    : sim_(sim), network_(network), factory_(std::move(factory)) {
  ECSIM_ASSERT(names.size() == network.node_count());
  nodes_.resize(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    Node& n = nodes_[i];
    n.name = std::move(names[i]);
    n.rng = sim.rng(n.name + "/actor");
    n.disk_rng = sim.rng(n.name + "/disk");
    n.context = std::make_unique<Context>(*this, static_cast<NodeId>(i));
  }
  timer_handler_ = sim_.add_handler(&Cluster::on_timer_event, this);
  sync_handler_ = sim_.add_handler(&Cluster::on_sync_event, this);
  service_handler_ = sim_.add_handler(&Cluster::on_service_done, this);
  sample_handler_ = sim_.add_handler(&Cluster::on_sample_event, this);
  network_.set_receiver(this);
}

Cluster::~Cluster() = default;

void Cluster::boot() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    n.actor = factory_(static_cast<NodeId>(i));
    ECSIM_ASSERT(n.actor != nullptr);
    n.actor->on_start(*n.context);
    settle(static_cast<NodeId>(i));
  }
}

void Cluster::halt(NodeId node) {
  Node& n = nodes_[node];
  ECSIM_ASSERT(n.up && n.actor != nullptr);
  n.halted = true;
}

void Cluster::settle(NodeId node) {
  if (nodes_[node].halted) [[unlikely]] crash(node);
}

void Cluster::crash(NodeId node) {
  Node& n = nodes_[node];
  ECSIM_ASSERT(n.up);
  n.up = false;
  n.halted = false;
  ++stats_.crashes;
  sim_.trace().record(Record{sim_.now().ns, RecordType::kCrash, 0, node, 0, 0, n.incarnation, 0});
  // Volatile state and pending timers vanish; bumping every generation makes
  // the timer events already queued stale.
  n.actor.reset();
  for (TimerSlot& t : n.timers) {
    t.bump();
    t.armed = false;
  }
  n.free_timers.clear();
  for (uint32_t i = static_cast<uint32_t>(n.timers.size()); i > 0; --i) n.free_timers.push_back(i - 1);
  const size_t durable = n.disk.durable_length();
  const size_t before = n.disk.length();
  const size_t kept = n.disk.crash(n.disk_rng);
  ECSIM_ASSERT(kept <= before && before - kept <= UINT32_MAX);
  stats_.disk_entries_lost += before - kept;
  sim_.trace().record(
      Record{sim_.now().ns, RecordType::kDiskLoss, 0, node, 0, static_cast<uint32_t>(before - kept), kept, durable});
  // The log disk, only when it holds anything (a run without transactions
  // draws nothing and traces nothing for it).
  if (n.log_disk.length() > 0) {
    const size_t log_durable = n.log_disk.durable_length();
    const size_t log_before = n.log_disk.length();
    const size_t log_kept = n.log_disk.crash(n.disk_rng);
    ECSIM_ASSERT(log_kept <= log_before && log_before - log_kept <= UINT32_MAX);
    stats_.disk_entries_lost += log_before - log_kept;
    sim_.trace().record(Record{sim_.now().ns, RecordType::kDiskLoss, 1, node, 0,
                               static_cast<uint32_t>(log_before - log_kept), log_kept, log_durable});
  }
  network_.reset_node(node);
  if (n.load != nullptr) n.load->reset(sim_.now());
  for (NodeId peer = 0; peer < nodes_.size(); ++peer) {
    Node& p = nodes_[peer];
    if (!p.up || p.actor == nullptr) continue;
    p.actor->on_connections_reset(*p.context, node, true);
    settle(peer);
  }
}

void Cluster::set_partition(const std::vector<uint32_t>& group_of) {
  const std::vector<uint32_t> before = network_.partition();
  network_.set_partition(group_of);
  for (NodeId a = 0; a < nodes_.size(); ++a) {
    for (NodeId b = 0; b < nodes_.size(); ++b) {
      const bool cut = a != b && before[a] == before[b] && group_of[a] != group_of[b];
      Node& n = nodes_[a];
      if (!cut || !n.up || n.actor == nullptr) continue;
      n.actor->on_connections_reset(*n.context, b, false);
      settle(a);
    }
  }
}

void Cluster::restart(NodeId node) {
  Node& n = nodes_[node];
  ECSIM_ASSERT(!n.up);
  n.up = true;
  ++n.incarnation;
  ++stats_.restarts;
  sim_.trace().record(
      Record{sim_.now().ns, RecordType::kRestart, 0, node, 0, 0, n.incarnation, 0});
  sim_.trace().record(
      Record{sim_.now().ns, RecordType::kRecover, 0, node, 0, 0, n.disk.length(), 0});
  n.actor = factory_(node);
  ECSIM_ASSERT(n.actor != nullptr);
  n.actor->on_start(*n.context);
  if (n.halted) {  // stopped at a point while starting: down again before its peers heard it was up
    settle(node);
    return;
  }
  for (NodeId peer = 0; peer < nodes_.size(); ++peer) {
    Node& p = nodes_[peer];
    if (peer == node || !p.up || p.actor == nullptr) continue;
    p.actor->on_peer_restarted(*p.context, node);
    settle(peer);
  }
}

net::Arrival Cluster::on_deliver(const net::Envelope& e) {
  Node& n = nodes_[e.dst];
  ECSIM_ASSERT(n.up && n.actor != nullptr);
  if (n.load == nullptr || e.kind >= LoadProfile::kKindsMax || n.load->profile().service[e.kind].ns == 0) {
    n.actor->on_message(*n.context, e);
    settle(e.dst);
    return net::Arrival::kTaken;
  }
  if (in_service_.full()) [[unlikely]] {
    // Never reached while the network's pool is as large: refused as overload.
    in_service_.refuse(e.dst);
    ++stats_.overload_refused;
    network_.refuse(e, sim::DropReason::kOverload);
    return net::Arrival::kRefused;
  }
  const LoadModel::Admission a = n.load->admit(sim_.now(), e.kind);
  if (!a.accepted) {
    ++stats_.overload_refused;
    network_.refuse(e, sim::DropReason::kOverload);
    return net::Arrival::kRefused;
  }
  const uint64_t slot = in_service_.acquire(InService{e, n.incarnation}, e.dst);
  ECSIM_ASSERT(slot != sim::SlotPool<InService>::kNone);  // full() was checked above
  sim_.schedule(a.done, service_handler_, e.dst, slot);
  return net::Arrival::kHeld;
}

void Cluster::on_service_done(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<Cluster*>(self_ptr);
  const std::optional<InService> taken = self.in_service_.take(e.b);
  ECSIM_ASSERT(taken.has_value());  // each service-done event frees its own slot once
  const InService& job = *taken;
  Node& n = self.nodes_[e.a];
  if (!n.up || n.incarnation != job.incarnation) {
    // The node crashed while the message waited or ran: it is lost with it
    // (a drop, not a delivery).
    self.network_.lose_held(job.envelope, sim::DropReason::kNodeDown);
    return;
  }
  self.network_.take_held(job.envelope);
  n.actor->on_message(*n.context, job.envelope);
  self.settle(static_cast<NodeId>(e.a));
}

void Cluster::set_load_profile(NodeId node, const LoadProfile& profile) {
  nodes_[node].load = profile.enabled() ? std::make_unique<LoadModel>(profile) : nullptr;
}

void Cluster::start_load_sampling(sim::Duration interval) {
  ECSIM_ASSERT(interval.ns > 0);
  sample_interval_ = interval;
  sim_.schedule(sim_.now() + interval, sample_handler_, 0, 0);
}

void Cluster::on_sample_event(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<Cluster*>(self_ptr);
  for (NodeId id = 0; id < self.nodes_.size(); ++id) {
    Node& n = self.nodes_[id];
    if (n.load == nullptr) continue;
    n.last_load = n.up ? n.load->sample(self.sim_.now()) : LoadSample{};
    if (n.up && n.actor != nullptr) n.last_load.open_connections = n.actor->open_connections();
    const LoadSample& s = n.last_load;
    self.sim_.trace().record(Record{e.time_ns, RecordType::kLoad,
                                    static_cast<uint16_t>(std::min<uint32_t>(s.open_connections, UINT16_MAX)), id, 0,
                                    static_cast<uint32_t>(std::min<int64_t>(s.response_ns_mean / 1000, UINT32_MAX)),
                                    (uint64_t{s.cpu_permille} << 32) | s.memory_permille,
                                    (uint64_t{s.queue_length} << 32) | (s.served & 0xffffffffu)});
  }
  self.sim_.schedule(self.sim_.now() + self.sample_interval_, self.sample_handler_, 0, 0);
}

void Cluster::on_discard(const net::Envelope& e) {
  if (payload_owner_ != nullptr) {
    payload_owner_->on_discard(e);
    return;
  }
  // Payload handles belong to the sender's layer; actors that pool payloads
  // release them here. The sender may be down: then nothing holds it.
  Node& n = nodes_[e.src];
  if (n.up && n.actor != nullptr) n.actor->on_discard(e);
}

void Cluster::set_timers_per_node_max(uint32_t timers_max) {
  ECSIM_ASSERT(timers_max >= 1 && timers_max <= kTimersPerNodeMax);
  timers_per_node_max_ = timers_max;
}

TimerId Cluster::set_timer(NodeId node, sim::Duration after, uint64_t tag) {
  Node& n = nodes_[node];
  ECSIM_ASSERT(n.up);
  ECSIM_ASSERT(after.ns >= 0);
  uint32_t slot;
  if (!n.free_timers.empty()) {
    slot = n.free_timers.back();
    n.free_timers.pop_back();
  } else if (n.timers.size() >= timers_per_node_max_) [[unlikely]] {
    // Every slot holds an armed timer: refuse this one (header: never fires).
    ++stats_.timers_refused;
    sim::limit_reached(sim::Resource::kTimers, node);
    return kTimerRefused;
  } else {
    slot = static_cast<uint32_t>(n.timers.size());
    n.timers.emplace_back();
    timer_bytes_.set_entries(++timer_slots_);
  }
  TimerSlot& t = n.timers[slot];
  ECSIM_ASSERT(!t.armed);
  t.armed = true;
  t.tag = tag;
  const uint64_t id = (static_cast<uint64_t>(slot) << 32) | t.generation;
  ECSIM_ASSERT(id != 0 && id != kTimerRefused);  // generation >= 1; slot < kTimersPerNodeMax < 2^32 - 1
  sim_.schedule(sim_.now() + after, timer_handler_, node, id);
  return id;
}

bool Cluster::cancel_timer(NodeId node, TimerId id) {
  Node& n = nodes_[node];
  const uint32_t slot = static_cast<uint32_t>(id >> 32);
  if (slot >= n.timers.size()) return false;
  TimerSlot& t = n.timers[slot];
  if (!t.armed || t.generation != static_cast<uint32_t>(id)) return false;
  t.armed = false;
  t.bump();
  n.free_timers.push_back(slot);
  return true;
}

void Cluster::on_timer_event(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<Cluster*>(self_ptr);
  Node& n = self.nodes_[e.a];
  const uint32_t slot = static_cast<uint32_t>(e.b >> 32);
  if (!n.up || slot >= n.timers.size()) return;
  TimerSlot& t = n.timers[slot];
  if (!t.armed || t.generation != static_cast<uint32_t>(e.b)) return;  // cancelled or stale
  t.armed = false;
  t.bump();
  n.free_timers.push_back(slot);
  ++self.stats_.timers_fired;
  self.sim_.trace().record(Record{e.time_ns, RecordType::kTimer, 0, e.a, 0, 0, t.tag, 0});
  n.actor->on_timer(*n.context, t.tag);
  self.settle(static_cast<NodeId>(e.a));
}

void Cluster::start_sync(NodeId node, uint64_t tag, bool log_disk) {
  Node& n = nodes_[node];
  ECSIM_ASSERT(n.up);
  ECSIM_ASSERT(!n.halted);  // nothing after a protocol point
  uint32_t slot;
  if (!free_syncs_.empty()) {
    slot = free_syncs_.back();
    free_syncs_.pop_back();
  } else {
    slot = static_cast<uint32_t>(syncs_.size());
    syncs_.emplace_back();
  }
  syncs_[slot] = PendingSync{tag, log_disk ? n.log_disk.length() : n.disk.length(), n.incarnation, log_disk};
  const sim::Duration cost = sync_latency_.sample(n.disk_rng);
  sim_.schedule(sim_.now() + cost, sync_handler_, node, slot);
}

void Cluster::on_sync_event(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<Cluster*>(self_ptr);
  const PendingSync sync = self.syncs_[e.b];
  self.free_syncs_.push_back(static_cast<uint32_t>(e.b));
  Node& n = self.nodes_[e.a];
  // A crash before the sync completed: the writes it covered were not made
  // durable by it (some may have survived the crash by chance).
  if (!n.up || n.incarnation != sync.incarnation) return;
  Disk& disk = sync.log_disk ? n.log_disk : n.disk;
  disk.make_durable(std::min<size_t>(sync.length, disk.length()));
  ++self.stats_.syncs;
  self.sim_.trace().record(Record{e.time_ns, RecordType::kDiskSync, static_cast<uint16_t>(sync.log_disk ? 1 : 0),
                                  e.a, 0, 0, disk.durable_length(), 0});
  n.actor->on_sync(*n.context, sync.tag);
  self.settle(static_cast<NodeId>(e.a));
}

}  // namespace ecsim::node
