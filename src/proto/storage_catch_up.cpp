// The storage replica's catch-up after a restart: the passes it asks of its
// peers, the batches a peer serves, the waits between them (proto/storage.hpp,
// "Catch-up").

#include <algorithm>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::storage {

namespace {

WalPut put_of(const CatchUpEntry& e, int64_t now_ns) { return WalPut{e.key, e.value, e.version, now_ns}; }

}  // namespace

void Replica::request_batch(Env<Message>& env, PeerCatchUp& p) {
  p.req_id = next_req_id_++;
  ECSIM_ASSERT(p.req_id < kReplicaTagBit && (p.req_id >> 40) == config_.incarnation);
  if (p.retries == 0) {
    p.cursor_req_first = p.req_id;
    p.cursor_req_first_ns = env.now().ns;
  }
  p.sent[p.sent_next] = PeerCatchUp::Sent{p.req_id, env.now().ns};
  p.sent_next = (p.sent_next + 1) % kCatchUpSentKept;
  // The pass's first request (no start yet) has the peer bound the sweep
  // by time at its own time, which becomes the pass's start. (No entry is
  // stamped before 0: a pass that starts at 0 ends that sweep at once.)
  const int64_t since = p.by_key ? p.pass_start_ns : p.cursor_ns;
  send(env, p.peer,
       CatchUpReq{p.req_id, since, p.cursor_key, std::max<int64_t>(p.pass_start_ns, 0), p.by_key});
  p.timer = env.set_timer(catch_up_wait(p.retries), kReplicaTagBit | p.req_id);
  ++counters_.catch_up_requests_sent;
  trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kRequested), p.peer, 0,
        static_cast<uint64_t>(since));
}

void Replica::on_catch_up_req(Env<Message>& env, NodeId from, const CatchUpReq& r) {
  if (find_peer(from) == nullptr) {
    refuse(env, Refusal::kNotPeer, from, 0, r.req_id);
    return;
  }
  CatchUpResp resp;
  resp.req_id = r.req_id;
  resp.as_of_ns = env.now().ns;
  // A pass begun (its start P: the bound of a later request) before this
  // life: the crash may have taken versions it had not synced, putting
  // their keys back at older stamps, behind the pass's cursor. Strictly
  // before: a pass begun at this life's start instant is this life's.
  const int64_t pass_start = r.by_key ? r.since_ns : r.until_ns;
  if (config_.incarnation > 0 && pass_start > 0 && pass_start < started_ns_) {
    resp.restart_pass = true;
  } else if (r.by_key) {
    serve_by_key(r, resp);
  } else {
    const int64_t until = r.until_ns > 0 ? r.until_ns : resp.as_of_ns;
    auto it = by_time_.lower_bound({r.since_ns, r.from_key});
    const auto end = by_time_.lower_bound({until, 0});
    for (; it != end && resp.entries.size() < kCatchUpBatchMax; ++it) {
      const Stored& s = entries_.at(it->second);
      resp.entries.push_back(CatchUpEntry{it->second, s.value, s.version, s.updated_at_ns});
    }
    resp.more = it != end;
    if (resp.more) {
      // The next cursor is the first entry not sent.
      resp.next_since_ns = it->first;
      resp.next_key = it->second;
    }
  }
  ++counters_.catch_up_batches_served;
  counters_.catch_up_entries_served += resp.entries.size();
  trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kServed), from,
        resp.entries.size(), static_cast<uint64_t>(r.since_ns));
  send(env, from, std::move(resp));
}

void Replica::serve_by_key(const CatchUpReq& r, CatchUpResp& resp) const {
  auto it = by_key_.lower_bound(r.from_key);
  for (size_t scanned = 0;
       it != by_key_.end() && resp.entries.size() < kCatchUpBatchMax && scanned < kCatchUpScanMax;
       ++it, ++scanned) {
    const Stored& s = entries_.at(*it);
    if (s.updated_at_ns < r.since_ns || s.created_at_ns >= r.since_ns) continue;
    resp.entries.push_back(CatchUpEntry{*it, s.value, s.version, s.updated_at_ns});
  }
  resp.more = it != by_key_.end();
  if (resp.more) {
    resp.next_since_ns = r.since_ns;
    resp.next_key = *it;
  }
}

