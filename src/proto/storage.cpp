#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/sim/limits.hpp"

#include <algorithm>
#include <cstring>

#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::storage {

namespace {


// --- Wire sizes ------------------------------------------------------------

uint32_t digits(uint64_t v) { return decimal_digits(v); }
uint32_t digits_signed(int64_t v) {
  if (v >= 0) return digits(static_cast<uint64_t>(v));
  return 1 + digits(~static_cast<uint64_t>(v) + 1);  // '-' and the magnitude
}
constexpr uint32_t len(std::string_view s) { return static_cast<uint32_t>(s.size()); }

// [C,W]
uint32_t version_bytes(const Version& v) {
  return len("[,]") + digits(v.counter) + digits(v.writer);
}

uint32_t request_bytes(std::string_view method, uint32_t params, uint64_t id) {
  return len(R"({"jsonrpc":"2.0","method":"","params":,"id":})") + len(method) + params +
         digits(id);
}
uint32_t response_bytes(uint32_t result, uint64_t id) {
  return len(R"({"jsonrpc":"2.0","result":,"id":})") + result + digits(id);
}

// {"key":K,"value":V,"version":[C,W],"at":T}
uint32_t entry_bytes(const CatchUpEntry& e) {
  return len(R"({"key":,"value":,"version":,"at":})") + digits(e.key) + digits(e.value) +
         version_bytes(e.version) + digits_signed(e.updated_at_ns);
}

// {"entries":[..],"more":B,"next":[S,K],"as_of":T}
uint32_t catch_up_resp_bytes(const CatchUpResp& r) {
  uint32_t bytes = len(R"({"entries":[],"more":,"next":[,],"as_of":})") +
                   (r.more ? len("true") : len("false")) + digits_signed(r.next_since_ns) +
                   digits(r.next_key) + digits_signed(r.as_of_ns);
  if (r.restart_pass) bytes += len(R"(,"restart":true)");                        // only when set
  if (!r.entries.empty()) bytes += static_cast<uint32_t>(r.entries.size() - 1);  // commas
  for (const CatchUpEntry& e : r.entries) bytes += entry_bytes(e);
  return bytes;
}

}  // namespace

uint32_t wire_size_bytes(const Message& m) {
  return std::visit(
      Overloaded{
          [](const WriteReq& w) {
            return request_bytes("storage.write",
                                 len(R"({"key":,"value":,"version":})") + digits(w.key) +
                                     digits(w.value) + version_bytes(w.version),
                                 w.req_id);
          },
          [](const WriteAck& a) {
            return response_bytes(
                len(R"({"key":,"version":})") + digits(a.key) + version_bytes(a.version), a.req_id);
          },
          [](const ReadReq& r) {
            return request_bytes("storage.read", len(R"({"key":})") + digits(r.key), r.req_id);
          },
          [](const ReadResp& r) {
            return response_bytes(len(R"({"key":,"found":,"value":,"version":})") + digits(r.key) +
                                      (r.found ? len("true") : len("false")) + digits(r.value) +
                                      version_bytes(r.version),
                                  r.req_id);
          },
          [](const CatchUpReq& r) {
            return request_bytes("storage.catch_up",
                                 len(R"({"since":,"from_key":,"until":,"by_key":})") +
                                     digits_signed(r.since_ns) + digits(r.from_key) +
                                     digits_signed(r.until_ns) +
                                     (r.by_key ? len("true") : len("false")),
                                 r.req_id);
          },
          [](const CatchUpResp& r) { return response_bytes(catch_up_resp_bytes(r), r.req_id); },
      },
      m);
}

uint64_t ReplicaCounters::refused_total() const {
  uint64_t total = 0;
  for (uint64_t n : refused) total += n;
  return total;
}

// --- Replica ---------------------------------------------------------------

