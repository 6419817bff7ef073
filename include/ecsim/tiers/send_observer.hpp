// A read-only look at every message of the modelled system as a node sends
// it, body included: the viewer's way to know which 2PC transaction each
// message carries (send records carry no payload, and the trace must not
// change). Installed through run::RunOptions::send_observer; the model
// never reads anything back and verdicts never see it. Unset (the default),
// it costs one null-pointer test per send.
#pragma once
#include <cstdint>

#include "ecsim/net/envelope.hpp"
#include "ecsim/tiers/messages.hpp"

namespace ecsim::tiers {

class SendObserver {
 public:
  virtual ~SendObserver() = default;
  // `src` is about to send `payload` to `dst` as message `message_id` (the
  // `a` of its send record, which follows). Called for every message a tier
  // node sends, whatever becomes of it on the way. It must not touch the run.
  virtual void on_send(net::NodeId src, net::NodeId dst, uint32_t kind, uint64_t message_id,
                       const Payload& payload) = 0;
};

}  // namespace ecsim::tiers
