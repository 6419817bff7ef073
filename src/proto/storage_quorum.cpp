// Cloud storage, the core side (proto/storage.hpp): the quorum writer and
// reader a core node runs against the three replicas of a key's group.

#include <algorithm>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::proto::storage {

// --- Core side: quorum clients -------------------------------------------------

namespace {

constexpr int kSeqBits = 40;
constexpr uint64_t kSeqMax = (uint64_t{1} << kSeqBits) - 1;

void check_client_config(const ClientConfig& c) {
  ECSIM_ASSERT(!c.replicas.empty() && c.replicas.size() % kReplicas == 0);
  ECSIM_ASSERT(c.timeout > sim::Duration{0});
  ECSIM_ASSERT(c.requests_max > 0 && c.requests_max <= kRequestsMax);
  // Request ids (incarnation << 40 | seq) must stay below the tag bits.
  ECSIM_ASSERT(c.incarnation < (1u << 20));
  std::vector<NodeId> r = c.replicas;
  std::sort(r.begin(), r.end());
  ECSIM_ASSERT(std::adjacent_find(r.begin(), r.end()) == r.end());
}

// `n`'s place among the replicas of `group` (0 .. kReplicas - 1), or
// nullopt when it is not one of them.
std::optional<size_t> replica_index(const ClientConfig& c, uint32_t group, NodeId n) {
  for (size_t i = 0; i < kReplicas; ++i) {
    if (c.replicas[group * kReplicas + i] == n) return i;
  }
  return std::nullopt;
}

uint32_t group_of(const ClientConfig& c, uint64_t key) { return key_group(key, c.replicas.size() / kReplicas); }

NodeId replica_of(const ClientConfig& c, uint32_t group, size_t i) { return c.replicas[group * kReplicas + i]; }

uint64_t make_req_id(const ClientConfig& c, uint64_t& next_seq) {
  ECSIM_ASSERT(next_seq <= kSeqMax);
  return (uint64_t{c.incarnation} << kSeqBits) | next_seq++;
}

void client_trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer,
                  uint32_t kind, uint64_t a, uint64_t b) {
  env.trace(sim::Record{env.now().ns, type, code, env.self(), peer, kind, a, b});
}

void client_send(Env<Message>& env, NodeId dst, const Message& m) {
  env.send(dst, m, wire_size_bytes(m));
}

// A request's timer tag is its tag bit and its slot (the generation's top
// bits cut off to make room for the tag bits), so a timer finds its request
// without a lookup by id. Tags are the clients' own: the owner routes them
// and never traces them (only a stale one is traced, kStaleTimer).
constexpr uint64_t kSlotTagMask = (uint64_t{1} << 61) - 1;
static_assert((kSlotTagMask & (kWriterTagBit | kReaderTagBit | kReplicaTagBit)) == 0);

uint64_t slot_tag(uint64_t tag_bit, uint64_t slot) { return tag_bit | (slot & kSlotTagMask); }

// The live slot `tag` names in `pool`, or kNone.
template <class T>
uint64_t slot_of_tag(const sim::SlotPool<T>& pool, uint64_t tag) {
  const uint64_t slot = pool.live_id(static_cast<uint32_t>(tag));
  return (slot & kSlotTagMask) == (tag & kSlotTagMask) ? slot : sim::SlotPool<T>::kNone;
}

}  // namespace

QuorumWriter::QuorumWriter(ClientConfig config)
    : config_(std::move(config)), pending_(static_cast<uint32_t>(config_.requests_max)) {
  check_client_config(config_);
}

std::optional<uint64_t> QuorumWriter::write(Env<Message>& env, uint64_t key, uint64_t value,
                                            Version version) {
  if (pending_.full()) {
    ++counters_.refused_full;
    client_trace(env, kRecordRefused, static_cast<uint16_t>(Refusal::kPendingFull), 0, 0, key, 0);
    return std::nullopt;
  }
  const uint64_t req_id = make_req_id(config_, next_seq_);
  const uint32_t group = group_of(config_, key);
  const uint64_t slot = pending_.acquire(Pending{WriteReq{req_id, key, value, version}, group, {}, 1, 0, env.now()});
  ECSIM_ASSERT(slot != sim::SlotPool<Pending>::kNone);
  Pending& p = pending_.at(slot);
  p.req.slot = slot;
  for (size_t i = 0; i < kReplicas; ++i) client_send(env, replica_of(config_, group, i), p.req);
  client_trace(env, kRecordWriteStarted, 0, 0, 0, key, req_id);
  (void)reach(env, Point::kStorageWriterAfterSend);  // the rest is bookkeeping a crash discards
  p.timer = env.set_timer(config_.timeout, slot_tag(kWriterTagBit, slot));
  ++counters_.started;
  ECSIM_ASSERT(pending_.size() <= config_.requests_max);
  return req_id;
}

