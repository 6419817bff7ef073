#include "ecsim/check/edge_isolation.hpp"

#include <fmt/format.h>

#include "ecsim/check/durability.hpp"  // violation_text
#include "ecsim/sim/assert.hpp"
#include "internal.hpp"

namespace ecsim::check {

namespace {

using internal::node_name;
using internal::seconds;

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

void ForgedWrites::note_violation(const sim::Record& r, const std::string& what) {
  if (first_violation_.empty()) {
    first_violation_ = violation_text(node_name(names_, r.node), r.time_ns, record_index(), what);
  }
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
      w->delivered_record = record_index();
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
    note_violation(r, fmt::format("{} accepted a write of key {} (version counter {}) from {} at {}",
                                  node_name(names_, r.node), r.a, r.b, node_name(names_, r.peer),
                                  seconds(r.time_ns)));
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
        rep.first_violation = violation_text(
            node_name(names_, w.to), w.delivered_ns, w.delivered_record,
            fmt::format("forged write {} of key {} from {} to {} delivered at {} was neither refused nor applied "
                        "by the end at {}",
                        req_id, w.key, node_name(names_, w.from), node_name(names_, w.to), seconds(w.delivered_ns),
                        seconds(end.ns)));
      }
    } else {
      ++rep.in_flight;
    }
  }
  ECSIM_ASSERT(rep.applied + rep.refused + rep.lost + rep.unanswered + rep.in_flight == rep.sent);
  return rep;
}

ReplicaWritersReport check_replica_writers(const std::vector<ReplicaWriters>& replicas,
                                           const std::vector<bool>& is_core,
                                           const std::vector<std::string>& names) {
  ReplicaWritersReport rep;
  for (const ReplicaWriters& r : replicas) {
    for (const WriterCount& w : r.writers) {
      ECSIM_ASSERT(w.versions > 0);  // a writer with nothing held has no record
      rep.versions_checked += w.versions;
      const bool core = w.writer < is_core.size() && is_core[w.writer];
      if (core) continue;
      rep.violation_count += w.versions;
      if (rep.violations.size() >= ReplicaWritersReport::kViolationsMax) continue;
      const std::string what =
          fmt::format("{} holds key {}{} written by {}, which is not a core node{}", node_name(names, r.node),
                      w.first_key, w.versions == 1 ? "" : fmt::format(" and {} more keys", w.versions - 1),
                      node_name(names, w.writer), r.from_disk ? " (down, from its log)" : "");
      rep.violations.push_back({w.first_key, r.node, w.writer, w.versions,
                                violation_text(node_name(names, r.node), r.time_ns, w.record, what)});
    }
  }
  ECSIM_ASSERT(rep.violations.size() <= rep.violation_count);
  return rep;
}


std::span<const sim::RecordType> ForgedWrites::record_types() const {
  static constexpr sim::RecordType kTypes[] = {sim::RecordType::kSend, sim::RecordType::kDuplicate, sim::RecordType::kDeliver, sim::RecordType::kDrop, proto::storage::kRecordRefused, proto::storage::kRecordWrite};
  return kTypes;
}

}  // namespace ecsim::check