Replica::Replica(NodeId self, ReplicaConfig config) : self_(self), config_(std::move(config)) {
  ECSIM_ASSERT(config_.peers.size() <= kReplicas - 1);
  ECSIM_ASSERT(config_.core_nodes.size() <= kCoreNodesMax);
  ECSIM_ASSERT(config_.keys_max > 0 && config_.keys_max <= kKeysMax);
  ECSIM_ASSERT(config_.pending_acks_max > 0 && config_.pending_acks_max <= kPendingAcksMax);
  ECSIM_ASSERT(config_.catch_up_timeout > sim::Duration{0});
  ECSIM_ASSERT(config_.incarnation < (1u << 20));
  next_req_id_ = (uint64_t{config_.incarnation} << 40) | 1;
  std::vector<NodeId> peers = config_.peers;
  std::sort(peers.begin(), peers.end());
  ECSIM_ASSERT(std::adjacent_find(peers.begin(), peers.end()) == peers.end());
  ECSIM_ASSERT(!std::binary_search(peers.begin(), peers.end(), self_));
  std::sort(config_.core_nodes.begin(), config_.core_nodes.end());
  for (NodeId p : config_.peers) catch_up_.push_back(PeerCatchUp{.peer = p});
}

void Replica::recover(Env<Message>& env, StorageIo& io) {
  ECSIM_ASSERT(!recovered_);
  ECSIM_ASSERT(env.self() == self_);
  replay(env, io);
  recovered_ = true;
  started_ns_ = env.now().ns;
  // Un-synced entries that survived a crash by chance are not durable yet:
  // sync them before any acknowledgement leans on them.
  if (io.disk().length() > io.disk().durable_length()) want_sync(io);
  // Planted bug: the replica says it caught up as soon as its own log is
  // replayed, before any peer pass (the passes still run).
  if (catch_up_.empty() || planted(Plant::kStorageCatchUpEarly)) {
    caught_up_ = true;
    caught_up_at_ = env.now();
    trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kCaughtUp), self_, 0, 0);
  }
  for (PeerCatchUp& p : catch_up_) {
    p.cursor_ns = p.mark_ns;
    p.cursor_key = 0;
    request_batch(env, p);
  }
  check_invariants();
}

void Replica::on_message(Env<Message>& env, StorageIo& io, NodeId from, const Message& m) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(env.self() == self_);
  std::visit(
      Overloaded{
          [&](const WriteReq& w) { on_write(env, io, from, w); },
          [&](const ReadReq& r) { on_read(env, from, r); },
          [&](const CatchUpReq& r) { on_catch_up_req(env, from, r); },
          [&](const CatchUpResp& r) { on_catch_up_resp(env, io, from, r); },
          [&](const WriteAck& a) { refuse(env, Refusal::kUnexpected, from, a.key, a.req_id); },
          [&](const ReadResp& r) { refuse(env, Refusal::kUnexpected, from, r.key, r.req_id); },
      },
      m);
  check_invariants();
}

bool Replica::refuse_write(Env<Message>& env, StorageIo& io, NodeId from, const WriteReq& w) {
  Refusal why{};
  // Planted bug: the writer is not checked.
  if (!is_core(from) && !planted(Plant::kStorageAcceptAnyWriter)) {
    why = Refusal::kNotCore;  // DESIGN: edge nodes cannot write to cloud storage
  } else if (!entries_.contains(w.key) && entries_.size() >= config_.keys_max) {
    why = Refusal::kKeysFull;
  } else if (pending_acks_.size() >= config_.pending_acks_max) {
    why = Refusal::kPendingFull;
  } else if (io.disk().full()) {
    why = Refusal::kDiskFull;
    sim::limit_reached(sim::Resource::kDiskEntries, env.self());
  } else {
    return false;
  }
  refuse(env, why, from, w.key, w.req_id);
  return true;
}