// The ack echoes the write's slot; a slot that is free or holds another
// request (a later tenant, or this writer after a restart) makes it late.
void QuorumWriter::on_ack(Env<Message>& env, NodeId from, const WriteAck& a) {
  Pending* p = pending_.find(a.slot);
  if (p != nullptr && p->req.req_id != a.req_id) p = nullptr;
  const std::optional<size_t> index = p == nullptr ? std::nullopt : replica_index(config_, p->group, from);
  Ignored why{};
  if (p == nullptr) {
    why = Ignored::kLateAnswer;
  } else if (!index) {
    why = Ignored::kNotReplica;
  } else if (a.key != p->req.key || a.version != p->req.version) {
    why = Ignored::kMismatch;
  } else if (p->acked[*index]) {
    why = Ignored::kDuplicate;
  } else {
    p->acked[*index] = true;
    const auto acks = std::count(p->acked.begin(), p->acked.end(), true);
    // Planted bug: one replica's ack is taken for a quorum.
    const size_t quorum = planted(Plant::kStorageQuorumOfOne) ? 1 : kQuorum;
    if (static_cast<size_t>(acks) < quorum || reach(env, Point::kStorageWriterAfterQuorum)) return;
    finish(env, a.slot, true);
    return;
  }
  ++counters_.ignored;
  client_trace(env, kRecordIgnored, static_cast<uint16_t>(why), from, 0, a.req_id, 0);
}

void QuorumWriter::on_timer(Env<Message>& env, uint64_t tag) {
  ECSIM_ASSERT(is_writer_tag(tag));
  const uint64_t slot = slot_of_tag(pending_, tag);
  if (slot == sim::SlotPool<Pending>::kNone) {
    ++counters_.ignored;
    client_trace(env, kRecordIgnored, static_cast<uint16_t>(Ignored::kStaleTimer), 0, 0, tag, 0);
    return;
  }
  Pending& p = pending_.at(slot);
  if (p.attempts > config_.retries_max) {
    finish(env, slot, false);
    return;
  }
  ++p.attempts;
  for (size_t i = 0; i < kReplicas; ++i) {
    if (p.acked[i]) continue;
    client_send(env, replica_of(config_, p.group, i), p.req);
    ++counters_.resends;
  }
  p.timer = env.set_timer(config_.timeout, tag);
}

void QuorumWriter::finish(Env<Message>& env, uint64_t slot, bool ok) {
  const Pending& p = pending_.at(slot);
  const uint64_t req_id = p.req.req_id;
  env.cancel_timer(p.timer);
  const auto acks = static_cast<uint32_t>(std::count(p.acked.begin(), p.acked.end(), true));
  ECSIM_ASSERT(!ok || acks >= kQuorum || planted(Plant::kStorageQuorumOfOne));
  done_.push_back(WriteCompletion{req_id, p.req.key, p.req.version, ok, acks, p.attempts,
                                  env.now() - p.started});
  ok ? ++counters_.ok : ++counters_.failed;
  const auto outcome = ok ? QuorumOutcome::kWriteOk : QuorumOutcome::kWriteFailed;
  client_trace(env, kRecordQuorum, static_cast<uint16_t>(outcome), p.req.version.writer, p.attempts,
               p.req.key, p.req.version.counter);
  pending_.release(slot);
}

void QuorumWriter::take_completions(std::vector<WriteCompletion>& out) {
  out.clear();
  out.swap(done_);
}

QuorumReader::QuorumReader(ClientConfig config)
    : config_(std::move(config)), pending_(static_cast<uint32_t>(config_.requests_max)) {
  check_client_config(config_);
}

