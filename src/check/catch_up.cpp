#include "ecsim/check/catch_up.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ecsim/check/durability.hpp"  // violation_text
#include "ecsim/proto/storage.hpp"     // the records it follows

namespace ecsim::check {

namespace st = proto::storage;

namespace {
std::string seconds(int64_t ns) { return fmt::format("{:.3f}s", static_cast<double>(ns) / 1e9); }
std::string node_name(const std::vector<std::string>& names, uint32_t n) {
  return n < names.size() ? names[n] : fmt::format("node{}", n);
}
}  // namespace

CatchUpChecker::CatchUpChecker(std::vector<bool> cloud, std::vector<std::string> names, NetworkPlan network)
    : cloud_(std::move(cloud)),
      names_(std::move(names)),
      reach_(std::move(network)),
      up_since_ns_(cloud_.size(), 0),
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
  if (t == sim::RecordType::kRestart) up_since_ns_[r.node] = r.time_ns;
  if (t == sim::RecordType::kCrash) up_since_ns_[r.node] = -1;
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
  }
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

// A replica catches up from any one peer of its group, so the clock starts
// when one that is up at the end could answer it without a break since: the
// latest of its restart, that peer's restart and the start of the stretch
// that runs to the end in which a request and its answer between them get
// through at least half the time (no cut, drop rates (1 - a)(1 - b) >= 1/2).
// A replica with no such peer at the end (each down, cut off or losing most
// round trips) cannot be expected to catch up and is not judged; one cut
// off for a while gets `grace` from the heal.
int64_t CatchUpChecker::could_catch_up_since(const CatchUp& c, int64_t now_ns) const {
  constexpr double kDeliveryMin = 0.5;
  int64_t since = INT64_MAX;
  for (uint32_t peer = 0; peer < cloud_.size(); ++peer) {
    if (peer == c.node || !cloud_[peer] || group_[peer] != group_[c.node] || up_since_ns_[peer] < 0) continue;
    const Reachability::Pair pair = reach_.pair(c.node, peer, c.restart_ns, now_ns);
    if (pair.cut_at_end) continue;
    int64_t good_since = now_ns;  // back over the spells that reach the end without a gap
    for (auto it = pair.spells.rbegin(); it != pair.spells.rend(); ++it) {
      if (it->delivery < kDeliveryMin || it->end_ns != good_since) break;
      good_since = it->begin_ns;
    }
    if (good_since == now_ns) continue;
    since = std::min(since, std::max({c.restart_ns, up_since_ns_[peer], good_since}));
  }
  return since;
}

CatchUpReport CatchUpChecker::judge(int64_t now_ns, sim::Duration grace) const {
  CatchUpReport rep;
  rep.judged = restarts_.size();
  std::string bad, caught, waiting, alone;
  auto add = [](std::string& list, const std::string& item, const char* sep) {
    list += (list.empty() ? "" : sep) + item;
  };
  for (const CatchUp& c : restarts_) {
    const std::string& name = names_[c.node];
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
    const int64_t since = now_ns - c.restart_ns < grace.ns ? now_ns : could_catch_up_since(c, now_ns);
    if (since == INT64_MAX) {
      add(alone, name, ", ");
    } else if (now_ns - since >= grace.ns) {
      rep.ok = false;
      const std::string healed =
          since > c.restart_ns ? fmt::format(" (a peer in reach since {})", seconds(since)) : "";
      add(bad,
          violation_text(name, c.restart_ns, c.record,
                         fmt::format("restarted, not caught up by the end at {}{}", sim::format_time(sim::Time{now_ns}),
                                     healed)),
          "; ");
    } else {
      add(waiting, name, ", ");
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