void Replica::on_write(Env<Message>& env, StorageIo& io, NodeId from, const WriteReq& w) {
  if (refuse_write(env, io, from, w)) return;
  const Stored* held = entries_.find(w.key);
  WriteOutcome outcome = WriteOutcome::kApplied;
  if (held != nullptr && held->version > w.version) outcome = WriteOutcome::kSuperseded;
  if (held != nullptr && held->version == w.version) outcome = WriteOutcome::kDuplicate;
  uint64_t durable_at = 0;
  const bool logged = put(io, WalPut{w.key, w.value, w.version, env.now().ns}, &durable_at);
  ECSIM_ASSERT(logged);  // refuse_write checked the disk's room
  counters_.writes_applied += outcome == WriteOutcome::kApplied;
  counters_.writes_superseded += outcome == WriteOutcome::kSuperseded;
  counters_.writes_duplicate += outcome == WriteOutcome::kDuplicate;
  trace(env, kRecordWrite, static_cast<uint16_t>(outcome), from, w.key, w.version.counter, w.version.writer);
  if (outcome == WriteOutcome::kApplied && reach(env, Point::kStorageReplicaAfterWalAppend)) return;
  // The ack promises that this version, or a newer one, is durable here.
  // Planted bug: it is sent before the WAL entry is synced.
  if (durable_at <= io.disk().durable_length() || planted(Plant::kStorageAckBeforeSync)) {
    if (reach(env, Point::kStorageReplicaBeforeAck)) return;
    send(env, from, WriteAck{w.req_id, w.key, w.version, w.slot});
    ++counters_.acks_sent;
    trace(env, kRecordAck, 0, from, w.key, w.version.counter);
    if (durable_at > io.disk().durable_length()) want_sync(io);  // the plant still syncs, later
    return;
  }
  pending_acks_.push_back(PendingAck{from, w.req_id, w.key, w.version, durable_at, w.slot});
  want_sync(io);
}

bool Replica::put(StorageIo& io, const WalPut& p, uint64_t* log_length) {
  if (const Stored* held = entries_.find(p.key); held != nullptr && held->version >= p.version) {
    // Nothing to log: what this replica holds already wins.
    *log_length = held->wal_length;
    return true;
  }
  if (!io.disk().append(encode(p))) return false;
  ++counters_.wal_appended;
  *log_length = io.disk().length();
  apply(p, *log_length, p.updated_at_ns);
  // The caller syncs what it appended: the checkpoint's copy rides along.
  maybe_checkpoint(io);
  return true;
}

void Replica::apply(const WalPut& p, uint64_t wal_length, int64_t created_at_ns) {
  const auto [held, made] = entries_.try_emplace(p.key);
  if (!made) {
    if (held->version >= p.version) return;
    // The key's node of the time index moves to its new time: no
    // allocation, and the tables' sizes (their accounted bytes) stay.
    auto node = by_time_.extract({held->updated_at_ns, p.key});
    ECSIM_ASSERT(!node.empty());
    node.value() = {p.updated_at_ns, p.key};
    // Updates arrive in time order, so end() is nearly always the place: a
    // constant-time hint (a wrong one costs the usual search).
    by_time_.insert(by_time_.end(), std::move(node));
    *held = Stored{p.value, p.version, p.updated_at_ns, wal_length, held->created_at_ns};
    return;
  }
  *held = Stored{p.value, p.version, p.updated_at_ns, wal_length, created_at_ns};
  index(p.updated_at_ns, p.key);
}

void Replica::want_sync(StorageIo& io) {
  if (sync_tag_ != 0) return;  // group commit: the next sync takes what arrives meanwhile
  sync_tag_ = next_sync_tag_++;
  ++counters_.syncs_started;
  io.sync(sync_tag_);
}

void Replica::on_sync_done(Env<Message>& env, StorageIo& io, uint64_t tag) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(env.self() == self_);
  if (tag == 0 || tag != sync_tag_) {
    ignore(env, Ignored::kStaleSync, self_, tag);
    return;
  }
  if (reach(env, Point::kStorageReplicaAfterSync)) return;
  sync_tag_ = 0;
  const uint64_t durable = io.disk().durable_length();
  if (release_acks(env, durable)) return;
  finish_marks(env, durable);
  finish_checkpoint(env, io, durable);
  if (io.disk().length() > durable) want_sync(io);
  check_invariants();
}

