// A message on the simulated network. net/ reads only the addressing, the
// kind and the size; the payload is an opaque handle owned by the layer above
// (DESIGN: net/ never includes proto/).
#pragma once
#include <cstdint>

namespace ecsim::net {

using NodeId = uint32_t;

struct Envelope {
  uint64_t id = 0;       // message id: the network's send counter; a duplicate keeps it
  int64_t send_ns = 0;
  int64_t deliver_ns = 0;
  NodeId src = 0;
  NodeId dst = 0;
  uint32_t kind = 0;
  uint32_t size_bytes = 0;
  uint64_t payload = 0;  // opaque
  // The connection the message travels on, as the protocol that opened it
  // names it (net/connection.hpp); 0: none, the pair's shared FIFO queue.
  uint64_t conn = 0;
  uint32_t link_epoch = 0;  // internal: stale epochs are dropped on arrival
  uint32_t link = 0;        // internal: the link's index
};

// What a receiver did with a message that arrived (Receiver::on_deliver).
enum class Arrival : uint8_t {
  kTaken,    // handed to the node's actor now: delivered
  kHeld,     // waits in the node's service queue: still in flight until the
             // receiver calls Network::take_held or Network::lose_held
  kRefused,  // refused at once: the receiver called Network::refuse
};

// What the network calls back into: the node layer.
class Receiver {
 public:
  virtual ~Receiver() = default;
  virtual bool is_up(NodeId node) const = 0;
  virtual Arrival on_deliver(const Envelope& e) = 0;
  // The message will never be delivered (dropped anywhere): release its payload.
  virtual void on_discard(const Envelope& e) = 0;
  // The network made a copy of `e` (duplicate): retain its payload once more.
  virtual void on_copy(const Envelope& e) = 0;
};

}  // namespace ecsim::net