void Replica::on_catch_up_resp(Env<Message>& env, StorageIo& io, NodeId from,
                               const CatchUpResp& r) {
  // Any request at the current cursor asked the same: an answer to an
  // earlier one that came after its timeout is as good (with a round trip
  // over the timeout only late answers ever come).
  PeerCatchUp* p = find_peer(from);
  if (p == nullptr || p->req_id == 0 || r.req_id < p->cursor_req_first || r.req_id > p->req_id) {
    ignore(env, Ignored::kStaleCatchUp, from, r.req_id);
    return;
  }
  // A batch must be bounded and its cursor must move forward, or the pass
  // might never end.
  const bool forward =
      p->by_key ? r.next_key > p->cursor_key
                : std::pair{r.next_since_ns, r.next_key} > std::pair{p->cursor_ns, p->cursor_key};
  // A restart answer carries nothing: no entries, no cursor to move.
  if (r.entries.size() > kCatchUpBatchMax || (r.more && !forward) ||
      (r.restart_pass && (r.more || !r.entries.empty()))) {
    ignore(env, Ignored::kMismatch, from, r.req_id);
    return;
  }
  env.cancel_timer(p->timer);
  if (r.req_id != p->req_id) note_late_answer(env, *p, r.req_id);
  p->req_id = 0;
  p->retries = 0;
  if (r.restart_pass) {
    // From the mark again: the peer restarted since this pass began.
    ++counters_.catch_up_passes_restarted;
    trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kPassRestarted), from, 0,
          static_cast<uint64_t>(p->pass_start_ns));
    p->cursor_ns = p->mark_ns;
    p->cursor_key = 0;
    p->pass_start_ns = -1;
    p->by_key = false;
    p->pass_refused = false;
    request_batch(env, *p);
    return;
  }
  if (p->pass_start_ns < 0) p->pass_start_ns = r.as_of_ns;
  for (const CatchUpEntry& e : r.entries) {
    const Stored* held = entries_.find(e.key);
    if (held == nullptr && entries_.size() >= config_.keys_max) {
      refuse(env, Refusal::kKeysFull, from, e.key, r.req_id);
      p->pass_refused = true;
      continue;
    }
    const bool wins = held == nullptr || held->version < e.version;
    uint64_t durable_at = 0;
    if (!put(io, put_of(e, env.now().ns), &durable_at)) {
      refuse(env, Refusal::kDiskFull, from, e.key, r.req_id);
      give_up(env, *p);
      return;
    }
    counters_.catch_up_entries_applied += wins;
    trace(env, kRecordCatchUpEntry, 0, e.version.writer, e.key, e.version.counter, from);
  }
  trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kApplied), from, r.entries.size(),
        static_cast<uint64_t>(p->cursor_ns));
  if (reach(env, Point::kStorageReplicaAfterCatchUpBatch)) return;
  if (r.more) {
    if (!p->by_key) p->cursor_ns = r.next_since_ns;
    p->cursor_key = r.next_key;
    request_batch(env, *p);
    return;
  }
  if (!p->by_key) {
    // The sweep by time is over: the entries changed since the pass began.
    p->by_key = true;
    p->cursor_key = 0;
    request_batch(env, *p);
    return;
  }
  end_pass(env, io, *p);
}

void Replica::end_pass(Env<Message>& env, StorageIo& io, PeerCatchUp& p) {
  // Logged after the pass's entries: a crash keeps a prefix of the log, so a
  // surviving mark implies its entries survived.
  const WalMark mark{p.peer, p.pass_refused ? p.mark_ns : p.pass_start_ns};
  if (!io.disk().append(encode(mark))) {
    refuse(env, Refusal::kDiskFull, p.peer, 0, 0);
    give_up(env, p);
    return;
  }
  ++counters_.wal_appended;
  p.mark_ns = mark.as_of_ns;
  p.mark_wal_length = io.disk().length();
  p.pass_start_ns = -1;
  p.by_key = false;
  p.pass_refused = false;
  want_sync(io);
}

void Replica::give_up(Env<Message>& env, PeerCatchUp& p) {
  if (p.req_id != 0) env.cancel_timer(p.timer);
  p.req_id = 0;
  ++counters_.catch_up_gave_up;
  trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kGaveUp), p.peer, 0,
        static_cast<uint64_t>(p.cursor_ns));
}

void Replica::on_timer(Env<Message>& env, StorageIo& io, uint64_t tag) {
  (void)io;
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(is_replica_tag(tag));
  const uint64_t req_id = tag & ~kReplicaTagBit;
  const auto it = std::find_if(catch_up_.begin(), catch_up_.end(),
                               [&](const PeerCatchUp& p) { return p.req_id == req_id; });
  if (req_id == 0 || it == catch_up_.end()) {
    ignore(env, Ignored::kStaleTimer, self_, tag);
    return;
  }
  // The request or its answer was lost, or the peer is down or cut off: ask
  // again from the same cursor (a late answer to the old request still
  // counts: on_catch_up_resp), backing off once the retries at the timeout are spent. Never
  // given up: a partition that outlasts the retries heals some time.
  if (it->retries < UINT32_MAX) ++it->retries;
  if (it->retries > config_.catch_up_retries_max) {
    ++counters_.catch_up_backoffs;
    trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kBackingOff), it->peer, 0,
          static_cast<uint64_t>(catch_up_wait(it->retries).ns));
  }
  request_batch(env, *it);
  check_invariants();
}

sim::Duration Replica::catch_up_wait(uint32_t retries) const {
  if (retries <= config_.catch_up_retries_max) return config_.catch_up_timeout;
  const uint32_t doublings = std::min<uint32_t>(retries - config_.catch_up_retries_max, 30);
  const int64_t cap = std::max(config_.catch_up_backoff_max.ns, config_.catch_up_timeout.ns);
  const int64_t wait = config_.catch_up_timeout.ns > (cap >> doublings) ? cap : config_.catch_up_timeout.ns << doublings;
  return sim::Duration{wait};
}

void Replica::note_late_answer(Env<Message>& env, PeerCatchUp& p, uint64_t req_id) {
  const auto sent = std::find_if(p.sent.begin(), p.sent.end(),
                                 [&](const PeerCatchUp::Sent& x) { return x.req_id == req_id; });
  int64_t at_ns = -1;
  if (sent != p.sent.end()) at_ns = sent->at_ns;
  if (req_id == p.cursor_req_first) at_ns = p.cursor_req_first_ns;  // out of the ring after a long wait
  ++counters_.catch_up_answers_late;
  trace(env, kRecordCatchUp, static_cast<uint16_t>(CatchUpEvent::kAnsweredLate), p.peer,
        at_ns >= 0 ? static_cast<uint64_t>(at_ns) : 0, at_ns >= 0 ? static_cast<uint64_t>(env.now().ns - at_ns) : 0);
}

}  // namespace ecsim::proto::storage
