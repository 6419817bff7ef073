// The FIFO state of the network's connections: for each (link, connection)
// with a message still in flight, the delivery time of its latest message,
// so the next one on that connection is not delivered before it.
//
// An open-addressing table (linear probing) whose entries go stale by
// themselves: an entry is live only while its delivery time lies ahead and
// its link's epoch is the one it was written in (a crash or a partition
// bumps the epoch and so clears the FIFO state of what it dropped). Stale
// entries are overwritten by new connections and left out when the table
// is rebuilt, so its size follows the connections with messages in flight,
// not the connections ever opened. Lookups never iterate, so the table's
// layout cannot change behaviour.
//
// Limit (sim/limits.hpp, `net.conn_fifo`): the table never grows beyond
// `slots_max` slots, at most half of them used. A connection that would
// need a new entry beyond that is not tracked: its message keeps the
// delivery time it drew (FIFO order is not enforced for it), and the reach
// is counted and traced. A run cannot reach the default: live entries are
// at most the messages in flight (network.in_flight, 2^18), and a rebuild
// keeps four slots per live entry, 2^20 < 2^26; unit tests use a small table.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ecsim/sim/limits.hpp"

namespace ecsim::net {

class ConnFifo {
 public:
  static constexpr uint32_t kSlotsMin = 1024;
  static constexpr uint32_t kSlotsMax = 1u << 26;

  // REQUIRES: slots_max is a power of two, kSlotsMin <= slots_max <= kSlotsMax.
  explicit ConnFifo(uint32_t slots_max = kSlotsMax);

  // The delivery time for a message on (link, conn) that would arrive at
  // `at_ns`: no earlier than the connection's previous delivery. Records the
  // result as the connection's latest. `epoch` is the link's epoch now;
  // `now_ns` the current time (entries at or before it constrain nothing).
  // `node` (the sender) names a limit reach. REQUIRES: conn != 0, at_ns > now_ns.
  int64_t order(uint32_t link, uint32_t epoch, uint64_t conn, int64_t at_ns, int64_t now_ns,
                const std::vector<uint32_t>& link_epochs, uint32_t node = 0);

  size_t slots() const { return slots_.size(); }
  size_t used() const { return used_; }

 private:
  struct Slot {
    uint64_t conn = 0;  // 0: empty (ends a probe chain)
    uint32_t link = 0;
    uint32_t epoch = 0;
    int64_t last_deliver_ns = 0;
  };
  static bool live(const Slot& s, int64_t now_ns, const std::vector<uint32_t>& link_epochs) {
    return s.last_deliver_ns > now_ns && link_epochs[s.link] == s.epoch;
  }
  void rebuild(int64_t now_ns, const std::vector<uint32_t>& link_epochs);
  // Both tables' storage (a table keeps its largest size): --memory-max.
  void account() {
    bytes_.set_bytes(static_cast<int64_t>((slots_.capacity() + scratch_.capacity()) * sizeof(Slot)));
  }

  std::vector<Slot> slots_;
  std::vector<Slot> scratch_;  // the previous table, during and after a rebuild
  size_t used_ = 0;  // non-empty slots, stale ones included
  uint32_t slots_max_;
  sim::Accounted bytes_{sim::Resource::kConnFifo};
};

}  // namespace ecsim::net
