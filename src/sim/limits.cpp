#include "ecsim/sim/limits.hpp"

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/event.hpp"
#include "ecsim/sim/simulator.hpp"

namespace ecsim::sim {

namespace {

using R = Resource;

// The limits themselves live beside their structures (the `_max` constants
// of each header); this table repeats them by value because sim/ never
// includes the layers above. tests/unit/test_limits.cpp checks that each row
// still equals its constant. entry_bytes: what the model accounts per entry
// (the entry's own size plus about 32 bytes of index or node overhead where
// a map holds it), the same on every machine.
constexpr std::array<ResourceInfo, kResourceCount - 1> kResources{{
    {R::kMemory, "memory", "bytes", kMemoryMaxDefault, 0},
    {R::kNetworkInFlight, "network.in_flight", "messages", uint64_t{1} << 18, 64},
    {R::kEvents, "sim.events", "events", 0, sizeof(Event)},
    {R::kPayloads, "tiers.payloads", "message bodies", uint64_t{1} << 24, 192},
    {R::kEdgeCache, "edge_cache.entries", "entries per edge node", uint64_t{1} << 24, 96},
    {R::kMsgqPending, "msgq.pending", "messages per sender", 4096, 64},
    {R::kMsgqDedup, "msgq.dedup_above", "seqs per sender", 1024, 0},
    {R::kMsgqSenders, "msgq.senders", "senders per receiver", 4096, 0},
    {R::kRpcCalls, "rpc.calls", "calls per client", uint64_t{1} << 16, 0},
    {R::kRpcQueued, "rpc.queued", "calls per destination", 1024, 0},
    {R::kDsmKeys, "dsm.keys", "keys per replica", 65536, 0},  // bytes set as its tables grow
    {R::kDiskEntries, "disk.entries", "entries per disk", uint64_t{1} << 24, 32},
    {R::kPingOutstanding, "ping.outstanding", "pings per workload", uint64_t{1} << 22, 0},
    {R::kForgedWrites, "byzantine.forged_writes", "forged writes per run", uint64_t{1} << 18, 144},
    // Bytes set as its table grows:
    {R::kCausalityInFlight, "check.causality.in_flight", "messages", uint64_t{1} << 18, 0},
    {R::kTimers, "node.timers", "timer slots per node", uint64_t{1} << 20, 20},
    // Bytes set as its tables grow:
    {R::kStorageKeys, "storage.keys", "keys per cloud replica", uint64_t{1} << 20, 0},
    {R::kAckedWrites, "world.acked_writes", "keys", 0, 64},
    {R::kStalenessKeys, "staleness.keys", "keys", uint64_t{1} << 20, 0},  // bytes set as its table grows
    {R::kConnFifo, "net.conn_fifo", "FIFO table slots", uint64_t{1} << 26, 0},
    // Bitmaps: bytes set as they grow:
    {R::kAtMostOnceCalls, "check.at_most_once.calls", "executed calls", uint64_t{1} << 24, 0},
    {R::kCatchUpKeys, "check.catch_up.keys", "keys", 0, 48},
    {R::kBillingHistory, "check.billing.history", "transactions", 0, 0},  // bytes set as it grows
    // Accounted under network.in_flight:
    {R::kLinkInFlight, "network.link_in_flight", "messages per link", uint64_t{1} << 15, 0},
    // A link's equal share of this many, once the network holds it:
    {R::kLinkShare, "network.link_share", "messages shared equally by the links holding them", 3 * (uint64_t{1} << 16), 0},
    // Memory only, bytes set as they grow:
    {R::kLinks, "net.links", "directed links", 0, 0},
    {R::kVerifiedTokens, "auth.verified_tokens", "memo slots per edge node", 0, 0},
    {R::kHotKeys, "tiers.hot_keys", "keys per edge node", 0, 0},
    {R::kResponseCache, "rpc.response_cache", "answers per core", 0, 0},
}};

constexpr bool resources_in_enum_order() {
  for (size_t i = 0; i < kResources.size(); ++i) {
    if (static_cast<size_t>(kResources[i].id) != i + 1) return false;
  }
  return true;
}
static_assert(resources_in_enum_order(), "kResources lists every Resource in enum order");

bool g_scope_active = false;
Simulator* g_sim = nullptr;

bool is_power_of_two(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

namespace detail {
LimitState g_limits;

// The total first went over the maximum: name the biggest resource, trace
// it; the runner sees memory_exceeded and stops the run.
void memory_over() {
  LimitState& s = g_limits;
  ECSIM_ASSERT(!s.memory_exceeded && s.memory_max != 0);
  size_t biggest = static_cast<size_t>(R::kNetworkInFlight);
  for (size_t i = biggest; i < kResourceCount; ++i) {
    if (s.use[i].bytes > s.use[biggest].bytes) biggest = i;
  }
  s.memory_exceeded = static_cast<Resource>(biggest);
  const int64_t now_ns = g_sim != nullptr ? g_sim->now().ns : 0;
  s.memory_exceeded_ns = now_ns;
  ResourceUse& m = s.use[static_cast<size_t>(R::kMemory)];
  ++m.reached;
  m.first_ns = now_ns;
  if (g_sim != nullptr) {
    g_sim->trace().record(Record{now_ns, RecordType::kLimitReached, static_cast<uint16_t>(R::kMemory), 0, 0,
                                 static_cast<uint32_t>(biggest), s.memory_max, static_cast<uint64_t>(s.bytes)});
  }
}
}  // namespace detail

std::span<const ResourceInfo> resources() { return kResources; }

const ResourceInfo& resource_info(Resource r) {
  const auto i = static_cast<size_t>(r);
  ECSIM_ASSERT(i >= 1 && i < kResourceCount);
  return kResources[i - 1];
}

std::optional<Resource> resource_by_name(std::string_view name) {
  for (const ResourceInfo& r : kResources) {
    if (r.name == name) return r.id;
  }
  return std::nullopt;
}

void limit_reached(Resource r, uint32_t node) {
  ECSIM_ASSERT(r != R::kMemory && static_cast<size_t>(r) < kResourceCount);
  ResourceUse& u = detail::g_limits.use[static_cast<size_t>(r)];
  const int64_t now_ns = g_sim != nullptr ? g_sim->now().ns : 0;
  if (u.reached == 0) {
    u.first_ns = now_ns;
    u.first_node = node;
  }
  ++u.reached;
  if (g_sim != nullptr && is_power_of_two(u.reached)) {
    g_sim->trace().record(Record{now_ns, RecordType::kLimitReached, static_cast<uint16_t>(r), node, 0, 0,
                                 resource_info(r).max, u.reached});
  }
}

const LimitState& limit_state() { return detail::g_limits; }

ParkedLimits park_limits() {
  ParkedLimits p{detail::g_limits, g_sim, g_scope_active};
  detail::g_limits = LimitState{};
  g_sim = nullptr;
  g_scope_active = false;
  return p;
}

void unpark_limits(ParkedLimits parked) {
  ECSIM_ASSERT(!g_scope_active);
  detail::g_limits = parked.state;
  g_sim = parked.sim;
  g_scope_active = parked.scope_active;
}

LimitScope::LimitScope(Simulator& sim, uint64_t memory_max) {
  ECSIM_ASSERT(!g_scope_active);
  ECSIM_ASSERT(memory_max >= 1);
  g_scope_active = true;
  g_sim = &sim;
  detail::g_limits = LimitState{};
  detail::g_limits.memory_max = memory_max;
}

LimitScope::~LimitScope() {
  g_sim = nullptr;
  g_scope_active = false;
  detail::g_limits.memory_max = 0;
}

}  // namespace ecsim::sim
