#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/sim/limits.hpp"

#include <algorithm>
#include <string_view>

#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::dsm {

namespace {


uint32_t digits(uint64_t v) { return decimal_digits(v); }

constexpr uint32_t len(std::string_view s) { return static_cast<uint32_t>(s.size()); }

// Elements joined by commas: n - 1 separators.
uint32_t commas(size_t n) { return n == 0 ? 0 : static_cast<uint32_t>(n - 1); }

// {"N":C,...}
uint32_t clock_bytes(const VectorClock& c) {
  uint32_t bytes = len("{}") + commas(c.entries.size());
  for (const auto& [node, counter] : c.entries)
    bytes += len("\"\":") + digits(node) + digits(counter);
  return bytes;
}

// {"key":K,"value":V,"clock":{..},"writer":W}
uint32_t entry_bytes(const Update& u) {
  return len(R"({"key":,"value":,"clock":,"writer":})") + digits(u.key) + digits(u.value) +
         clock_bytes(u.clock) + digits(u.writer);
}

// {"lo":L,"hi":H,"entries":[[K,H],...]}
uint32_t digest_bytes(const Digest& d) {
  uint32_t bytes = len(R"({"lo":,"hi":,"entries":[]})") + digits(d.key_lo) + digits(d.key_hi) +
                   commas(d.entries.size());
  for (const DigestEntry& e : d.entries) bytes += len("[,]") + digits(e.key) + digits(e.clock_hash);
  return bytes;
}

// {"entries":[{..},...],"pull":[K,...]}
uint32_t repair_bytes(const Repair& r) {
  uint32_t bytes =
      len(R"({"entries":[],"pull":[]})") + commas(r.entries.size()) + commas(r.pull.size());
  for (const Update& u : r.entries) bytes += entry_bytes(u);
  for (uint64_t k : r.pull) bytes += digits(k);
  return bytes;
}

// An entry as received from the network: a well-formed clock that counts
// the writer's own write.
bool well_formed(const Update& u) {
  return !u.clock.entries.empty() && vclock::is_valid(u.clock) && u.clock.get(u.writer) > 0;
}

}  // namespace

uint32_t wire_size_bytes(const Message& m, uint64_t rpc_id) {
  const auto [method, params] =
      std::visit(Overloaded{
                     [](const Update& u) {
                       return std::pair{len("dsm.update"), entry_bytes(u)};
                     },
                     [](const Digest& d) {
                       return std::pair{len("dsm.digest"), digest_bytes(d)};
                     },
                     [](const Repair& r) {
                       return std::pair{len("dsm.repair"), repair_bytes(r)};
                     },
                 },
                 m);
  return len(R"({"jsonrpc":"2.0","method":"","params":,"id":})") + method + params + digits(rpc_id);
}

bool wins(const VectorClock& clock_a, NodeId writer_a, uint64_t value_a, const VectorClock& clock_b,
          NodeId writer_b, uint64_t value_b) {
  const uint64_t sum_a = vclock::sum(clock_a);
  const uint64_t sum_b = vclock::sum(clock_b);
  if (sum_a != sum_b) return sum_a > sum_b;
  if (clock_a.entries != clock_b.entries) return clock_a.entries > clock_b.entries;
  if (writer_a != writer_b) return writer_a > writer_b;
  return value_a > value_b;
}

Replica::Replica(NodeId self, Config config)
    : self_(self), config_(std::move(config)), clock_(self) {
  ECSIM_ASSERT(config_.peers.size() <= kPeersMax);
  ECSIM_ASSERT(config_.anti_entropy_interval > sim::Duration{0});
  std::vector<NodeId> sorted = config_.peers;
  std::sort(sorted.begin(), sorted.end());
  ECSIM_ASSERT(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  ECSIM_ASSERT(!std::binary_search(sorted.begin(), sorted.end(), self_));
}

void Replica::start(Env<Message>& env) {
  ECSIM_ASSERT(env.self() == self_);
  env.set_timer(config_.anti_entropy_interval, kAntiEntropyTag);
}

std::optional<uint64_t> Replica::get(uint64_t key) const {
  const Stored* held = entries_.find(key);
  if (held == nullptr) return std::nullopt;
  return held->value;
}

bool Replica::set(Env<Message>& env, uint64_t key, uint64_t value) {
  ECSIM_ASSERT(env.self() == self_);
  Stored* held = entries_.find(key);
  if (held == nullptr && entries_.size() >= kKeysMax) {
    ++counters_.refused_full;
    sim::limit_reached(sim::Resource::kDsmKeys, self_);
    trace(env, Event::kRefusedFull, self_, key, value);
    return false;
  }
  // The replica's clock has merged every entry it holds, so the new write is
  // causally after the one it replaces and wins everywhere.
  const VectorClock& clock = clock_.on_send();
  ++counters_.sets;
  Update update{key, value, clock, self_};
  // Stored before the trace record: `held` points into a table that moves
  // on insert, and nothing may run between the lookup and its use.
  const bool new_key = held == nullptr;
  if (new_key) {
    entries_.insert(key, Stored::of(value, clock, self_));
  } else {
    held->assign(value, clock, self_);
  }
  trace(env, Event::kSet, self_, key, value);
  if (new_key) account_entries();  // after the record, as before: a limit's record follows it
  if (reach(env, Point::kDsmAfterSet)) return true;  // stored; the node stops before telling anyone
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    // The last peer's copy is the update itself (one clock copy fewer).
    if (i + 1 == config_.peers.size()) {
      send(env, config_.peers[i], std::move(update));
    } else {
      send(env, config_.peers[i], update);
    }
    ++counters_.updates_sent;
  }
  check_invariants();
  return true;
}

