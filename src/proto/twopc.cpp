// Two-phase commit: what both roles share -- the operations' lock keys, wire
// sizes and the log record encoding. The machines are in twopc_coordinator.cpp
// and twopc_participant.cpp.
#include <algorithm>
#include <utility>
#include <type_traits>

#include "ecsim/proto/log_codec.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::twopc {

namespace {

constexpr uint32_t len(std::string_view s) { return static_cast<uint32_t>(s.size()); }
uint32_t digits(uint64_t v) { return decimal_digits(v); }

uint32_t request_bytes(std::string_view method, uint32_t params, uint64_t id) {
  return len(R"({"jsonrpc":"2.0","method":"","params":,"id":})") + len(method) + params +
         digits(id);
}
uint32_t response_bytes(uint32_t result, uint64_t id) {
  return len(R"({"jsonrpc":"2.0","result":,"id":})") + result + digits(id);
}
uint32_t bool_bytes(bool b) { return b ? len("true") : len("false"); }

// {"kind":K,"from":F,"to":T,"amount":A,"number":N}
uint32_t op_bytes(const Op& op) {
  return len(R"({"kind":,"from":,"to":,"amount":,"number":})") +
         digits(static_cast<uint64_t>(op.kind)) + digits(op.from) + digits(op.to) +
         digits(op.amount) + digits(op.number);
}

// --- Log encoding ----------------------------------------------------------

enum : uint8_t { kStart = 1, kDecision = 2, kEnd = 3, kPrepared = 4, kResolved = 5, kCheckpoint = 6 };
constexpr size_t kChecksumBytes = 4;

// A participant's outcome in one byte: bit 0 commit, the bits above it the
// reason of its own NO (0 for a commit, or an abort it was told of).
static_assert(kReasonKinds <= 128, "a reason fits above the commit bit");
uint8_t outcome_byte(bool commit, Reason reason) {
  ECSIM_ASSERT(!commit || reason == Reason::kNone);
  return static_cast<uint8_t>((static_cast<unsigned>(reason) << 1) | (commit ? 1u : 0u));
}
bool outcome_of(uint8_t byte, bool& commit, Reason& reason) {
  commit = (byte & 1) != 0;
  reason = static_cast<Reason>(byte >> 1);
  return static_cast<size_t>(reason) < kReasonKinds && (!commit || reason == Reason::kNone);
}

using log_codec::fnv1a;
using log_codec::get_le;
using log_codec::put_le;

// Reads fixed-width fields in order; `ok` turns false past the end.
struct Reader {
  std::string_view in;
  size_t at = 0;
  bool ok = true;
  template <class T>
  T get() {
    if (at + sizeof(T) > in.size()) {
      ok = false;
      return T{};
    }
    const T v = get_le<T>(in, at);
    at += sizeof(T);
    return v;
  }
};

void put_participants(std::string& out, const std::vector<NodeId>& ps) {
  ECSIM_ASSERT(!ps.empty() && ps.size() <= kParticipantsMax);
  put_le(out, static_cast<uint8_t>(ps.size()));
  for (NodeId p : ps) put_le(out, p);
}

bool get_participants(Reader& r, std::vector<NodeId>& ps) {
  const auto n = r.get<uint8_t>();
  if (n == 0 || n > kParticipantsMax) return false;
  for (uint8_t i = 0; i < n; ++i) ps.push_back(r.get<uint32_t>());
  return r.ok;
}

void put_op(std::string& out, const Op& op) {
  put_le(out, static_cast<uint8_t>(op.kind));
  put_le(out, op.from);
  put_le(out, op.to);
  put_le(out, op.amount);
  put_le(out, op.number);
}

bool get_op(Reader& r, Op& op) {
  const auto kind = r.get<uint8_t>();
  if (kind < static_cast<uint8_t>(OpKind::kDebit) || kind > static_cast<uint8_t>(OpKind::kPort)) {
    return false;
  }
  op.kind = static_cast<OpKind>(kind);
  op.from = r.get<uint64_t>();
  op.to = r.get<uint64_t>();
  op.amount = r.get<uint64_t>();
  op.number = r.get<uint64_t>();
  return r.ok;
}

std::optional<LogRecord> decode_body(Reader& r) {
  switch (r.get<uint8_t>()) {
    case kStart: {
      LogStart s{r.get<uint64_t>(), r.get<uint64_t>(), r.get<int64_t>(), {}};
      if (!get_participants(r, s.participants)) return std::nullopt;
      return s;
    }
    case kDecision: {
      LogDecision d{r.get<uint64_t>(), r.get<uint64_t>(), r.get<uint8_t>() != 0,
                    static_cast<Reason>(r.get<uint16_t>()), {}};
      if (static_cast<size_t>(d.reason) >= kReasonKinds) return std::nullopt;
      if (!get_participants(r, d.participants)) return std::nullopt;
      return d;
    }
    case kEnd:
      return LogEnd{r.get<uint64_t>()};
    case kPrepared: {
      LogPrepared p{r.get<uint64_t>(), r.get<uint64_t>(), r.get<uint32_t>(), r.get<int64_t>(), {}};
      if (!get_op(r, p.op)) return std::nullopt;
      return p;
    }
    case kResolved: {
      LogResolved x{r.get<uint64_t>(), r.get<uint64_t>(), false, Reason::kNone};
      if (!outcome_of(r.get<uint8_t>(), x.commit, x.reason)) return std::nullopt;
      return x;
    }
    case kCheckpoint: {
      LogCheckpoint c;
      c.seq = r.get<uint64_t>();
      c.last = r.get<uint8_t>() != 0;
      const auto balances = r.get<uint32_t>();
      const auto owners = r.get<uint32_t>();
      const auto outcomes = r.get<uint32_t>();
      if (!r.ok || uint64_t{balances} + owners + outcomes > kCheckpointItemsMax) return std::nullopt;
      for (uint32_t i = 0; i < balances; ++i) c.balances.push_back({r.get<uint64_t>(), r.get<int64_t>()});
      for (uint32_t i = 0; i < owners; ++i) c.owners.push_back({r.get<uint64_t>(), r.get<uint64_t>()});
      for (uint32_t i = 0; i < outcomes; ++i) {
        CheckpointOutcome o;
        o.txn = r.get<uint64_t>();
        o.client_txn = r.get<uint64_t>();
        const auto byte = r.get<uint8_t>();
        o.at_ns = r.get<int64_t>();
        if (!outcome_of(byte, o.commit, o.reason)) return std::nullopt;
        c.outcomes.push_back(o);
      }
      return c;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

OpKeys keys_of(const Op& op) {
  OpKeys k;
  switch (op.kind) {
    case OpKind::kDebit:
      k.keys[k.count++] = account_key(op.from);
      break;
    case OpKind::kTransfer:
      k.keys[k.count++] = account_key(op.from);
      if (op.to != op.from) k.keys[k.count++] = account_key(op.to);
      break;
    case OpKind::kTopUp:
      k.keys[k.count++] = account_key(op.to);
      break;
    case OpKind::kPort:
      k.keys[k.count++] = number_key(op.number);
      break;
  }
  if (k.count == 2 && k.keys[1] < k.keys[0]) std::swap(k.keys[0], k.keys[1]);
  ECSIM_ASSERT(k.count >= 1 && k.count <= k.keys.size());
  return k;
}

uint32_t wire_size_bytes(const Message& m) {
  return std::visit(
      Overloaded{
          [](const Prepare& p) {
            return request_bytes("twopc.prepare",
                                 len(R"({"client_txn":,"ts":,"op":})") + digits(p.client_txn) +
                                     digits(static_cast<uint64_t>(p.ts_ns)) + op_bytes(p.op),
                                 p.txn);
          },
          [](const Vote& v) {
            return response_bytes(len(R"({"vote":,"reason":,"prior":})") + bool_bytes(v.yes) +
                                      digits(static_cast<uint64_t>(v.reason)) +
                                      digits(static_cast<uint64_t>(v.prior)),
                                  v.txn);
          },
          [](const Decision& d) {
            return request_bytes(d.commit ? "twopc.commit" : "twopc.abort", len("{}"), d.txn);
          },
          [](const Ack& a) { return response_bytes(len(R"({"ack":true})"), a.txn); },
          [](const StatusQuery& q) { return request_bytes("twopc.status", len("{}"), q.txn); },
      },
      m);
}

std::string encode(const LogRecord& r) {
  std::string out;
  out.reserve(64);
  std::visit(Overloaded{
                 [&](const LogStart& s) {
                   put_le(out, uint8_t{kStart});
                   put_le(out, s.txn);
                   put_le(out, s.client_txn);
                   put_le(out, s.ts_ns);
                   put_participants(out, s.participants);
                 },
                 [&](const LogDecision& d) {
                   put_le(out, uint8_t{kDecision});
                   put_le(out, d.txn);
                   put_le(out, d.client_txn);
                   put_le(out, static_cast<uint8_t>(d.commit));
                   put_le(out, static_cast<uint16_t>(d.reason));
                   put_participants(out, d.participants);
                 },
                 [&](const LogEnd& e) {
                   put_le(out, uint8_t{kEnd});
                   put_le(out, e.txn);
                 },
                 [&](const LogPrepared& p) {
                   put_le(out, uint8_t{kPrepared});
                   put_le(out, p.txn);
                   put_le(out, p.client_txn);
                   put_le(out, p.coordinator);
                   put_le(out, p.ts_ns);
                   put_op(out, p.op);
                 },
                 [&](const LogResolved& x) {
                   put_le(out, uint8_t{kResolved});
                   put_le(out, x.txn);
                   put_le(out, x.client_txn);
                   put_le(out, outcome_byte(x.commit, x.reason));
                 },
                 [&](const LogCheckpoint& c) {
                   ECSIM_ASSERT(c.balances.size() + c.owners.size() + c.outcomes.size() <=
                                kCheckpointItemsMax);
                   put_le(out, uint8_t{kCheckpoint});
                   put_le(out, c.seq);
                   put_le(out, static_cast<uint8_t>(c.last));
                   put_le(out, static_cast<uint32_t>(c.balances.size()));
                   put_le(out, static_cast<uint32_t>(c.owners.size()));
                   put_le(out, static_cast<uint32_t>(c.outcomes.size()));
                   for (const Account& a : c.balances) {
                     put_le(out, a.subscriber);
                     put_le(out, a.balance);
                   }
                   for (const NumberOwner& n : c.owners) {
                     put_le(out, n.number);
                     put_le(out, n.subscriber);
                   }
                   for (const CheckpointOutcome& o : c.outcomes) {
                     put_le(out, o.txn);
                     put_le(out, o.client_txn);
                     put_le(out, outcome_byte(o.commit, o.reason));
                     put_le(out, o.at_ns);
                   }
                 },
             },
             r);
  put_le(out, fnv1a(out));
  ECSIM_ASSERT(out.size() > kChecksumBytes && out.size() <= node::Disk::kEntryBytesMax);
  return out;
}

std::optional<LogRecord> decode(std::string_view bytes) {
  if (bytes.size() <= kChecksumBytes) return std::nullopt;
  const std::string_view body = bytes.substr(0, bytes.size() - kChecksumBytes);
  Reader sum{bytes, body.size()};
  if (sum.get<uint32_t>() != fnv1a(body)) return std::nullopt;
  Reader r{body};
  std::optional<LogRecord> record = decode_body(r);
  // A torn or padded record has the right checksum only by accident; its
  // length must still be exactly what its fields take.
  if (!record || !r.ok || r.at != body.size()) return std::nullopt;
  return record;
}

uint64_t txn_of(const LogRecord& r) {
  return std::visit(Overloaded{[](const LogCheckpoint&) { return uint64_t{0}; },
                               [](const auto& x) { return x.txn; }},
                    r);
}

}  // namespace ecsim::proto::twopc
