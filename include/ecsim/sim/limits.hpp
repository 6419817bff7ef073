// Named limits and the model's own memory accounting (TigerBeetle-style
// limits: every structure that grows with a setting or with time has a
// `_max`).
//
// What it promises:
// - Reaching a limit is an event, never an abort and never unbounded growth:
//   the structure refuses (or evicts, or stops) in its own documented way and
//   calls `limit_reached`, which counts the reach per resource and writes a
//   `limit_reached` trace record (type 51) on the 1st, 2nd, 4th, 8th, ...
//   reach of each resource, so a structure stuck at its limit adds a few
//   records, not one per refusal. The run summary has a line per resource
//   that reached its limit.
// - Memory: the big structures report the bytes they hold (`memory_add`,
//   called when they grow or shrink, never per event in the steady state).
//   The figures are the model's own (entries times a fixed size per entry),
//   not the allocator's, so they are the same on every machine. When the
//   total first exceeds the run's memory maximum (`--memory-max`, 4 GiB by
//   default) the resource holding the most bytes is named, a
//   `limit_reached` record with code kMemory is written, and the runner
//   stops the run with the failed verdict `limit`.
//
// The state is process-wide, like the protocol points (proto/points.hpp):
// one simulation per thread, and sweeps run seeds in child processes
// (DESIGN rule 1). run::Run installs a LimitScope for its lifetime; with no
// scope (unit tests) reaches and bytes are still counted, nothing is traced
// and no memory maximum applies.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "ecsim/sim/trace.hpp"

