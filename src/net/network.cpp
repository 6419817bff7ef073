#include "ecsim/net/network.hpp"

#include <algorithm>

namespace ecsim::net {

// A live FIFO entry has a message in flight, so the table's bound is never
// reached before the in-flight bound (each live entry takes at most 4 slots).
static_assert(uint64_t{ConnFifo::kSlotsMax} >= 4 * uint64_t{Network::kInFlightMax});

using sim::DropReason;
using sim::Record;
using sim::RecordType;

Network::Network(sim::Simulator& sim, const std::vector<std::string>& names)
    : sim_(sim), node_count_(static_cast<uint32_t>(names.size())) {
  ECSIM_ASSERT(node_count_ >= 1 && node_count_ <= kNodesMax);
  deliver_handler_ = sim_.add_handler(&Network::on_deliver_event, this);
  pair_table_.resize(64);
  rng_.reserve(node_count_);
  for (const std::string& name : names) rng_.push_back(sim_.rng(name + "/net"));
  group_.assign(node_count_, 0);
}

// The link of a (src, dst) pair, by an open-addressing hash table of the
// links created so far (linear probing, at most half full): one probe, about
// one cache miss, where a node_count^2 index table spent 8 MB at 1 433 nodes
// and a page fault on the first touch of each page. Only a lookup: links keep
// their indices and creation order.
uint64_t Network::pair_key(NodeId src, NodeId dst) { return (uint64_t{src} << 32) | dst; }

size_t Network::pair_slot(uint64_t key) const {
  size_t i = static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> 20) & (pair_table_.size() - 1);
  while (pair_table_[i].index_plus_one != 0 && pair_table_[i].key != key) i = (i + 1) & (pair_table_.size() - 1);
  return i;
}

uint32_t Network::link_index(NodeId src, NodeId dst) {
  ECSIM_ASSERT(src < node_count_ && dst < node_count_);
  const uint64_t key = pair_key(src, dst);
  size_t i = pair_slot(key);
  if (pair_table_[i].index_plus_one != 0) return pair_table_[i].index_plus_one - 1;
  const auto index = static_cast<uint32_t>(links_.size());
  const LinkConfig& config = implicit_link(src, dst);
  links_.push_back(Link{config, src, dst, 0, config.latency.prepare()});
  link_epochs_.push_back(0);
  if (2 * links_.size() > pair_table_.size()) {
    std::vector<PairSlot> old(2 * pair_table_.size());
    old.swap(pair_table_);
    for (const PairSlot& e : old) {
      if (e.index_plus_one != 0) pair_table_[pair_slot(e.key)] = e;
    }
    i = pair_slot(key);
  }
  pair_table_[i] = PairSlot{key, index + 1};
  links_bytes_.set_bytes(static_cast<int64_t>(links_.capacity() * sizeof(Link) + pair_table_.size() * sizeof(PairSlot) +
                                              link_epochs_.capacity() * sizeof(uint32_t)));
  return index;
}

void Network::set_link(NodeId src, NodeId dst, const LinkConfig& config) {
  ECSIM_ASSERT(config.latency.validate().empty());
  ECSIM_ASSERT(config.drop_ppm <= kPpmOne && config.duplicate_ppm <= kPpmOne);
  Link& link = links_[link_index(src, dst)];
  link.config = config;
  link.latency = config.latency.prepare();
}

const LinkConfig& Network::link_config(NodeId src, NodeId dst) const {
  ECSIM_ASSERT(src < node_count_ && dst < node_count_);
  const PairSlot& e = pair_table_[pair_slot(pair_key(src, dst))];
  return e.index_plus_one != 0 ? links_[e.index_plus_one - 1].config : implicit_link(src, dst);
}

void Network::set_link_classes(std::vector<uint8_t> class_of, std::vector<LinkConfig> pair_configs) {
  ECSIM_ASSERT(class_of.size() == node_count_ && !pair_configs.empty());
  uint32_t k = 0;
  while (k * k < pair_configs.size()) ++k;
  ECSIM_ASSERT(k * k == pair_configs.size());
  for (uint8_t c : class_of) ECSIM_ASSERT(c < k);
  for (const LinkConfig& c : pair_configs) {
    ECSIM_ASSERT(c.latency.validate().empty());
    ECSIM_ASSERT(c.drop_ppm <= kPpmOne && c.duplicate_ppm <= kPpmOne);
  }
  class_of_ = std::move(class_of);
  class_links_ = std::move(pair_configs);
  classes_ = k;
}

