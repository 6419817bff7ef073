// Asynchronous messaging with application-level ACK, as sans-IO state
// machines (DESIGN.md, "The modelled system" -> Communication).
//
// What it promises:
// - Sender: every message it accepts (send() returned a sequence number) is
//   sent, and resent until it is acknowledged: at-least-once delivery while
//   sender and receiver stay up. The first resend comes `resend_timeout`
//   after the first transmission; with `backoff` each later wait doubles up
//   to `resend_timeout_max`, and with `jitter` too it is drawn uniformly
//   from [d/2, d] for that doubled d ("equal jitter", from the sender's own
//   stream, seeded from the env's stream at its first jittered resend).
//   No wait is ever longer than `resend_timeout_max`. Accepted and
//   un-ACKed messages together never exceed `pending_max`, nor
//   `dest_pending_max` for one destination (so one dead peer cannot take
//   the whole queue from the others); beyond either, send() refuses and
//   counts. A destination's messages on the wire span at most
//   `window_max` seqs from its lowest un-ACKed one (a sliding window, as in
//   TCP); the rest wait in order in the pending queue.
// - Receiver: ACKs every Data it accepts, duplicates included (the earlier
//   ACK may have been lost), and hands each (sender, epoch, seq) to its owner
//   exactly once. Its de-dup state per sender is a contiguous watermark plus
//   a bounded set of sequence numbers above it (`above_max`, which must be at
//   least the sender's window); a message that would overflow the set is
//   refused un-ACKed, so the sender resends it later. Exactly-once holds
//   while the receiver's volatile state lives: after a receiver crash a
//   resent message may be delivered again (the owner persists what it must).
// - Low watermark: every Data carries the sender's lowest un-ACKed seq, so
//   a receiver that restarted (its de-dup state gone) resumes at the
//   sender's position instead of filling its bounded set with seqs above a
//   gap that will never close.
// - Epochs: the sender's incarnation rides on every message. A receiver that
//   sees a newer epoch from a sender forgets the old sequence space (the
//   sender restarted and numbers from 1 again); messages and ACKs of an older
//   epoch are ignored and counted.
//
// ACKs are cumulative + selective: Ack{epoch, cumulative, seq} says "every
// seq <= cumulative, and seq itself, arrived", so one surviving ACK settles
// everything below the receiver's watermark even when earlier ACKs were lost.
//
// Dispatch: the owner hands Data to its Receiver, Ack and timers to its
// Sender (the receiver sets no timers). The sender keeps one resend timer per
// destination (tag = destination id), armed for the earliest deadline.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "ecsim/proto/env.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/fifo_ring.hpp"
#include "ecsim/sim/seq_ring.hpp"

namespace ecsim::proto::msgq {

// Trace record types 26-29, defined here (sim/trace.hpp lists every
// protocol's numbers; sim/ never includes proto/).
// kRecordSend: node = sender, peer = receiver, a = seq, b = transmission number (1 = first).
inline constexpr auto kRecordSend = static_cast<sim::RecordType>(26);
// kRecordAcked: node = sender, peer = receiver, a = seq, b = ns from first send to ACK.
inline constexpr auto kRecordAcked = static_cast<sim::RecordType>(27);
// kRecordDeliver: node = receiver, peer = sender, a = seq, b = epoch.
inline constexpr auto kRecordDeliver = static_cast<sim::RecordType>(28);
// kRecordIgnored: node, peer, code = Ignored, a = seq (or cumulative), b = epoch.
inline constexpr auto kRecordIgnored = static_cast<sim::RecordType>(29);
// kRecordAccepted (33, from the numbers the tiers left free): node = sender,
// peer = receiver, a = seq: the sender accepted a message (counted in
// `accepted`); it may wait for the window before its first msgq send record.
inline constexpr auto kRecordAccepted = static_cast<sim::RecordType>(33);

enum class Ignored : uint16_t {
  kRefusedPending = 1,  // send() with the pending queue at pending_max or dest_pending_max
  kDuplicate = 2,       // a Data already delivered (ACKed again)
  kRefusedAbove = 3,    // a Data beyond the receiver's bounded de-dup set (not ACKed)
  kStaleEpoch = 4,      // a Data or Ack of an older sender incarnation
  kInvalid = 5,         // seq 0, or an Ack for sequence numbers never sent
  kRefusedSenders = 6,  // a Data from one sender too many (senders_max)
};

struct Data {
  uint32_t epoch = 0;  // the sender's incarnation
  uint64_t seq = 0;    // per (sender, destination), from 1
  uint64_t body_handle = 0;
  uint32_t body_bytes = 0;
  // Every seq below `low` was ACKed to the sender: a receiver that lost its
  // state (a restart) takes them as delivered instead of waiting for them.
  uint64_t low = 0;
};
struct Ack {
  uint32_t epoch = 0;
  uint64_t cumulative = 0;  // every seq <= cumulative arrived
  uint64_t seq = 0;         // the Data this answers
};
using Message = std::variant<Data, Ack>;

// The backoff cap the tiers use under the recovery rules (docs/model.md,
// "Recovery"): twice the resend timeout, and at least 1 s, so that even a
// tiny timeout backs off to one resend a second per message.
inline sim::Duration resend_timeout_max_for(sim::Duration resend_timeout) {
  const int64_t floor_ns = sim::seconds(1).ns;
  const int64_t twice_ns = resend_timeout.ns > INT64_MAX / 2 ? INT64_MAX : resend_timeout.ns * 2;
  return sim::nanoseconds(twice_ns > floor_ns ? twice_ns : floor_ns);
}

// JSON-RPC sizes: Data as {"jsonrpc":"2.0","method":"msgq.deliver",
// "params":{"epoch":E,"seq":S,"low":L,"body":BODY},"id":S}, Ack as a result
// {"epoch":E,"cumulative":C,"seq":S} answering id S.
uint32_t size_bytes(const Message& m);

struct SenderConfig {
  uint32_t window_max = 64;     // per destination: seqs on the wire span at most this many
  uint32_t pending_max = 4096;  // accepted and not yet ACKed, all destinations
  uint32_t dest_pending_max = 1024;  // the same, for one destination
  sim::Duration resend_timeout = sim::seconds(5);
  bool backoff = false;  // double the timeout per resend of a message
  bool jitter = false;   // with backoff: draw each wait after a resend from [d/2, d]
  sim::Duration resend_timeout_max = sim::seconds(60);
  uint32_t epoch = 0;  // the node's restart count
};

struct SenderCounters {
  uint64_t accepted = 0;
  uint64_t refused = 0;
  uint64_t sent = 0;  // first transmissions
  uint64_t resent = 0;
  uint64_t acked = 0;
  uint64_t acks_duplicate = 0;  // settled nothing new
  uint64_t acks_stale = 0;      // older epoch, unknown destination
  uint64_t acks_invalid = 0;    // names a seq never sent
  uint64_t bytes = 0;
  SenderCounters& operator+=(const SenderCounters& o);
};

class Sender {
 public:
  Sender(Env<Message>& env, SenderConfig config);
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Accepts a message for `dst` and returns its sequence number (>= 1), or 0
  // when the pending queue is full (refused, counted, traced).
  uint64_t send(NodeId dst, uint64_t body_handle, uint32_t body_bytes);
  void on_ack(NodeId from, const Ack& a);
  void on_timer(uint64_t tag);

