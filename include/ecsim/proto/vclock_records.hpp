// The trace record types of the vector clocks (numbers 17-19, registered in
// sim/trace.hpp's list), apart from the clock logic in proto/vclock.hpp, so
// that check/causality can read the records without seeing the functions it
// judges.
//   17 clock_send:  right after the kSend record (and the kDrop or kDuplicate
//                   record the network may write for that send at once);
//                   node = sender, peer = dst, kind = message kind,
//                   a = message id, b = hash of the clock attached (after the
//                   send's increment).
//   18 clock_recv:  when the receiver's actor takes the message (after its
//                   kDeliver record, possibly later: it may wait in the node's
//                   service queue); node = receiver, peer = src, kind = message
//                   kind, a = message id, b = hash of the receiver's clock
//                   after the receive (merge, increment).
//   19 clock_local: node, b = hash of the clock after a local event.
// The hash is XXH3-64 (seed 0) over the clock's (node u32, counter u64)
// little-endian pairs, 12 bytes each, in ascending node order, non-zero
// counters only; the empty clock hashes zero bytes.
#pragma once
#include "ecsim/sim/trace.hpp"

namespace ecsim::proto::vclock {

inline constexpr auto kRecordClockSend = static_cast<sim::RecordType>(17);
inline constexpr auto kRecordClockRecv = static_cast<sim::RecordType>(18);
inline constexpr auto kRecordClockLocal = static_cast<sim::RecordType>(19);

}  // namespace ecsim::proto::vclock