bool Replica::release_acks(Env<Message>& env, uint64_t durable_length) {
  size_t kept = 0;
  for (const PendingAck& a : pending_acks_) {
    if (a.wal_length > durable_length) {
      pending_acks_[kept++] = a;
      continue;
    }
    if (reach(env, Point::kStorageReplicaBeforeAck)) return true;
    send(env, a.to, WriteAck{a.req_id, a.key, a.version, a.slot});
    ++counters_.acks_sent;
    trace(env, kRecordAck, 0, a.to, a.key, a.version.counter);
  }
  pending_acks_.resize(kept);
  return false;
}

void Replica::finish_marks(Env<Message>& env, uint64_t durable_length) {
  for (PeerCatchUp& p : catch_up_) {
    if (p.mark_wal_length == 0 || p.mark_wal_length > durable_length) continue;
    p.mark_wal_length = 0;
    p.done = true;
    trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kPeerDone), p.peer, 0,
          static_cast<uint64_t>(p.mark_ns));
    if (!caught_up_) {
      caught_up_ = true;
      caught_up_at_ = env.now();
      trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kCaughtUp), p.peer, 0, 0);
    }
  }
}

void Replica::on_read(Env<Message>& env, NodeId from, const ReadReq& r) {
  ReadResp resp{r.req_id, r.key, false, 0, Version{}, r.slot};
  if (const Stored* held = entries_.find(r.key)) {
    resp.found = true;
    resp.value = held->value;
    resp.version = held->version;
  }
  ++counters_.reads_served;
  send(env, from, resp);
}

std::optional<Stored> Replica::get(uint64_t key) const {
  const Stored* held = entries_.find(key);
  if (held == nullptr) return std::nullopt;
  return *held;
}

size_t Replica::peers_caught_up() const {
  return static_cast<size_t>(std::count_if(catch_up_.begin(), catch_up_.end(),
                                           [](const PeerCatchUp& p) { return p.done; }));
}

int64_t Replica::mark_ns(NodeId peer) const {
  for (const PeerCatchUp& p : catch_up_) {
    if (p.peer == peer) return p.mark_ns;
  }
  return 0;
}

void Replica::send(Env<Message>& env, NodeId dst, Message m) {
  const uint32_t size = wire_size_bytes(m);
  env.send(dst, std::move(m), size);
}

void Replica::refuse(Env<Message>& env, Refusal r, NodeId from, uint64_t key, uint64_t req_id) {
  ++counters_.refused[static_cast<size_t>(r)];
  trace(env, kRecordRefused, static_cast<uint16_t>(r), from, key, req_id);
}

void Replica::ignore(Env<Message>& env, Ignored why, NodeId from, uint64_t a) {
  ++counters_.ignored;
  trace(env, kRecordIgnored, static_cast<uint16_t>(why), from, a, 0);
}

void Replica::trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer, uint64_t a,
                    uint64_t b, uint32_t kind) {
  env.trace(sim::Record{env.now().ns, type, code, self_, peer, kind, a, b});
}

void Replica::trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer, uint64_t a,
                    uint64_t b) {
  trace(env, type, code, peer, a, b, 0);
}

bool Replica::is_core(NodeId n) const {
  return std::binary_search(config_.core_nodes.begin(), config_.core_nodes.end(), n);
}

Replica::PeerCatchUp* Replica::find_peer(NodeId n) {
  for (PeerCatchUp& p : catch_up_) {
    if (p.peer == n) return &p;
  }
  return nullptr;
}

void Replica::check_invariants() const {
  ECSIM_ASSERT(entries_.size() == by_time_.size() && by_time_.size() == by_key_.size());
  ECSIM_ASSERT(entries_.size() <= config_.keys_max);
  ECSIM_ASSERT(pending_acks_.size() <= config_.pending_acks_max);
  // Liveness: an acknowledgement that waits has a sync on its way.
  ECSIM_ASSERT(pending_acks_.empty() || sync_tag_ != 0);
  ECSIM_ASSERT(!caught_up_ || caught_up_at_.ns >= 0);
}

}  // namespace ecsim::proto::storage