uint64_t Network::send(NodeId src, NodeId dst, uint32_t kind, uint32_t size_bytes,
                       uint64_t payload, uint64_t conn) {
  ECSIM_ASSERT(receiver_ != nullptr);
  const uint32_t li = link_index(src, dst);
  Link& link = links_[li];
  sim::Rng& rng = rng_[src];
  if (link.config.tls) size_bytes += kTlsRecordBytes;
  Envelope env;
  env.id = next_message_id_++;
  env.send_ns = sim_.now().ns;
  env.src = src;
  env.dst = dst;
  env.kind = kind;
  env.size_bytes = size_bytes;
  env.payload = payload;
  env.conn = conn;
  env.link = li;
  env.link_epoch = link_epochs_[li];
  ++stats_.sent;
  stats_.bytes_sent += size_bytes;
  sim_.trace().record(Record{env.send_ns, RecordType::kSend, 0, src, dst, kind, env.id, size_bytes});
  if (!connected(src, dst)) {
    drop(env, DropReason::kPartition);
    return env.id;
  }
  if (rng.chance_ppm(link.config.drop_ppm)) {
    drop(env, DropReason::kRandom);
    return env.id;
  }
  const bool duplicate = rng.chance_ppm(link.config.duplicate_ppm);
  // The copy takes its reference to the body first: the original may be
  // dropped at once (the in-flight limit), releasing its own.
  if (duplicate) receiver_->on_copy(env);
  transmit(env, link, rng);
  if (duplicate) {
    ++stats_.duplicated;
    sim_.trace().record(
        Record{env.send_ns, RecordType::kDuplicate, 0, src, dst, kind, env.id, size_bytes});
    transmit(env, link, rng);
  }
  return env.id;
}

// Samples the latency, keeps FIFO per connection unless the link reorders,
// and schedules the delivery. Every delivery takes at least 1 ns, so no
// message loop can spin at one instant.
void Network::transmit(Envelope env, Link& link, sim::Rng& rng) {
  // Both before sampling: a refused message draws nothing.
  if (link.on_wire >= kLinkInFlightMax) [[unlikely]] {
    sim::limit_reached(sim::Resource::kLinkInFlight, env.src);
    drop(env, DropReason::kInFlightLimit);
    return;
  }
  // Past three quarters of the network, a link at its equal share of them
  // is refused (the division only then).
  if (pool_.size() >= kInFlightShared &&
      link.on_wire >= kInFlightShared / std::max(links_on_wire_, 1u)) [[unlikely]] {
    sim::limit_reached(sim::Resource::kLinkShare, env.src);
    drop(env, DropReason::kInFlightLimit);
    return;
  }
  if (pool_.full()) [[unlikely]] {
    pool_.refuse(env.src);
    drop(env, DropReason::kInFlightLimit);
    return;
  }
  int64_t latency_ns = link.config.latency.sample(rng, link.latency).ns;
  ECSIM_ASSERT(latency_ns >= 1);
  if (link.config.tls) latency_ns += static_cast<int64_t>(env.size_bytes * kTlsPsPerByte / 1000);
  int64_t at = env.send_ns + latency_ns;
  if (link.config.reorder) {
    // Jitter may reorder; nothing waits, and what is sent after the fault
    // does not wait behind what was sent during it.
  } else if (env.conn != 0) {
    at = conn_fifo_.order(env.link, env.link_epoch, env.conn, at, env.send_ns, link_epochs_, env.src);
  } else {
    at = std::max(at, link.last_deliver_ns);
    link.last_deliver_ns = at;
  }
  env.deliver_ns = at;
  const uint64_t slot = pool_.acquire(env, env.src);
  ECSIM_ASSERT(slot != sim::SlotPool<Envelope>::kNone);  // full() was checked above
  if (link.on_wire++ == 0) ++links_on_wire_;
  sim_.schedule(sim::Time{at}, deliver_handler_, 0, slot);
}