namespace ecsim::sim {

class Simulator;

// Every limited or accounted resource. The numbers are the `code` of
// `limit_reached` records: append, never renumber.
enum class Resource : uint16_t {
  kMemory = 1,        // the model's accounted bytes, all resources (--memory-max)
  kNetworkInFlight,   // net: messages in flight on every link
  kEvents,            // sim: pending events (memory only: bounded by what schedules them)
  kPayloads,          // tiers: message bodies in flight (at the maximum the message is not sent)
  kEdgeCache,         // tiers: edge cache entries (at capacity the LRU entry goes)
  kMsgqPending,       // msgq: accepted, un-ACKed messages per sender (and per destination)
  kMsgqDedup,         // msgq: out-of-order seqs a receiver remembers per sender
  kMsgqSenders,       // msgq: senders a receiver tracks
  kRpcCalls,          // rpc: live calls per client
  kRpcQueued,         // rpc: calls waiting for a connection, per destination
  kDsmKeys,           // dsm: keys per replica
  kDiskEntries,       // node: entries per disk log
  kPingOutstanding,   // ping: unanswered pings per workload
  kForgedWrites,      // fault: forged writes a byzantine run sends (the follower's bound)
  kCausalityInFlight, // check: messages the causality checker follows at once
  kTimers,            // node: armed timers per node (at the maximum a timer is refused: never fires)
  kStorageKeys,       // storage: keys per cloud replica (with their catch-up index)
  kAckedWrites,       // tiers: the acknowledged-writes table the durability checks read (memory only)
  kStalenessKeys,     // tiers: keys the staleness meter follows
  kConnFifo,          // net: connections whose FIFO order the network tracks
  kAtMostOnceCalls,   // check: executed calls the at_most_once checker remembers
  kCatchUpKeys,       // check: keys the catch_up checker compares (memory only)
  kBillingHistory,    // check: what the billing checker remembers (memory only)
  kLinkInFlight,      // net: messages in flight on one directed link
  kLinkShare,         // net: a link's equal share, once the network holds three quarters of its maximum
  kLinks,             // net: per-link state of every directed pair that ever carried a message (memory only)
  kVerifiedTokens,    // auth: each edge node's memo of verified tokens (memory only)
  kHotKeys,           // tiers: each edge node's hot-key list (memory only)
  kResponseCache,     // rpc: each core's cache of answers for duplicates, and its reply bodies (memory only)
  kCount
};
inline constexpr size_t kResourceCount = static_cast<size_t>(Resource::kCount);

struct ResourceInfo {
  Resource id;
  std::string_view name;  // "network.in_flight": the name in summaries, verdicts and docs
  std::string_view unit;  // what the limit counts ("messages", "entries", "bytes")
  uint64_t max;           // the limit (kMemory: the default memory maximum)
  uint64_t entry_bytes;   // accounted bytes per entry (0: not accounted, or accounted by its structure, Accounted::set_bytes)
};
std::span<const ResourceInfo> resources();
const ResourceInfo& resource_info(Resource r);
std::optional<Resource> resource_by_name(std::string_view name);

// The default memory maximum: 4 GiB.
inline constexpr uint64_t kMemoryMaxDefault = uint64_t{4} << 30;

struct ResourceUse {
  uint64_t reached = 0;      // limit reaches (refusals, evictions at the limit, stops)
  int64_t first_ns = -1;     // the first reach's simulated time
  uint32_t first_node = 0;   // and node
  int64_t bytes = 0;         // accounted now
  int64_t bytes_peak = 0;
};

struct LimitState {
  std::array<ResourceUse, kResourceCount> use{};
  int64_t bytes = 0;  // every resource's
  int64_t bytes_peak = 0;
  uint64_t memory_max = 0;  // 0: none (no scope)
  // Set when `bytes` first exceeded `memory_max`: the resource holding the
  // most bytes then, and when.
  std::optional<Resource> memory_exceeded;
  int64_t memory_exceeded_ns = 0;
};

namespace detail {
extern LimitState g_limits;
void memory_over();
}  // namespace detail

// Counts a reach of `r`'s limit at `node` and traces it (see the header).
void limit_reached(Resource r, uint32_t node);

// Adds (or with a negative delta, removes) accounted bytes of `r`.
inline void memory_add(Resource r, int64_t delta_bytes) {
  LimitState& s = detail::g_limits;
  ResourceUse& u = s.use[static_cast<size_t>(r)];
  u.bytes += delta_bytes;
  s.bytes += delta_bytes;
  if (u.bytes > u.bytes_peak) u.bytes_peak = u.bytes;
  if (s.bytes > s.bytes_peak) {
    s.bytes_peak = s.bytes;
    if (s.memory_max != 0 && static_cast<uint64_t>(s.bytes) > s.memory_max && !s.memory_exceeded) [[unlikely]]
      detail::memory_over();
  }
}
// Sets the bytes of `r` (a resource the runner polls, like the event queue).
inline void memory_set(Resource r, int64_t bytes) {
  memory_add(r, bytes - detail::g_limits.use[static_cast<size_t>(r)].bytes);
}

const LimitState& limit_state();

// A run's limits: zeroes the counts for its lifetime, traces reaches into
// `sim`'s trace at its time, and applies `memory_max` (bytes, >= 1).
// REQUIRES: no other LimitScope is active.
class LimitScope {
 public:
  LimitScope(Simulator& sim, uint64_t memory_max);
  ~LimitScope();
  LimitScope(const LimitScope&) = delete;
  LimitScope& operator=(const LimitScope&) = delete;
};

// A run's limit state moved aside (run/process_state.hpp): several runs may
// exist in one process while one runs at a time (the viewer's probe).
struct ParkedLimits {
  LimitState state;
  Simulator* sim = nullptr;
  bool scope_active = false;
};
// Moves the process's limit state out, leaving none active (no scope).
ParkedLimits park_limits();
// Puts a parked state back. REQUIRES: no LimitScope is active.
void unpark_limits(ParkedLimits parked);

// Holds `entries * entry_bytes` accounted bytes of one resource for one
// structure, and gives them back when the structure goes (a crashed node's
// state, a finished run). Cheap to update: call set() when the count of
// entries changes its allocation (growth of a pool), not per event.
class Accounted {
 public:
  explicit Accounted(Resource r) : r_(r) {}
  ~Accounted() { memory_add(r_, -bytes_); }
  Accounted(const Accounted&) = delete;
  Accounted& operator=(const Accounted&) = delete;
  void set_entries(uint64_t entries) {
    const auto bytes = static_cast<int64_t>(entries * resource_info(r_).entry_bytes);
    memory_add(r_, bytes - bytes_);
    bytes_ = bytes;
  }
  // For a structure whose bytes are not a fixed size per entry (a table of
  // bitmaps): the bytes it holds now.
  void set_bytes(int64_t bytes) {
    memory_add(r_, bytes - bytes_);
    bytes_ = bytes;
  }
  int64_t bytes() const { return bytes_; }

 private:
  Resource r_;
  int64_t bytes_ = 0;
};

// What a std::map or std::set node holding K and V takes: the tree's three
// links and colour (32 bytes), the key and value, and the allocator's 16
// (a set's V: an empty struct, counted as one byte).
template <class K, class V>
constexpr int64_t node_bytes() {
  return 48 + static_cast<int64_t>(sizeof(K) + sizeof(V));
}

// Bytes that change with nearly every event (the buffers of the messages in
// flight: their vector clocks): added as they come and removed as they go,
// and passed on to the accounting only once they moved kStep bytes from
// what it last heard, so the hot path pays an addition and a comparison.
// The figure is still the model's own, the same on every machine; it lags
// the exact one by less than kStep.
class AccountedRunning {
 public:
  static constexpr int64_t kStep = int64_t{64} << 10;
  explicit AccountedRunning(Resource r) : accounted_(r) {}
  void add(int64_t delta_bytes) {
    live_ += delta_bytes;
    const int64_t off = live_ - accounted_.bytes();
    if (off >= kStep || off <= -kStep) accounted_.set_bytes(live_);
  }
  int64_t live() const { return live_; }

 private:
  Accounted accounted_;
  int64_t live_ = 0;
};

}  // namespace ecsim::sim
