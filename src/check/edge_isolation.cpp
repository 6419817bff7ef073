#include "ecsim/check/edge_isolation.hpp"

#include <fmt/format.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::check {

namespace {

std::string node_name(const std::vector<std::string>& names, uint32_t n) {
  return n < names.size() ? names[n] : fmt::format("node{}", n);
}

std::string seconds(int64_t ns) { return fmt::format("{:.3f}s", static_cast<double>(ns) / 1e9); }

}  // namespace

ForgedWrites::ForgedWrites(std::vector<bool> is_core, uint32_t storage_kind, std::vector<std::string> names)
    : is_core_(std::move(is_core)), storage_kind_(storage_kind), names_(std::move(names)) {
  ECSIM_ASSERT(!is_core_.empty());
  ECSIM_ASSERT(names_.size() == is_core_.size());
}

void ForgedWrites::forging(uint32_t from, uint32_t to, uint64_t req_id, uint64_t key, sim::Time now) {
  ECSIM_ASSERT(!full() && !pending_);
  ECSIM_ASSERT(from < is_core_.size() && to < is_core_.size() && !is_core_[from]);
  const bool inserted = writes_.emplace(req_id, Write{from, to, key, now.ns}).second;
  ECSIM_ASSERT(inserted);
  bytes_.set_entries(writes_.size());
  pending_ = true;
  pending_req_ = req_id;
}

ForgedWrites::Write* ForgedWrites::find_message(uint64_t message_id) {
  const auto id = by_message_.find(message_id);
  if (id == by_message_.end()) return nullptr;
  const auto w = writes_.find(id->second);
  ECSIM_ASSERT(w != writes_.end());
  return &w->second;
}

void ForgedWrites::note_violation(std::string what) {
  if (first_violation_.empty()) first_violation_ = std::move(what);
}

void ForgedWrites::on_record(const sim::Record& r) {
  using sim::RecordType;
  namespace storage = proto::storage;
  if (r.type == RecordType::kSend && pending_ && r.kind == storage_kind_) {
    Write& w = writes_.at(pending_req_);
    if (r.node == w.from && r.peer == w.to) {
      by_message_.emplace(r.a, pending_req_);
      pending_ = false;
    }
    return;
  }
  if (r.type == RecordType::kDuplicate || r.type == RecordType::kDeliver || r.type == RecordType::kDrop) {
    if (r.kind != storage_kind_) return;
    Write* w = find_message(r.a);
    if (w == nullptr) return;
    if (r.type == RecordType::kDuplicate) ++w->copies;
    if (r.type == RecordType::kDrop) ++w->dropped;
    if (r.type == RecordType::kDeliver) {
      ++w->delivered;
      w->delivered_ns = r.time_ns;
    }
    return;
  }
  if (r.type == storage::kRecordRefused && r.code == static_cast<uint16_t>(storage::Refusal::kNotCore)) {
    // node = replica, peer = sender, a = key, b = request id.
    ++refusals_;
    const auto it = writes_.find(r.b);
    if (it != writes_.end() && it->second.from == r.peer && it->second.to == r.node) ++it->second.refused;
    return;
  }
  if (r.type == storage::kRecordWrite && r.peer < is_core_.size() && !is_core_[r.peer]) {
    // node = replica, peer = sender, a = key, b = version counter.
    const std::string what = fmt::format("{} accepted a write of key {} (version counter {}) from {} at {}",
                                         node_name(names_, r.node), r.a, r.b, node_name(names_, r.peer),
                                         seconds(r.time_ns));
    note_violation(what);
    if (r.b > kForgedCounterBase) {
      const auto it = writes_.find(r.b - kForgedCounterBase);
      if (it != writes_.end() && it->second.from == r.peer) {
        ++it->second.applied;
        return;
      }
    }
    ++other_applied_;
  }
}

ForgedWritesReport ForgedWrites::report(sim::Time end, sim::Duration grace) const {
  ECSIM_ASSERT(!pending_);
  ECSIM_ASSERT(grace.ns >= 0);
  ForgedWritesReport rep;
  rep.sent = writes_.size();
  rep.refusals = refusals_;
  rep.other_applied = other_applied_;
  rep.first_violation = first_violation_;
  for (const auto& [req_id, w] : writes_) {
    if (w.applied > 0) {
      ++rep.applied;
    } else if (w.refused > 0) {
      ++rep.refused;
    } else if (w.dropped >= w.copies) {
      ++rep.lost;
    } else if (w.delivered > 0 && w.delivered_ns + grace.ns <= end.ns) {
      ++rep.unanswered;
      if (rep.first_violation.empty()) {
        rep.first_violation = fmt::format(
            "forged write {} of key {} from {} to {} delivered at {} was neither refused nor applied by the end at {}",
            req_id, w.key, node_name(names_, w.from), node_name(names_, w.to), seconds(w.delivered_ns),
            seconds(end.ns));
      }
    } else {
      ++rep.in_flight;
    }
  }
  ECSIM_ASSERT(rep.applied + rep.refused + rep.lost + rep.unanswered + rep.in_flight == rep.sent);
  return rep;
}

ReplicaWritersReport check_replica_writers(const std::vector<ReplicaVersions>& replicas,
                                           const std::vector<bool>& is_core,
                                           const std::vector<std::string>& names) {
  ReplicaWritersReport rep;
  for (const ReplicaVersions& r : replicas) {
    for (const auto& [key, version] : r.versions) {
      ++rep.versions_checked;
      const bool core = version.writer < is_core.size() && is_core[version.writer];
      if (core) continue;
      ++rep.violation_count;
      if (rep.violations.size() >= ReplicaWritersReport::kViolationsMax) continue;
      rep.violations.push_back(
          {key, r.node, version,
           fmt::format("{} holds key {} at version counter {} written by {}, which is not a core node{}",
                       node_name(names, r.node), key, version.counter, node_name(names, version.writer),
                       r.from_disk ? " (down, from its log)" : "")});
    }
  }
  ECSIM_ASSERT(rep.violations.size() <= rep.violation_count);
  return rep;
}

}  // namespace ecsim::check