void Replica::on_message(Env<Message>& env, NodeId src, const Message& m) {
  ECSIM_ASSERT(env.self() == self_);
  std::visit(Overloaded{
                 [&](const Update& u) { on_update(env, u); },
                 [&](const Digest& d) { on_digest(env, src, d); },
                 [&](const Repair& r) { on_repair(env, src, r); },
             },
             m);
  check_invariants();
}

void Replica::on_message(Env<Message>& env, NodeId, const Update& u) {
  ECSIM_ASSERT(env.self() == self_);
  on_update(env, u);
  check_invariants();
}

void Replica::on_timer(Env<Message>& env, uint64_t tag) {
  ECSIM_ASSERT(tag == kAntiEntropyTag);  // the only timer this machine sets
  anti_entropy_round(env);
  env.set_timer(config_.anti_entropy_interval, kAntiEntropyTag);
}

void Replica::on_update(Env<Message>& env, const Update& u) { (void)apply(env, u); }

bool Replica::apply(Env<Message>& env, const Update& u) {
  if (!well_formed(u)) {
    ++counters_.dropped_invalid;
    trace(env, Event::kDroppedInvalid, u.writer, u.key, u.value);
    return false;
  }
  Stored* held = entries_.find(u.key);
  if (held == nullptr && entries_.size() >= kKeysMax) {
    ++counters_.refused_full;
    sim::limit_reached(sim::Resource::kDsmKeys, self_);
    trace(env, Event::kRefusedFull, u.writer, u.key, u.value);
    return false;
  }
  clock_.on_receive(u.clock);
  if (held == nullptr) {
    entries_.insert(u.key, Stored::of(u.value, u.clock, u.writer));
    account_entries();
    ++counters_.applied;
    trace(env, Event::kApplied, u.writer, u.key, u.value);
    return reach(env, Point::kDsmAfterApply);
  }
  Stored& local = *held;
  const bool concurrent = vclock::compare(u.clock, local.clock) == vclock::Order::kConcurrent;
  counters_.resolved_concurrent += concurrent ? 1 : 0;
  // Planted bug: the write that arrives last wins a conflict.
  const bool arrival_wins = concurrent && planted(Plant::kDsmArrivalOrderTiebreak);
  if (arrival_wins || wins(u.clock, u.writer, u.value, local.clock, local.writer, local.value)) {
    local.assign(u.value, u.clock, u.writer);
    ++counters_.applied;
    trace(env, Event::kApplied, u.writer, u.key, u.value);
    return reach(env, Point::kDsmAfterApply);
  } else if (local.clock == u.clock && local.writer == u.writer && local.value == u.value) {
    ++counters_.duplicates;
    trace(env, Event::kDuplicate, u.writer, u.key, u.value);
  } else {
    ++counters_.ignored_older;
    trace(env, Event::kIgnoredOlder, u.writer, u.key, u.value);
  }
  return false;
}

Digest Replica::next_digest() {
  Digest d;
  d.key_lo = cursor_key_;
  d.entries.reserve(std::min(entries_.size(), kDigestEntriesMax));
  const std::vector<uint64_t>& keys = entries_.keys();
  size_t i = entries_.lower_bound(cursor_key_);
  for (; i < keys.size() && d.entries.size() < kDigestEntriesMax; ++i) {
    d.entries.push_back({keys[i], entries_.at(keys[i]).clock_hash});
  }
  if (i == keys.size()) {
    // The walk reached the last key: this range is open-ended and the next
    // round starts again from the lowest key.
    d.key_hi = UINT64_MAX;
    cursor_key_ = 0;
  } else {
    d.key_hi = d.entries.back().key;
    cursor_key_ = d.key_hi + 1;  // cannot wrap: a larger key exists
  }
  return d;
}

void Replica::anti_entropy_round(Env<Message>& env) {
  // An empty replica has nothing to offer; the peers' digests make it pull.
  if (entries_.empty() || config_.peers.empty()) return;
  Digest digest = next_digest();
  // One digest to every peer: its size is counted once (only the id's
  // digits differ) and the last peer gets the digest itself, not a copy.
  const uint32_t size_without_id = wire_size_bytes(digest, 0) - digits(0);
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    ++rpc_id_;
    const uint32_t size_bytes = size_without_id + digits(rpc_id_);
    const bool last = i + 1 == config_.peers.size();
    env.send(config_.peers[i], last ? Message{std::move(digest)} : Message{digest}, size_bytes);
    ++counters_.digests_sent;
  }
}

