// The storage replica's write-ahead log: the record encoding, the replay at
// start, and the checkpoint that keeps the log in proportion to the keys
// (proto/storage.hpp, "Checkpoints").

#include <algorithm>
#include <vector>

#include "ecsim/proto/log_codec.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::storage {

namespace {

constexpr uint8_t kKindPut = 1;
constexpr uint8_t kKindMark = 2;

using log_codec::fnv1a;
using log_codec::get_le;
using log_codec::put_le;

}  // namespace

std::string encode(const WalRecord& r) {
  std::string out;
  out.reserve(kWalPutBytes);
  std::visit(Overloaded{
                 [&](const WalPut& p) {
                   out.push_back(static_cast<char>(kKindPut));
                   put_le(out, p.key);
                   put_le(out, p.value);
                   put_le(out, p.version.counter);
                   put_le(out, p.version.writer);
                   put_le(out, p.updated_at_ns);
                 },
                 [&](const WalMark& m) {
                   out.push_back(static_cast<char>(kKindMark));
                   put_le(out, m.peer);
                   put_le(out, m.as_of_ns);
                 },
             },
             r);
  put_le(out, fnv1a(out));
  ECSIM_ASSERT(out.size() == (std::holds_alternative<WalPut>(r) ? kWalPutBytes : kWalMarkBytes));
  return out;
}

std::optional<WalRecord> decode(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  const auto kind = static_cast<uint8_t>(bytes[0]);
  const size_t expected = kind == kKindPut ? kWalPutBytes : kind == kKindMark ? kWalMarkBytes : 0;
  // A partial (torn) record is shorter than its kind's size; a corrupted kind byte
  // is unknown or names the other size.
  if (expected == 0 || bytes.size() != expected) return std::nullopt;
  const size_t body = expected - 4;
  if (get_le<uint32_t>(bytes, body) != fnv1a(bytes.substr(0, body))) return std::nullopt;
  if (kind == kKindMark) return WalMark{get_le<uint32_t>(bytes, 1), get_le<int64_t>(bytes, 5)};
  return WalPut{get_le<uint64_t>(bytes, 1), get_le<uint64_t>(bytes, 9),
                Version{get_le<uint64_t>(bytes, 17), get_le<uint32_t>(bytes, 25)},
                get_le<int64_t>(bytes, 29)};
}

void Replica::replay(Env<Message>& env, StorageIo& io) {
  const node::Disk& disk = io.disk();
  bool voided = false;
  for (size_t i = disk.first(); i < disk.length(); ++i) {
    const std::optional<WalRecord> r = decode(disk.entry(i));
    if (!r) {
      ++counters_.wal_rejected;
      trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kRejected), 0, i, disk.length());
      voided = true;
      continue;
    }
    ++counters_.wal_replayed;
    std::visit(Overloaded{
                   [&](const WalPut& p) { apply(p, i + 1, 0); },
                   [&](const WalMark& m) {
                     if (PeerCatchUp* peer = find_peer(m.peer)) {
                       peer->mark_ns = std::max(peer->mark_ns, m.as_of_ns);
                     }
                   },
               },
               *r);
  }
  // A lost record may be one a mark vouches for: only a full pass is safe.
  if (voided) {
    for (PeerCatchUp& p : catch_up_) p.mark_ns = 0;
    trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kMarksVoided), 0, 0, disk.length());
  }
  // One record per key, in key order.
  std::vector<uint64_t> keys;
  keys.reserve(entries_.size());
  entries_.for_each([&keys](uint64_t key, const Stored&) { keys.push_back(key); });
  std::sort(keys.begin(), keys.end());
  for (const uint64_t key : keys) {
    const Stored& stored = entries_.at(key);
    trace(env, kRecordRecovered, 0, stored.version.writer, key, stored.version.counter);
  }
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kReplayed), 0, counters_.wal_replayed,
        disk.length());
}

// A checkpoint rewrites what the log stands for -- every key's version and
// every peer's catch-up mark, as the replica holds them -- after the log's
// end, and once that copy is durable drops everything before it. Replay is
// unchanged: it applies the newest version of each key wherever it finds
// it, so a crash at any moment recovers what it would have without the
// checkpoint (an unfinished copy only repeats versions the older entries
// still hold; the copy's marks follow its entries, so a surviving mark
// still implies its entries survived).
void Replica::maybe_checkpoint(StorageIo& io) {
  node::Disk& disk = io.disk();
  if (checkpoint_end_ != 0) return;  // one at a time: the last is not durable yet
  if (disk.retained() <= 2 * entries_.size() + config_.wal_slack) return;
  std::vector<uint64_t> keys;
  keys.reserve(entries_.size());
  entries_.for_each([&keys](uint64_t key, const Stored&) { keys.push_back(key); });
  std::sort(keys.begin(), keys.end());
  const uint64_t begin = disk.length();
  for (const uint64_t key : keys) {
    const Stored& st = entries_.at(key);
    // A full disk leaves the copy unfinished, which is harmless: the entries
    // before it stay until a later checkpoint completes.
    if (!disk.append(encode(WalPut{key, st.value, st.version, st.updated_at_ns}))) return;
  }
  for (const PeerCatchUp& p : catch_up_) {
    if (p.mark_ns > 0 && !disk.append(encode(WalMark{p.peer, p.mark_ns}))) return;
  }
  counters_.wal_appended += disk.length() - begin;
  checkpoint_begin_ = begin;
  checkpoint_end_ = disk.length();
}

void Replica::finish_checkpoint(Env<Message>& env, StorageIo& io, uint64_t durable_length) {
  if (checkpoint_end_ == 0 || durable_length < checkpoint_end_) return;
  node::Disk& disk = io.disk();
  // Planted bug: an off-by-one of the checkpoint's bounds truncates through
  // the copy (to its end, not its start), so the log keeps only the versions
  // written since: the next replay misses every key not written again.
  const uint64_t cut = planted(Plant::kStorageCheckpointTruncatesCopy) ? checkpoint_end_ : checkpoint_begin_;
  const size_t dropped = disk.first() < cut ? disk.truncate_front(cut) : 0;
  ++counters_.wal_checkpoints;
  counters_.wal_truncated += dropped;
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kCheckpointed), 0, dropped, disk.length());
  checkpoint_begin_ = 0;
  checkpoint_end_ = 0;
}

}  // namespace ecsim::proto::storage
