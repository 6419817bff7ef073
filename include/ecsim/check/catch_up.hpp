// Catch-up checker: a cloud replica that restarted says, with a catch_up
// record (storage's kCaughtUp), that it holds every write acknowledged
// before its restart. The checker does not take its word for it. From the
// trace alone it keeps:
//
// - the newest version of each key a core acknowledged to a client (the
//   quorum writers' write-ok records), as the promise is about what the
//   system acknowledged, not about what the replica thinks;
// - per restarted replica, a copy of that table as it was at the restart,
//   and what the replica holds since: its log replay (kRecordRecovered),
//   the writes it took (kRecordWrite) and the catch-up entries it logged
//   (kRecordCatchUpEntry).
//
// At its caught-up record the replica must hold, for every key in the copy,
// that version or a newer one; every key short of it is a violation. A
// restart record of a cloud node opens a restart, the node's first kCaughtUp
// record after it closes it, and a crash of the node after the restart
// supersedes it (the next restart is the one judged). At the end, the latest
// restart of each cloud node that is up and had `grace` to catch up must
// have caught up: `grace` counted from when a peer of its group that is up
// at the end was in reach (check/reachability.hpp); a replica with no such
// peer at the end is not judged. The grace is the replica's own time: the
// time it spent waiting on a peer is added to it -- each catch-up round
// trip it waited out, timed from the request an answer names when it came
// late (CatchUpEvent::kAnsweredLate), else from the latest request (as many
// as a pass over its group's keys can take: 2 ceil(K / kCatchUpBatchMax) + 2
// per pass, a pass begun again for a peer's restart counting anew), and
// the timeout of each request that went unanswered, at most one per
// answered request (in reach, at least half the round trips get through;
// those asked after the request a late answer names were early, not
// lost), and the time a request still unanswered at the end has been under
// way, up to the longest round trip that peer took or the pair's round-trip
// latency tail then (reachability.hpp), the longer; counted per peer (it
// asks its peers at once and needs one to finish), the most of any peer. A replica chasing the
// clients' writes for ever or asking nobody gets no more than `grace`; one
// whose batches wait in a loaded peer's queue or are lost is not blamed for
// the wait.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ecsim/check/reachability.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

struct CatchUp {
  uint32_t node = 0;
  int64_t restart_ns = 0;
  uint64_t record = 0;       // the restart record's 1-based index in the run's trace
  bool caught_up = false;
  int64_t caught_up_ns = 0;  // when caught up
  uint64_t caught_up_record = 0;
  bool superseded = false;   // the node crashed again after this restart
  uint64_t wanted = 0;       // keys acknowledged before the restart
  uint64_t missing = 0;      // of those, keys it did not hold (or held older) when it said it caught up
  std::string first_missing; // the smallest such key, its versions and its ack
  // Its catch-up requests to each peer until it caught up: batches answered
  // and their round trips summed, requests left unanswered (another request
  // to that peer came first), passes begun (a peer's restart begins one again).
  struct Waits {
    uint32_t peer = 0;
    uint64_t answered = 0;
    int64_t answered_ns = 0;
    uint64_t unanswered = 0;
    uint64_t passes = 1;
    int64_t longest_ns = 0;  // the longest answered round trip
  };
  std::vector<Waits> waits;  // one per peer asked
};

struct CatchUpReport {
  bool ok = true;
  std::string detail;
  uint64_t judged = 0;  // restarts judged: caught up or not by when they had to (0: nothing judged)
};

class CatchUpChecker final : public sim::TraceObserver {
 public:
  // `cloud[n]`: node n is a cloud replica (only those are followed; in node
  // order, each consecutive three a storage group, and a replica owes only
  // the keys of its group: proto::storage::key_group); `names` labels nodes
  // in the detail.
  CatchUpChecker(std::vector<bool> cloud, std::vector<std::string> names, NetworkPlan network = {});
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  // Every cloud restart, in trace order.
  const std::vector<CatchUp>& restarts() const { return restarts_; }
  // The verdict at `now`: a restart that caught up without holding what was
  // acknowledged before it fails; one neither caught up nor superseded fails
  // once a peer was in reach for at least `grace` plus its waits (up, not
  // cut off; owed()) and is left unjudged (named) otherwise.
  CatchUpReport judge(int64_t now_ns, sim::Duration grace) const;
  // `grace` plus the waits the header describes, for restart `c` at the end.
  // With `now_ns` (the end): also the round trip each peer's request still
  // unanswered has been under way, up to the longest that peer answered in.
  int64_t owed_ns(const CatchUp& c, sim::Duration grace, int64_t now_ns = -1) const;

 private:
  // A version as the records carry it: (counter, writer), ordered as
  // storage's last-write-wins orders them.
  struct Version {
    uint64_t counter = 0;
    uint32_t writer = 0;
    bool operator<(const Version& o) const {
      return counter != o.counter ? counter < o.counter : writer < o.writer;
    }
  };
  struct Acked {
    Version version;
    int64_t time_ns = 0;
    uint32_t core = 0;
    uint64_t record = 0;
  };
  // What a restarted replica must hold, and holds, until it says it caught up.
  struct Following {
    std::unordered_map<uint64_t, Acked> wanted;
    std::unordered_map<uint64_t, Version> held;
  };
  void hold(uint32_t node, uint64_t key, Version v);
  // The stretches since `c`'s restart, until `now_ns`, in which a peer of
  // its group was up and in reach of it (see judge): the longest one and
  // the start of the one that runs to the end (INT64_MAX: none).
  struct Reach {
    int64_t longest_ns = 0;
    int64_t longest_from_ns = 0;
    int64_t to_end_from_ns = INT64_MAX;
  };
  Reach could_catch_up(const CatchUp& c, int64_t now_ns) const;
  void caught_up(CatchUp& c, const sim::Record& r);
  // A catch-up request, answer or pass begun again of `c`'s replica.
  void round_trip(CatchUp& c, const sim::Record& r);
  void account();

  std::vector<bool> cloud_;
  std::vector<std::string> names_;
  Reachability reach_;                // partitions and link faults, from the fault records
  // Per node: when it was up, [from, to) (to INT64_MAX: up now), in order.
  std::vector<std::vector<std::pair<int64_t, int64_t>>> up_spans_;
  std::vector<int64_t> open_;  // per node: index into restarts_ of its latest restart, -1: none
  std::vector<uint32_t> group_;  // per node: its storage group (cloud nodes only)
  size_t groups_ = 1;
  std::vector<std::optional<Following>> following_;  // per node
  std::unordered_map<uint64_t, Acked> acked_;         // key -> the newest acknowledged version
  std::vector<CatchUp> restarts_;
  // A replica's catch-up requests to one peer since its last answer: when
  // each went out (the first and the latest ones, kAskedKept in all), and
  // the one an answer named as its request when it came late (-1: none
  // named; the latest is taken).
  struct Asked {
    std::vector<int64_t> times;
    int64_t answered_from = -1;
  };
  static constexpr size_t kAskedKept = 64;
  // (replica << 32 | peer) -> its requests to that peer, while unanswered.
  std::unordered_map<uint64_t, Asked> asked_;
  uint64_t following_keys_ = 0;
  sim::Accounted bytes_{sim::Resource::kCatchUpKeys};
};

}  // namespace ecsim::check
