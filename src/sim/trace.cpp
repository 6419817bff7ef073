#include "ecsim/sim/trace.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t by value
#include <xxhash.h>

#include <algorithm>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

const char* record_type_name(RecordType t) {
  switch (t) {
    case RecordType::kSend: return "send";
    case RecordType::kDeliver: return "deliver";
    case RecordType::kDrop: return "drop";
    case RecordType::kDuplicate: return "duplicate";
    case RecordType::kTimer: return "timer";
    case RecordType::kCrash: return "crash";
    case RecordType::kRestart: return "restart";
    case RecordType::kFault: return "fault";
    case RecordType::kDiskWrite: return "disk_write";
    case RecordType::kDiskSync: return "disk_sync";
    case RecordType::kDiskLoss: return "disk_loss";
    case RecordType::kRecover: return "recover";
    case RecordType::kPingSent: return "ping_sent";
    case RecordType::kPingDone: return "ping_done";
    case RecordType::kBench: return "bench";
    case RecordType::kLimit: return "limit";
    case RecordType::kLoad: return "load";
    case RecordType::kLimitReached: return "limit_reached";
  }
  return "unknown";
}

struct RecordHasher::State {
  XXH3_state_t xxh;
};

RecordHasher::RecordHasher() : state_(std::make_unique<State>()) {
  ECSIM_ASSERT(XXH3_64bits_reset(&state_->xxh) == XXH_OK);
}
RecordHasher::~RecordHasher() = default;

void RecordHasher::update(const Record* records, size_t count) {
  if (count == 0) return;
  ECSIM_ASSERT(XXH3_64bits_update(&state_->xxh, records, count * sizeof(Record)) == XXH_OK);
}

uint64_t RecordHasher::digest() const { return XXH3_64bits_digest(&state_->xxh); }

struct Trace::State {
  RecordHasher hasher;
};

Trace::Trace(bool hashing)
    : hashing_(hashing),
      batch_storage_(std::make_unique<std::array<Record, kBatchRecords>>()),
      batch_(batch_storage_->data()),
      state_(std::make_unique<State>()) {}

Trace::~Trace() = default;

void Trace::flush() {
  if (batch_used_ == 0) return;
  state_->hasher.update(batch_, batch_used_);
  if (sink_ != nullptr) sink_->write(batch_, batch_used_);
  batch_used_ = 0;
}

void Trace::add_observer(TraceObserver* observer) {
  ECSIM_ASSERT(observer != nullptr);
  observed_ = true;
  const std::span<const RecordType> types = observer->record_types();
  if (types.empty()) {
    every_.push_back(observer);
    for (std::vector<TraceObserver*>& list : by_type_) list.push_back(observer);
    return;
  }
  for (const RecordType t : types) {
    const auto i = static_cast<size_t>(t);
    ECSIM_ASSERT(i < kTypesMax);
    std::vector<TraceObserver*>& list = by_type_[i];
    ECSIM_ASSERT(std::find(list.begin(), list.end(), observer) == list.end());  // each type named once
    list.push_back(observer);
  }
}

void Trace::notify(const Record& r) {
  const auto i = static_cast<size_t>(r.type);
  for (TraceObserver* o : i < kTypesMax ? by_type_[i] : every_) {
    o->index_ = count_;
    o->on_record(r);
  }
}

uint64_t Trace::hash() {
  flush();
  return state_->hasher.digest();
}

}  // namespace ecsim::sim
