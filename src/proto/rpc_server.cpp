// The RPC server: request de-duplication by call id (a response cache),
// connection handshakes, responses. The client is in rpc.cpp and
// rpc_connections.cpp.
#include <algorithm>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/proto/rpc.hpp"

namespace ecsim::proto::rpc {

ServerCounters& ServerCounters::operator+=(const ServerCounters& o) {
  requests += o.requests;
  executed += o.executed;
  duplicates_cached += o.duplicates_cached;
  duplicates_executing += o.duplicates_executing;
  refused_busy += o.refused_busy;
  refused_stale += o.refused_stale;
  responses_sent += o.responses_sent;
  response_bytes += o.response_bytes;
  handshake_messages += o.handshake_messages;
  handshakes_invalid += o.handshakes_invalid;
  cache_evictions += o.cache_evictions;
  return *this;
}

Server::Server(Env<Message>& env, ServerConfig config) : env_(env), config_(config) {
  ECSIM_ASSERT(config_.cache_min >= 1 && config_.cache_max >= 1 && config_.executing_max >= 1);
  ECSIM_ASSERT(config_.cache_keep >= sim::Duration{0});
  config_.cache_min = std::min(config_.cache_min, config_.cache_max);
}

std::optional<Incoming> Server::on_request(NodeId from, const Request& r) {
  ECSIM_ASSERT(r.call_id != 0);
  ++counters_.requests;
  const Key key{from, r.call_id};
  if (Entry* found = entries_.find(key)) {
    Entry& e = *found;
    e.conn_id = r.conn_id;  // answer on the connection the client waits on now
    if (!e.done) {
      ++counters_.duplicates_executing;
      serve_trace(from, r, ServeOutcome::kInProgress);
      return std::nullopt;
    }
    ++counters_.duplicates_cached;
    const Response response = response_of(r.call_id, e);  // before anything else runs: e moves on insert
    serve_trace(from, r, ServeOutcome::kCached);
    send_response(from, response);
    return std::nullopt;
  }
  if (forgotten(from, r.call_id)) {
    // A late copy of a call that ran here must not run again (at most
    // once): the server refuses what it forgot.
    ++counters_.refused_stale;
    serve_trace(from, r, ServeOutcome::kStale);
    send_response(from, Response{r.call_id, r.conn_id, static_cast<uint16_t>(Code::kStale), 0, 0});
    return std::nullopt;
  }
  if (executing_ >= config_.executing_max) {
    ++counters_.refused_busy;
    serve_trace(from, r, ServeOutcome::kBusy);
    send_response(from,
                  Response{r.call_id, r.conn_id, static_cast<uint16_t>(Code::kServerBusy), 0, 0});
    return std::nullopt;
  }
  if (reach(env_, Point::kRpcServerBeforeExecute)) return std::nullopt;
  entries_.try_emplace(key).first->conn_id = r.conn_id;
  account();
  ++executing_;
  ++counters_.executed;
  serve_trace(from, r, ServeOutcome::kExecute);
  return Incoming{from, r.call_id, r.method, r.body_handle, r.body_bytes};
}

void Server::on_conn_open(NodeId from, const ConnOpen& o) {
  if (o.step >= kHandshakeStepsMax) {
    ++counters_.handshakes_invalid;
    env_.trace({env_.now().ns, kRecordIgnored, static_cast<uint16_t>(Ignored::kStaleAccept),
                env_.self(), from, 0, o.conn_id, 0});
    return;
  }
  ++counters_.handshake_messages;
  env_.send(from, ConnAccept{o.conn_id, o.step}, conn_accept_size_bytes(o.step));
}

void Server::respond(NodeId to, uint64_t call_id, uint16_t code, uint64_t body_handle,
                     uint32_t body_bytes) {
  const Key key{to, call_id};
  Entry* found = entries_.find(key);
  ECSIM_ASSERT(found != nullptr && !found->done);
  ECSIM_ASSERT(executing_ > 0);
  if (reach(env_, Point::kRpcServerAfterExecute)) return;
  Entry& e = *found;
  e.done = true;
  e.code = code;
  e.body_handle = body_handle;
  e.body_bytes = body_bytes;
  const Response response = response_of(call_id, e);
  --executing_;
  if (planted(Plant::kRpcNoResponseCache)) {  // planted bug: nothing remembers the answer
    entries_.erase(key);
    send_response(to, response);
    return;
  }
  done_order_.push_back(Done{key, env_.now().ns});
  account();
  if (!send_response(to, response)) return;
  evict();
  ECSIM_ASSERT(entries_.size() == executing_ + done_order_.size());
}

bool Server::send_response(NodeId to, const Response& r) {
  if (reach(env_, Point::kRpcServerBeforeRespond)) return false;
  const uint32_t bytes = size_bytes(r);
  ++counters_.responses_sent;
  counters_.response_bytes += bytes;
  env_.send(to, r, bytes);
  return true;
}

// Drops the oldest finished entries beyond cache_min that are as old as
// cache_keep, and any beyond cache_max, remembering each dropped call id: a
// copy that arrives later, however late, is refused as stale instead of
// running again.
void Server::evict() {
  const int64_t keep_from = env_.now().ns - config_.cache_keep.ns;
  while (done_order_.size() > config_.cache_max ||
         (done_order_.size() > config_.cache_min && done_order_.front().at_ns <= keep_from)) {
    const Key& oldest = done_order_.front().key;
    forget(oldest.client, oldest.call_id);
    entries_.erase(oldest);
    done_order_.pop_front();
    ++counters_.cache_evictions;
  }
}

namespace {
constexpr uint64_t kForgottenWords = Server::kForgottenWindow / 64;
}  // namespace

void Server::account() {
  const auto bytes = static_cast<int64_t>(entries_.slot_count() * decltype(entries_)::slot_bytes() +
                                          done_order_.capacity() * sizeof(Done) +
                                          forgotten_.capacity() * sizeof(Forgotten) +
                                          forgotten_words_ * sizeof(uint64_t));
  if (bytes != bytes_.bytes()) bytes_.set_bytes(bytes);
}

void Server::forget(NodeId client, uint64_t call_id) {
  if (client >= forgotten_.size()) forgotten_.resize(size_t{client} + 1);
  Forgotten& f = forgotten_[client];
  const uint64_t word = call_id / 64;
  if (f.words.empty()) {
    f.words.assign(kForgottenWords, 0);
    forgotten_words_ += kForgottenWords;
    account();
    f.base = (word >= kForgottenWords - 1 ? word - (kForgottenWords - 1) : 0) * 64;
  }
  if (call_id < f.base) return;  // refused already: below the window
  const uint64_t base_word = f.base / 64;
  if (word >= base_word + kForgottenWords) {
    // Slide the window up to end at this id; the words it leaves are cleared
    // for the ids they now stand for.
    const uint64_t new_base_word = word - (kForgottenWords - 1);
    const uint64_t moved = new_base_word - base_word;
    if (moved >= kForgottenWords) {
      std::fill(f.words.begin(), f.words.end(), 0);
    } else {
      for (uint64_t w = base_word + kForgottenWords; w <= word; ++w) f.words[w % kForgottenWords] = 0;
    }
    f.base = new_base_word * 64;
  }
  f.words[word % kForgottenWords] |= uint64_t{1} << (call_id % 64);
}

bool Server::forgotten(NodeId client, uint64_t call_id) const {
  if (client >= forgotten_.size() || forgotten_[client].words.empty()) return false;
  const Forgotten& f = forgotten_[client];
  if (call_id < f.base) return true;
  const uint64_t word = call_id / 64;
  if (word >= f.base / 64 + kForgottenWords) return false;  // newer than anything evicted
  return (f.words[word % kForgottenWords] >> (call_id % 64) & 1) != 0;
}

void Server::serve_trace(NodeId from, const Request& r, ServeOutcome outcome) {
  env_.trace({env_.now().ns, kRecordServe, static_cast<uint16_t>(outcome), env_.self(), from,
              static_cast<uint32_t>(r.method), r.call_id, 0});
}

}  // namespace ecsim::proto::rpc