void Replica::on_digest(Env<Message>& env, NodeId src, const Digest& d) {
  const bool ascending = std::adjacent_find(d.entries.begin(), d.entries.end(),
                                            [](const DigestEntry& x, const DigestEntry& y) {
                                              return x.key >= y.key;
                                            }) == d.entries.end();
  const bool in_range =
      d.entries.empty() || (d.entries.front().key >= d.key_lo && d.entries.back().key <= d.key_hi);
  if (d.key_lo > d.key_hi || d.entries.size() > kDigestEntriesMax || !ascending || !in_range) {
    ++counters_.dropped_invalid;
    trace(env, Event::kDroppedInvalid, src, d.key_lo, d.key_hi);
    return;
  }
  Repair repair;
  const std::vector<uint64_t>& keys = entries_.keys();
  size_t mine = entries_.lower_bound(d.key_lo);
  auto theirs = d.entries.begin();
  // Walk both sorted key lists over [key_lo, key_hi] at once.
  const auto offer = [&](uint64_t key, const Stored& held) {
    if (repair.entries.size() < kRepairEntriesMax) {
      repair.entries.push_back({key, held.value, held.clock, held.writer});
    }
  };
  while ((mine < keys.size() && keys[mine] <= d.key_hi) || theirs != d.entries.end()) {
    const bool have_mine = mine < keys.size() && keys[mine] <= d.key_hi;
    const bool mine_first = have_mine && (theirs == d.entries.end() || keys[mine] < theirs->key);
    const bool theirs_first = theirs != d.entries.end() && (!have_mine || theirs->key < keys[mine]);
    if (mine_first) {
      offer(keys[mine], entries_.at(keys[mine]));
      ++mine;
    } else if (theirs_first) {
      repair.pull.push_back(theirs->key);
      ++theirs;
    } else {
      // Same key: a hash mismatch cannot say which side is newer, so both
      // sides exchange their entries and each keeps the winner.
      const Stored& held = entries_.at(keys[mine]);
      if (held.clock_hash != theirs->clock_hash) {
        offer(keys[mine], held);
        repair.pull.push_back(theirs->key);
      }
      ++mine, ++theirs;
    }
  }
  if (repair.entries.empty() && repair.pull.empty()) return;
  counters_.repair_entries_sent += repair.entries.size();
  ++counters_.repairs_sent;
  send(env, src, std::move(repair));
}

void Replica::on_repair(Env<Message>& env, NodeId src, const Repair& r) {
  if (r.entries.size() > kRepairEntriesMax || r.pull.size() > kDigestEntriesMax) {
    ++counters_.dropped_invalid;
    trace(env, Event::kDroppedInvalid, src, r.entries.size(), r.pull.size());
    return;
  }
  for (const Update& u : r.entries) {
    if (apply(env, u)) return;
  }
  Repair answer;
  for (uint64_t key : r.pull) {
    const Stored* held = entries_.find(key);
    if (held == nullptr) continue;
    // A key the peer just sent is skipped if we now hold exactly its entry.
    const bool peer_has_it = std::any_of(r.entries.begin(), r.entries.end(), [&](const Update& u) {
      return u.key == key && u.clock == held->clock && u.writer == held->writer;
    });
    if (peer_has_it) continue;
    answer.entries.push_back({key, held->value, held->clock, held->writer});
  }
  if (answer.entries.empty()) return;
  counters_.repair_entries_sent += answer.entries.size();
  ++counters_.repairs_sent;
  send(env, src, std::move(answer));
}

void Replica::send(Env<Message>& env, NodeId dst, Message m) {
  ++rpc_id_;
  const uint32_t size_bytes = wire_size_bytes(m, rpc_id_);
  env.send(dst, std::move(m), size_bytes);
}

void Replica::trace(Env<Message>& env, Event e, NodeId writer, uint64_t key, uint64_t value) {
  sim::Record r;
  r.time_ns = env.now().ns;
  r.type = kRecordDsm;
  r.code = static_cast<uint16_t>(e);
  r.node = self_;
  r.peer = writer;
  r.a = key;
  r.b = value;
  env.trace(r);
}

void Replica::account_entries() {
  // A clock's buffer: 16 bytes per (node, counter) and the allocator's 16.
  const size_t clock_bytes = 16 + 16 * clock_.clock().entries.size();
  entries_bytes_.set_bytes(static_cast<int64_t>(entries_.bytes() + entries_.size() * clock_bytes));
}

void Replica::check_invariants() const {
  ECSIM_ASSERT(entries_.size() <= kKeysMax);
  ECSIM_ASSERT(vclock::is_valid(clock_.clock()));
}

}  // namespace ecsim::proto::dsm