void Network::drop(const Envelope& env, DropReason reason) {
  ++stats_.dropped_by_reason[static_cast<size_t>(reason)];
  sim_.trace().record(Record{sim_.now().ns, RecordType::kDrop, static_cast<uint16_t>(reason),
                             env.dst, env.src, env.kind, env.id, 0});
  receiver_->on_discard(env);
}

void Network::refuse(const Envelope& env, DropReason reason) {
  ECSIM_ASSERT(arriving_id_ == env.id && !arriving_refused_);  // only while it arrives
  arriving_refused_ = true;
  drop(env, reason);
}

void Network::take_held(const Envelope& env) {
  ECSIM_ASSERT(stats_.held > 0 && env.id != 0);
  --stats_.held;
  ++stats_.delivered;
}

void Network::lose_held(const Envelope& env, DropReason reason) {
  ECSIM_ASSERT(stats_.held > 0 && env.id != 0);
  --stats_.held;
  drop(env, reason);
}

void Network::check_counters() const {
  ECSIM_ASSERT(stats_.sent + stats_.duplicated ==
               stats_.delivered + stats_.dropped() + on_wire() + stats_.held);
}

void Network::on_deliver_event(void* self_ptr, const sim::Event& e) {
  auto& self = *static_cast<Network*>(self_ptr);
  const std::optional<Envelope> taken = self.pool_.take(e.b);
  ECSIM_ASSERT(taken.has_value());  // each delivery event frees its own slot once
  const Envelope& env = *taken;
  const bool reset = env.link_epoch != self.link_epochs_[env.link];
  if (!reset) {  // a reset emptied the count already
    ECSIM_ASSERT(self.links_[env.link].on_wire > 0);
    if (--self.links_[env.link].on_wire == 0) --self.links_on_wire_;
  }
  if (reset) {
    self.drop(env, DropReason::kLinkReset);
  } else if (!self.receiver_->is_up(env.dst)) {
    self.drop(env, DropReason::kNodeDown);
  } else {
    // The deliver record marks the arrival at the node; the receiver takes
    // the message now, holds it in its service queue, or refuses it.
    self.sim_.trace().record(Record{e.time_ns, RecordType::kDeliver, 0, env.dst, env.src, env.kind,
                                    env.id, 0});
    self.arriving_id_ = env.id;
    self.arriving_refused_ = false;
    const Arrival arrival = self.receiver_->on_deliver(env);
    ECSIM_ASSERT(self.arriving_refused_ == (arrival == Arrival::kRefused));
    self.arriving_id_ = 0;
    self.arriving_refused_ = false;
    if (arrival == Arrival::kTaken) ++self.stats_.delivered;
    if (arrival == Arrival::kHeld) ++self.stats_.held;
  }
  self.check_counters();
}

void Network::set_partition(const std::vector<uint32_t>& group_of) {
  ECSIM_ASSERT(group_of.size() == node_count_);
  // Links that become cut lose what is in flight, and its FIFO state: after
  // the heal nothing waits behind a message the partition dropped.
  for (uint32_t i = 0; i < links_.size(); ++i) {
    const Link& link = links_[i];
    const bool was = group_[link.src] == group_[link.dst];
    const bool now = group_of[link.src] == group_of[link.dst];
    if (was && !now) reset_link(i);
  }
  group_ = group_of;
}

void Network::reset_node(NodeId node) {
  ECSIM_ASSERT(node < node_count_);
  for (uint32_t i = 0; i < links_.size(); ++i) {
    if (links_[i].src == node || links_[i].dst == node) reset_link(i);
  }
}

// Bumping the epoch drops the link's messages on arrival and makes its
// connections' FIFO entries stale (ConnFifo); the pair's own queue restarts.
void Network::reset_link(uint32_t index) {
  ++link_epochs_[index];
  links_[index].last_deliver_ns = 0;
  // What was on it is dropped on arrival: it no longer fills its buffer.
  if (links_[index].on_wire > 0) --links_on_wire_;
  links_[index].on_wire = 0;
}

}  // namespace ecsim::net
