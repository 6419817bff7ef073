#include "model/view_state.hpp"

#include <algorithm>

#include "ecsim/sim/assert.hpp"
#include "model/records.hpp"

namespace ecsim::viz {

namespace {
using sim::Record;
using sim::RecordType;

// FNV-1a over 64-bit words: the digest only has to tell states apart in tests.
struct Fnv {
  uint64_t h = 0xcbf29ce484222325ULL;
  void add(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 0x100000001b3ULL;
    }
  }
};
}  // namespace

const char* tier_name(Tier t) {
  static const char* kNames[] = {"edge", "core", "cloud"};
  return kNames[static_cast<size_t>(t)];
}

void ViewState::apply(const Record& r) {
  ECSIM_ASSERT(r.time_ns >= now_ns);
  const uint64_t index = applied++;
  now_ns = r.time_ns;
  const auto node_ok = [this](uint32_t n) { return n < nodes.size(); };
  if (is_phase(r)) {
    ++counters.phases;
    if (node_ok(r.node)) nodes[r.node].last_phase = static_cast<uint32_t>(r.type);
  }
  if (is_failure(r)) ++counters.failures;
  switch (r.type) {
    case RecordType::kSend:
      ++counters.sends;
      if (node_ok(r.node)) ++nodes[r.node].sent;
      in_flight[r.a] = InFlight{r.node, r.peer, r.kind, r.time_ns, index};
      break;
    case RecordType::kDeliver:
      ++counters.delivers;
      if (node_ok(r.node)) ++nodes[r.node].received;
      in_flight.erase(r.a);
      break;
    case RecordType::kDrop:
      ++counters.drops;
      if (node_ok(r.node)) ++nodes[r.node].dropped;
      in_flight.erase(r.a);
      if (recent_drops.size() == kRecentDropsMax) recent_drops.erase(recent_drops.begin());
      recent_drops.push_back({r.peer, r.node, r.code, r.time_ns});
      break;
    case RecordType::kDuplicate:
      ++counters.duplicates;
      break;
    case RecordType::kCrash:
      ++counters.crashes;
      if (node_ok(r.node)) {
        NodeState& n = nodes[r.node];
        n.up = false;
        n.down_since_ns = r.time_ns;
        ++n.faults;
        n.cpu_permille = n.memory_permille = n.queue_length = n.connections = n.response_us = 0;
      }
      break;
    case RecordType::kRestart:
      ++counters.restarts;
      if (node_ok(r.node)) {
        nodes[r.node].up = true;
        nodes[r.node].down_since_ns = -1;
        nodes[r.node].incarnation = static_cast<uint32_t>(r.a);
      }
      break;
    case RecordType::kFault:
      ++counters.faults;
      if (r.code == 9 && node_ok(r.node)) ++nodes[r.node].faults;
      if (r.code == 2 || r.code == 9) {  // partition, at_point: a = the fault's index, b = 1 applied, 0 reverted
        const uint32_t index = static_cast<uint32_t>(r.a);
        if (r.b == 1) {
          partitions.push_back(index);
        } else if (const auto it = std::find(partitions.begin(), partitions.end(), index); it != partitions.end()) {
          partitions.erase(it);  // (not there: a heal ended it already)
        }
      } else if (r.code == 3) {  // heal ends every partition
        partitions.clear();
      }
      break;
    case RecordType::kLoad:
      if (node_ok(r.node)) {
        NodeState& n = nodes[r.node];
        n.cpu_permille = static_cast<uint32_t>(r.a >> 32);
        n.memory_permille = static_cast<uint32_t>(r.a & 0xffffffffu);
        n.queue_length = static_cast<uint32_t>(r.b >> 32);
        n.connections = r.code;
        n.response_us = r.kind;
      }
      break;
    default:
      break;
  }
}

size_t ViewState::bytes() const {
  return sizeof(ViewState) + nodes.capacity() * sizeof(NodeState) +
         in_flight.size() * (sizeof(std::pair<const uint64_t, InFlight>) + kMapNodeOverhead) +
         recent_drops.capacity() * sizeof(RecentDrop) + partitions.capacity() * sizeof(partitions[0]);
}

uint64_t ViewState::digest() const {
  Fnv f;
  f.add(applied);
  f.add(static_cast<uint64_t>(now_ns));
  for (const NodeState& n : nodes) {
    f.add(n.up);
    f.add(n.incarnation);
    f.add(static_cast<uint64_t>(n.down_since_ns));
    f.add((uint64_t{n.cpu_permille} << 32) | n.memory_permille);
    f.add((uint64_t{n.queue_length} << 32) | n.connections);
    f.add(n.response_us);
    f.add(n.sent);
    f.add(n.received);
    f.add(n.dropped);
    f.add(n.faults);
    f.add(n.last_phase);
  }
  for (const auto& [id, m] : in_flight) {
    f.add(id);
    f.add((uint64_t{m.from} << 32) | m.to);
    f.add(m.kind);
    f.add(static_cast<uint64_t>(m.sent_ns));
    f.add(m.send_index);
  }
  for (const RecentDrop& d : recent_drops) {
    f.add((uint64_t{d.from} << 32) | d.to);
    f.add(d.reason);
    f.add(static_cast<uint64_t>(d.at_ns));
  }
  for (const uint32_t p : partitions) f.add(p);
  f.add(partitions.size());
  const Counters& c = counters;
  for (uint64_t v : {c.sends, c.delivers, c.drops, c.duplicates, c.crashes, c.restarts, c.faults, c.failures, c.phases}) {
    f.add(v);
  }
  return f.h;
}

uint32_t ViewState::up_count(const std::vector<Tier>& tiers, Tier t) const {
  uint32_t up = 0;
  for (size_t n = 0; n < nodes.size() && n < tiers.size(); ++n) up += (tiers[n] == t && nodes[n].up) ? 1 : 0;
  return up;
}

}  // namespace ecsim::viz