  // Moves the body handles of messages ACKed since the last call into `out`
  // (cleared first; the buffers swap): the owner may free their bodies.
  void take_settled(std::vector<uint64_t>& out);

  const SenderCounters& counters() const { return counters_; }
  size_t pending() const { return pending_; }  // waiting + un-ACKed
  size_t unacked(NodeId dst) const;
  // (receiver, waiting + un-ACKed messages for it), for each receiver with some.
  std::vector<std::pair<NodeId, size_t>> pending_by_receiver() const;

 private:
  struct Item {
    uint64_t seq = 0;
    uint64_t body_handle = 0;
    uint32_t body_bytes = 0;
    uint32_t transmissions = 0;
    sim::Time first_sent;
    sim::Time resend_at;
  };
  struct Dest {
    explicit Dest(uint32_t window_max) : unacked(window_max) {}
    uint64_t next_seq = 1;
    sim::FifoRing<Item> waiting;    // accepted, not sent yet (window full)
    sim::SeqRing<Item> unacked;     // seqs within [lowest, lowest + window_max)
    TimerId timer = 0;
    sim::Time timer_at = sim::Time::max();
  };
  void dispatch(NodeId dst, Dest& d);
  bool window_open(const Dest& d, uint64_t seq) const;
  void transmit(NodeId dst, const Dest& d, Item& item);
  void arm(NodeId dst, Dest& d);
  size_t settle(NodeId dst, Dest& d, const Ack& a);
  sim::Duration timeout_for(uint32_t transmissions);
  void ignore(NodeId peer, Ignored why, uint64_t a);
  void check_invariants(const Dest& d) const;

  Env<Message>& env_;
  SenderConfig config_;
  std::map<NodeId, Dest> dests_;
  size_t pending_ = 0;
  std::vector<uint64_t> settled_;  // body handles, for take_settled
  std::optional<sim::Rng> jitter_rng_;  // seeded at the first jittered resend
  SenderCounters counters_;
};

struct ReceiverConfig {
  uint32_t above_max = 1024;  // out-of-order seqs remembered per sender (>= sender window)
  uint32_t senders_max = 4096;
};

// A message the owner must process (exactly once).
struct Delivery {
  NodeId from = 0;
  uint64_t seq = 0;
  uint64_t body_handle = 0;
  uint32_t body_bytes = 0;
};

struct ReceiverCounters {
  uint64_t received = 0;
  uint64_t delivered = 0;
  uint64_t duplicates = 0;  // suppressed (and ACKed again)
  uint64_t refused = 0;     // above_max or senders_max reached (not ACKed)
  uint64_t stale_epoch = 0;
  uint64_t invalid = 0;
  uint64_t acks_sent = 0;
  uint64_t epoch_resets = 0;
  ReceiverCounters& operator+=(const ReceiverCounters& o);
};

class Receiver {
 public:
  Receiver(Env<Message>& env, ReceiverConfig config);
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // Returns the delivery when `d` is new; nullopt for a duplicate, a refusal
  // or an invalid or stale message.
  std::optional<Delivery> on_data(NodeId from, const Data& d);

  const ReceiverCounters& counters() const { return counters_; }
  // Every seq <= watermark from `from` (current epoch) was delivered.
  uint64_t watermark(NodeId from) const;
  // The epoch of `from` whose sequence space it follows; nullopt: none yet.
  std::optional<uint32_t> epoch(NodeId from) const;

 private:
  struct Peer {
    uint32_t epoch = 0;
    uint64_t contiguous = 0;   // every seq <= contiguous delivered
    std::set<uint64_t> above;  // delivered seqs > contiguous + 1, <= above_max
  };
  void send_ack(NodeId to, const Peer& p, uint64_t seq);
  void ignore(NodeId peer, Ignored why, const Data& d);

  Env<Message>& env_;
  ReceiverConfig config_;
  std::map<NodeId, Peer> peers_;
  ReceiverCounters counters_;
};

}  // namespace ecsim::proto::msgq
