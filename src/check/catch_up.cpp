#include "ecsim/check/catch_up.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ecsim/check/durability.hpp"  // violation_text
#include "ecsim/proto/storage.hpp"     // the records it follows
#include "internal.hpp"

namespace ecsim::check {

namespace st = proto::storage;

namespace {
using internal::node_name;
using internal::seconds;
constexpr double kDeliveryMin = 0.5;  // a round trip gets through at least half the time
}  // namespace

CatchUpChecker::CatchUpChecker(std::vector<bool> cloud, std::vector<std::string> names, NetworkPlan network)
    : cloud_(std::move(cloud)),
      names_(std::move(names)),
      reach_(std::move(network)),
      up_spans_(cloud_.size(), {{0, INT64_MAX}}),
      open_(cloud_.size(), -1),
      group_(cloud_.size(), 0),
      following_(cloud_.size()) {
  uint32_t clouds = 0;
  for (size_t n = 0; n < cloud_.size(); ++n) {
    if (cloud_[n]) group_[n] = static_cast<uint32_t>(clouds++ / st::kReplicas);
  }
  groups_ = std::max<size_t>(1, clouds / st::kReplicas);
}

void CatchUpChecker::account() {
  bytes_.set_entries(acked_.size() + following_keys_);
}

void CatchUpChecker::hold(uint32_t node, uint64_t key, Version v) {
  if (node >= following_.size() || !following_[node]) return;
  auto [it, inserted] = following_[node]->held.try_emplace(key, v);
  if (inserted) {
    ++following_keys_;
    account();
  } else if (it->second < v) {
    it->second = v;
  }
}

void CatchUpChecker::on_record(const sim::Record& r) {
  // Offered only the types record_types() names; told apart here.
  const sim::RecordType t = r.type;
  if (t == sim::RecordType::kFault) {
    reach_.on_fault(r);
    return;
  }
  if (t == st::kRecordQuorum) {
    if (r.code == static_cast<uint16_t>(st::QuorumOutcome::kWriteOk)) {
      const Version v{r.b, r.peer};
      auto [it, inserted] = acked_.try_emplace(r.a, Acked{v, r.time_ns, r.node, record_index()});
      if (inserted) {
        account();
      } else if (it->second.version < v) {
        it->second = Acked{v, r.time_ns, r.node, record_index()};
      }
    }
    return;
  }
  // What a restarted replica holds: its log replay, its writes (writer in
  // `kind`), the catch-up entries it logged.
  if (t == st::kRecordRecovered || t == st::kRecordCatchUpEntry) {
    hold(r.node, r.a, Version{r.b, r.peer});
    return;
  }
  if (t == st::kRecordWrite) {
    hold(r.node, r.a, Version{r.b, r.kind});
    return;
  }
  if (t != sim::RecordType::kRestart && t != sim::RecordType::kCrash && t != st::kRecordCatchUp) return;
  if (r.node >= cloud_.size() || !cloud_[r.node]) return;
  auto& spans = up_spans_[r.node];
  if (t == sim::RecordType::kRestart && spans.back().second != INT64_MAX) spans.emplace_back(r.time_ns, INT64_MAX);
  if (t == sim::RecordType::kCrash && spans.back().second == INT64_MAX) spans.back().second = r.time_ns;
  const int64_t open = open_[r.node];
  std::optional<Following>& f = following_[r.node];
  if (r.type == sim::RecordType::kRestart) {
    if (f) following_keys_ -= f->wanted.size() + f->held.size();
    f.emplace();
    for (const auto& [key, acked] : acked_) {
      if (st::key_group(key, groups_) == group_[r.node]) f->wanted.emplace(key, acked);
    }
    following_keys_ += f->wanted.size();
    account();
    for (auto it = asked_.begin(); it != asked_.end();) {
      it = it->first >> 32 == r.node ? asked_.erase(it) : std::next(it);
    }
    open_[r.node] = static_cast<int64_t>(restarts_.size());
    CatchUp c;
    c.node = r.node;
    c.restart_ns = r.time_ns;
    c.record = record_index();
    c.wanted = f->wanted.size();
    restarts_.push_back(std::move(c));
  } else if (open < 0) {
    return;
  } else if (r.type == sim::RecordType::kCrash) {
    restarts_[static_cast<size_t>(open)].superseded = true;
    if (f) {
      following_keys_ -= f->wanted.size() + f->held.size();
      f.reset();
      account();
    }
  } else if (r.code == static_cast<uint16_t>(st::CatchUpEvent::kCaughtUp)) {
    CatchUp& c = restarts_[static_cast<size_t>(open)];
    if (!c.caught_up && !c.superseded) caught_up(c, r);
  } else {
    CatchUp& c = restarts_[static_cast<size_t>(open)];
    if (!c.caught_up && !c.superseded) round_trip(c, r);
  }
}

void CatchUpChecker::round_trip(CatchUp& c, const sim::Record& r) {
  auto w = std::find_if(c.waits.begin(), c.waits.end(), [&](const CatchUp::Waits& x) { return x.peer == r.peer; });
  if (w == c.waits.end()) w = c.waits.insert(c.waits.end(), CatchUp::Waits{r.peer});
  const uint64_t key = uint64_t{r.node} << 32 | r.peer;
  const auto code = static_cast<st::CatchUpEvent>(r.code);
  if (code == st::CatchUpEvent::kRequested || code == st::CatchUpEvent::kBackingOff) {
    Asked& a = asked_[key];
    if (!a.times.empty()) ++w->unanswered;  // asked again before an answer: the last one was lost or late
    // Full: the first ask stays (a late answer most often names it, and a
    // wait under way runs from it), the second goes.
    if (a.times.size() == kAskedKept) a.times.erase(a.times.begin() + 1);
    a.times.push_back(r.time_ns);
  } else if (code == st::CatchUpEvent::kAnsweredLate) {
    // The answer is to an earlier request (a = when it went out), if the
    // replica asked it: its round trip runs from there, and the requests
    // after it were not lost, only asked before its answer could come.
    const auto it = asked_.find(key);
    if (it == asked_.end()) return;
    const std::vector<int64_t>& times = it->second.times;
    const auto sent = std::find(times.begin(), times.end(), static_cast<int64_t>(r.a));
    if (r.a == 0 || sent == times.end()) return;
    const auto after = static_cast<uint64_t>(times.end() - sent - 1);
    w->unanswered -= std::min(w->unanswered, after);
    it->second.answered_from = *sent;
  } else if (code == st::CatchUpEvent::kApplied || code == st::CatchUpEvent::kPassRestarted) {
    // A batch, or the peer's word that the pass must begin again: either
    // is an answer to a request.
    if (const auto it = asked_.find(key); it != asked_.end() && !it->second.times.empty()) {
      ++w->answered;
      const int64_t from = it->second.answered_from >= 0 ? it->second.answered_from : it->second.times.back();
      w->answered_ns += r.time_ns - from;
      w->longest_ns = std::max(w->longest_ns, r.time_ns - from);
      asked_.erase(it);
    }
    if (code == st::CatchUpEvent::kPassRestarted) ++w->passes;
  }
}

int64_t CatchUpChecker::owed_ns(const CatchUp& c, sim::Duration grace, int64_t now_ns) const {
  if (c.waits.empty()) return grace.ns;
  uint64_t keys = 0;
  for (const auto& [key, acked] : acked_) keys += st::key_group(key, groups_) == group_[c.node];
  const uint64_t per_pass = 2 * ((keys + st::kCatchUpBatchMax - 1) / st::kCatchUpBatchMax) + 2;
  int64_t most = 0;
  for (const CatchUp::Waits& w : c.waits) {
    const uint64_t batches = w.passes * per_pass;
    // The round trips of at most `batches` answers (their mean, beyond that).
    const int64_t trips = w.answered <= batches
                              ? w.answered_ns
                              : static_cast<int64_t>(static_cast<double>(w.answered_ns) *
                                                     static_cast<double>(batches) / static_cast<double>(w.answered));
    // A request still unanswered at the end has been under way since the
    // first ask at its cursor; up to the longest round trip the peer took,
    // or the pair's round-trip latency tail since its latest ask when that
    // is longer (a link slower than every answer so far, or one that has
    // answered nothing yet: 15 s each way is a 30 s wait, not a lost
    // request; a slow spell over before that ask slows no answer to it),
    // that is a wait too (its re-asks since are then not counted as lost).
    uint64_t unanswered = w.unanswered;
    int64_t under_way = 0;
    if (const auto it = asked_.find(uint64_t{c.node} << 32 | w.peer); now_ns >= 0 && it != asked_.end() &&
                                                                     !it->second.times.empty()) {
      const int64_t asked_ns = it->second.times.front();
      int64_t longest = w.longest_ns;
      for (const Reachability::Spell& sp : reach_.pair(c.node, w.peer, it->second.times.back(), now_ns).spells) {
        longest = std::max(longest, sp.rtt_tail_ns);
      }
      under_way = std::min(now_ns - asked_ns, longest);
      unanswered -= std::min<uint64_t>(unanswered, it->second.times.size() - 1);
    }
    const int64_t lost = static_cast<int64_t>(std::min(unanswered, w.answered)) *
                         st::ReplicaConfig{}.catch_up_timeout.ns;
    most = std::max(most, trips + lost + under_way);
  }
  return grace.ns + most;
}

void CatchUpChecker::caught_up(CatchUp& c, const sim::Record& r) {
  c.caught_up = true;
  c.caught_up_ns = r.time_ns;
  c.caught_up_record = record_index();
  std::optional<Following>& f = following_[c.node];
  if (!f) return;
  uint64_t first_key = 0;
  for (const auto& [key, want] : f->wanted) {
    const auto h = f->held.find(key);
    if (h != f->held.end() && !(h->second < want.version)) continue;
    // Unordered: the smallest key missing is the one named, whatever the order.
    if (c.missing++ == 0 || key < first_key) {
      first_key = key;
      const std::string held = h == f->held.end()
                                   ? "nothing"
                                   : fmt::format("version {}/{}", h->second.counter, node_name(names_, h->second.writer));
      c.first_missing = fmt::format("key {} holds {}, but {} acknowledged version {}/{} at {} (record #{})", key,
                                    held, node_name(names_, want.core), want.version.counter,
                                    node_name(names_, want.version.writer),
                                    seconds(want.time_ns), want.record);
    }
  }
  following_keys_ -= f->wanted.size() + f->held.size();
  f.reset();
  account();
}

// A replica catches up from any one peer of its group (and never gives up
// asking), so what it needs is a stretch in which one peer was up and in
// reach of it: no cut between them, and a request and its answer getting
// through at least half the time (drop rates (1 - a)(1 - b) >= 1/2).
CatchUpChecker::Reach CatchUpChecker::could_catch_up(const CatchUp& c, int64_t now_ns) const {
  Reach out;
  for (uint32_t peer = 0; peer < cloud_.size(); ++peer) {
    if (peer == c.node || !cloud_[peer] || group_[peer] != group_[c.node]) continue;
    const Reachability::Pair pair = reach_.pair(c.node, peer, c.restart_ns, now_ns);
    // Good spells (time order, a cut leaves a gap) cut by the peer's up spans.
    int64_t run_from = -1, run_to = -1;  // the stretch being extended
    auto close = [&] {
      if (run_from < 0) return;
      if (run_to - run_from > out.longest_ns) out = Reach{run_to - run_from, run_from, out.to_end_from_ns};
      if (run_to == now_ns) out.to_end_from_ns = std::min(out.to_end_from_ns, run_from);
      run_from = -1;
    };
    for (const Reachability::Spell& sp : pair.spells) {
      if (sp.delivery < kDeliveryMin) continue;
      for (const auto& [up_from, up_to] : up_spans_[peer]) {
        const int64_t b = std::max(sp.begin_ns, up_from), e = std::min(sp.end_ns, up_to);
        if (b >= e) continue;
        if (run_from >= 0 && b == run_to) {
          run_to = e;
        } else {
          close();
          run_from = b;
          run_to = e;
        }
      }
    }
    close();
  }
  return out;
}

CatchUpReport CatchUpChecker::judge(int64_t now_ns, sim::Duration grace) const {
  CatchUpReport rep;
  // Restarts judged: those that said they caught up (what they held then is
  // checked, crashed again since or not) and those that failed to; the
  // others (crashed again first, no peer in reach long enough) test nothing.
  rep.judged = 0;
  std::string bad, caught, waiting, alone;
  auto add = [](std::string& list, const std::string& item, const char* sep) {
    list += (list.empty() ? "" : sep) + item;
  };
  for (const CatchUp& c : restarts_) {
    const std::string& name = names_[c.node];
    if (c.caught_up) ++rep.judged;
    if (c.caught_up && c.missing > 0) {
      // Judged when it said so, crashed again since or not.
      rep.ok = false;
      add(bad,
          violation_text(name, c.caught_up_ns, c.caught_up_record,
                         fmt::format("said it caught up {} after its restart at {} but lacked {} of the {} keys "
                                     "acknowledged before it; first: {}",
                                     seconds(c.caught_up_ns - c.restart_ns), seconds(c.restart_ns), c.missing,
                                     c.wanted, c.first_missing)),
          "; ");
      continue;
    }
    if (c.superseded) continue;
    if (c.caught_up) {
      add(caught, fmt::format("{} after {}", name, seconds(c.caught_up_ns - c.restart_ns)), ", ");
      continue;
    }
    const Reach reach = could_catch_up(c, now_ns);
    const int64_t owed = owed_ns(c, grace, now_ns);
    // Its waits, when they made the time owed longer than the grace.
    const std::string waits =
        owed == grace.ns ? "" : fmt::format(" ({} owed: {} plus its waits on its peers)", seconds(owed),
                                            sim::format_duration(grace));
    if (reach.longest_ns >= owed) {
      // Judged: it had `grace` with a peer in reach, however it ends.
      rep.ok = false;
      ++rep.judged;
      const std::string healed =
          reach.longest_from_ns > c.restart_ns
              ? fmt::format(" (a peer in reach from {} for {})", seconds(reach.longest_from_ns),
                            seconds(reach.longest_ns))
              : "";
      add(bad,
          violation_text(name, c.restart_ns, c.record,
                         fmt::format("restarted, not caught up by the end at {}{}{}",
                                     sim::format_time(sim::Time{now_ns}), healed, waits)),
          "; ");
    } else if (reach.to_end_from_ns != INT64_MAX) {
      add(waiting, name + waits, ", ");
    } else {
      add(alone, name, ", ");
    }
  }
  if (!bad.empty()) {
    rep.detail = bad;
  } else if (restarts_.empty()) {
    rep.detail = "no cloud replica restarted";
  } else {
    rep.detail = caught.empty() ? "" : "caught up, holding every write acknowledged before the restart: " + caught;
    if (!waiting.empty()) {
      rep.detail += fmt::format("{}not judged (a peer in reach less than {} before the end): {}",
                                rep.detail.empty() ? "" : "; ", sim::format_duration(grace), waiting);
    }
    if (!alone.empty()) {
      rep.detail += fmt::format("{}not judged (every peer down, cut off or losing most messages at the end): {}",
                                rep.detail.empty() ? "" : "; ", alone);
    }
    if (rep.detail.empty()) rep.detail = "every restarted replica crashed again before the end";
  }
  return rep;
}


std::span<const sim::RecordType> CatchUpChecker::record_types() const {
  static constexpr sim::RecordType kTypes[] = {st::kRecordQuorum, st::kRecordRecovered, st::kRecordWrite, st::kRecordCatchUpEntry, sim::RecordType::kRestart, sim::RecordType::kCrash, st::kRecordCatchUp, sim::RecordType::kFault};
  return kTypes;
}

}  // namespace ecsim::check