std::optional<uint64_t> QuorumReader::read(Env<Message>& env, uint64_t key) {
  if (pending_.full()) {
    ++counters_.refused_full;
    client_trace(env, kRecordRefused, static_cast<uint16_t>(Refusal::kPendingFull), 0, 0, key, 0);
    return std::nullopt;
  }
  const uint64_t req_id = make_req_id(config_, next_seq_);
  const uint64_t slot = pending_.acquire(Pending{});
  ECSIM_ASSERT(slot != sim::SlotPool<Pending>::kNone);
  Pending& p = pending_.at(slot);
  p.req_id = req_id;
  p.key = key;
  p.group = group_of(config_, key);
  p.started = env.now();
  for (size_t i = 0; i < kReplicas; ++i) {
    client_send(env, replica_of(config_, p.group, i), ReadReq{req_id, key, slot});
  }
  p.timer = env.set_timer(config_.timeout, slot_tag(kReaderTagBit, slot));
  ++counters_.started;
  ECSIM_ASSERT(pending_.size() <= config_.requests_max);
  return req_id;
}

// The answer echoes the read's slot, as in QuorumWriter::on_ack.
void QuorumReader::on_resp(Env<Message>& env, NodeId from, const ReadResp& r) {
  Pending* found = pending_.find(r.slot);
  if (found != nullptr && found->req_id != r.req_id) found = nullptr;
  const std::optional<size_t> index = found == nullptr ? std::nullopt : replica_index(config_, found->group, from);
  Ignored why{};
  if (found == nullptr) {
    why = Ignored::kLateAnswer;
  } else if (!index) {
    why = Ignored::kNotReplica;
  } else if (r.key != found->key) {
    why = Ignored::kMismatch;
  } else if (found->answered[*index]) {
    why = Ignored::kDuplicate;
  } else {
    Pending& p = *found;
    p.answered[*index] = true;
    ++p.answers;
    // The highest version among the answers: it is >= every acknowledged one.
    if (r.found && (!p.found || r.version > p.version)) {
      p.found = true;
      p.value = r.value;
      p.version = r.version;
    }
    if (p.answers >= kQuorum) finish(env, r.slot, true);
    return;
  }
  ++counters_.ignored;
  client_trace(env, kRecordIgnored, static_cast<uint16_t>(why), from, 0, r.req_id, 0);
}

void QuorumReader::on_timer(Env<Message>& env, uint64_t tag) {
  ECSIM_ASSERT(is_reader_tag(tag));
  const uint64_t slot = slot_of_tag(pending_, tag);
  if (slot == sim::SlotPool<Pending>::kNone) {
    ++counters_.ignored;
    client_trace(env, kRecordIgnored, static_cast<uint16_t>(Ignored::kStaleTimer), 0, 0, tag, 0);
    return;
  }
  Pending& p = pending_.at(slot);
  if (p.attempts > config_.retries_max) {
    finish(env, slot, false);
    return;
  }
  ++p.attempts;
  for (size_t i = 0; i < kReplicas; ++i) {
    if (p.answered[i]) continue;
    client_send(env, replica_of(config_, p.group, i), ReadReq{p.req_id, p.key, slot});
    ++counters_.resends;
  }
  p.timer = env.set_timer(config_.timeout, tag);
}

void QuorumReader::finish(Env<Message>& env, uint64_t slot, bool ok) {
  const Pending& p = pending_.at(slot);
  const uint64_t req_id = p.req_id;
  env.cancel_timer(p.timer);
  ECSIM_ASSERT(!ok || p.answers >= kQuorum);
  done_.push_back(ReadCompletion{req_id, p.key, ok, p.found, p.value, p.version, p.answers,
                                 p.attempts, env.now() - p.started});
  ok ? ++counters_.ok : ++counters_.failed;
  const auto outcome = ok ? QuorumOutcome::kReadOk : QuorumOutcome::kReadFailed;
  client_trace(env, kRecordQuorum, static_cast<uint16_t>(outcome), p.version.writer, p.attempts,
               p.key, p.version.counter);
  pending_.release(slot);
}

void QuorumReader::take_completions(std::vector<ReadCompletion>& out) {
  out.clear();
  out.swap(done_);
}

}  // namespace ecsim::proto::storage
