// Security at the edge (DESIGN.md, "The modelled system" -> Security): stateless
// signed tokens, their verification cost in simulated time, and role-based
// access control. Sans-IO: nothing here sees the simulator; the tiers call it.
//
// What it promises:
// - `issue` is a pure function of (claims, secret): the same inputs give the
//   same token bytes on every machine and compiler. Every token is exactly
//   kTokenBytes long (see "Token format" below and docs/security.md).
// - `verify` accepts a token only if it is well formed, its HMAC-SHA256 under
//   the secret matches (compared in constant time), and `issued_at <= now <=
//   expiry`. Anything else is refused with exactly one `Reason`; no input,
//   however long or garbled, crashes it or reads past its end.
// - `verify_cost` is the simulated time a check costs; no wall clock is read.
// - RBAC is one table, `kRbacRules`; whatever it does not allow is refused.
// - A `Guard` counts every decision by reason and traces every refusal.
//
// Token format (v1, 81 bytes of URL-safe ASCII, like a JWT without JSON):
//
//   "e1." base64url(claims, 25 bytes -> 34 chars) "." base64url(mac, 32 bytes -> 43 chars)
//
// claims = subscriber_id u64 | issued_at i64 ns | expiry i64 ns | role u8, all
// little-endian; mac = HMAC-SHA256(secret, the first 37 bytes: "e1.<claims>").
// base64url has no padding and is decoded strictly (the unused low bits of the
// last character must be zero), so each token has one encoding and flipping
// any bit of it is refused.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/net/envelope.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::proto::auth {

// Trace record type, proposed for sim::RecordType (30); defined here until
// trace.hpp adopts it. node = the checking (edge) node, code = Reason,
// kind = Operation, a = subscriber id the token claims (0 if unreadable),
// b = the target subscriber of the request.
inline constexpr auto kRecordAuthRefused = static_cast<sim::RecordType>(30);

inline constexpr size_t kClaimsBytes = 25;
inline constexpr size_t kMacBytes = 32;
inline constexpr std::string_view kTokenPrefix = "e1.";
// 3 + 34 + 1 + 43: the wire size of every token the issuer makes.
inline constexpr size_t kTokenBytes = 81;
// An edge refuses anything longer without reading it further (bounded input).
inline constexpr size_t kTokenBytesMax = 256;

enum class Role : uint8_t { kSubscriber = 0, kOperator = 1, kAdmin = 2, kCount };
const char* role_name(Role r);

struct Claims {
  uint64_t subscriber_id = 0;
  Role role = Role::kSubscriber;
  sim::Time issued_at{};
  sim::Time expiry{};
  bool operator==(const Claims&) const = default;
};

// Why a token or a request was refused. verify() returns kOk .. kNotYetValid;
// kForbidden comes only from the RBAC check (Guard).
enum class Reason : uint16_t {
  kOk = 0,
  kMalformed = 1,     // wrong length, prefix, separator or alphabet, or a bad role byte
  kBadSignature = 2,  // well formed, but the MAC does not match: forged or tampered with
  kExpired = 3,       // now > expiry
  kNotYetValid = 4,   // now < issued_at
  kForbidden = 5,     // a valid token whose role may not do this (RBAC)
  kCount
};
inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);
const char* reason_name(Reason r);

struct VerifyResult {
  Reason reason = Reason::kMalformed;
  Claims claims;  // meaningful only when ok()
  // The subscriber id the claims segment names, authenticated or not (0 if
  // it cannot be decoded). For traces and counters only, never for decisions.
  uint64_t claimed_subscriber = 0;
  bool ok() const { return reason == Reason::kOk; }
};

// HMAC-SHA256(key, data) through OpenSSL. Exposed for the known-answer test.
std::array<uint8_t, kMacBytes> hmac_sha256(std::string_view key, std::string_view data);

// REQUIRES: !secret.empty(), claims.role valid, issued_at <= expiry.
std::string issue(const Claims& claims, std::string_view secret);
// REQUIRES: !secret.empty(). Any token bytes are accepted as input.
VerifyResult verify(std::string_view token, std::string_view secret, sim::Time now);

// ---- Verification cost ---------------------------------------------------------

// The reference design checks tokens in under 1 ms in an interpreted service;
// a fixed part (request parsing, MAC set-up, the claim checks) dominates and
// each byte hashed and decoded adds a little. A standard token costs
// 150 us + 81 * 200 ns = 166.2 us. Bytes beyond kTokenBytesMax are never read,
// so they cost nothing: the most any token costs is 201.2 us.
inline constexpr sim::Duration kVerifyCostBase = sim::microseconds(150);
inline constexpr sim::Duration kVerifyCostPerByte = sim::nanoseconds(200);
sim::Duration verify_cost(size_t token_bytes);

// ---- Bad tokens for the workload's mix (deterministic given the Rng) ----------

// A well-formed token for `claims` signed with a random secret that is not
// the real one (with probability 1 - 2^-256): verify() says kBadSignature.
std::string forge(const Claims& claims, sim::Rng& rng);
// A correctly signed token for `claims`' subscriber and role whose expiry lies
// 1 ns .. 1 h before `now` (same lifetime as `claims`): verify() says kExpired.
// REQUIRES: !secret.empty().
std::string expire(const Claims& claims, std::string_view secret, sim::Time now, sim::Rng& rng);
// `token` truncated, with one byte replaced by a character outside the token
// alphabet, or with junk appended: verify() says kMalformed.
// REQUIRES: !token.empty().
std::string malform(std::string_view token, sim::Rng& rng);

// ---- RBAC -------------------------------------------------------------------

enum class Operation : uint8_t {
  kSessionCheck = 0,  // validate a subscriber's session
  kRead = 1,          // read a subscriber's records
  kWrite = 2,         // change a subscriber's records
  kAdminConfig = 3,   // change the cluster's configuration
  kCount
};
const char* operation_name(Operation op);

// kOwn: the target is the token's own subscriber; kAny: any target.
enum class Scope : uint8_t { kOwn = 0, kAny = 1 };

struct Rule {
  Role role;
  Operation op;
  Scope scope;
};

// The one RBAC table; whatever it does not list is refused.
//
//   role        session_check  read   write  admin_config
//   subscriber  own            own    own    -
//   operator    any            any    any    -
//   admin       any            any    any    any
inline constexpr std::array<Rule, 10> kRbacRules{{
    {Role::kSubscriber, Operation::kSessionCheck, Scope::kOwn},
    {Role::kSubscriber, Operation::kRead, Scope::kOwn},
    {Role::kSubscriber, Operation::kWrite, Scope::kOwn},
    {Role::kOperator, Operation::kSessionCheck, Scope::kAny},
    {Role::kOperator, Operation::kRead, Scope::kAny},
    {Role::kOperator, Operation::kWrite, Scope::kAny},
    {Role::kAdmin, Operation::kSessionCheck, Scope::kAny},
    {Role::kAdmin, Operation::kRead, Scope::kAny},
    {Role::kAdmin, Operation::kWrite, Scope::kAny},
    {Role::kAdmin, Operation::kAdminConfig, Scope::kAny},
}};

// True if a rule lets `claims.role` do `op` on `target_subscriber` (for
// kAdminConfig the target is ignored: configuration belongs to nobody).
bool allowed(const Claims& claims, Operation op, uint64_t target_subscriber);

// ---- Guard --------------------------------------------------------------------

namespace detail {
class MacKey;  // a key's precomputed HMAC-SHA256 states, kept out of this header
}

struct Decision {
  Reason reason = Reason::kMalformed;
  Claims claims;                    // meaningful when reason is kOk or kForbidden
  uint64_t claimed_subscriber = 0;  // as VerifyResult::claimed_subscriber
  sim::Duration cost{};             // verify_cost of the token: charge it in simulated time
  bool ok() const { return reason == Reason::kOk; }
};

// What an edge node runs on every request before anything else: verify the
// token, then check RBAC for (operation, target). Keyed once, so a check
// does not set up the MAC from scratch; and it remembers the last tokens
// whose MAC matched, with their decoded claims (a memo of kVerifiedSlots, 48
// KiB, as a real edge caches validated tokens), so a client's token sent
// again is not MACed again. A slot holds the token's 128-bit XXH3 hash, not
// its 81 bytes (120 KiB per edge node before: 120 MB at metro's 1,000): a
// hit on another token would need a 128-bit collision with a verified one.
// The memo changes only the simulator's work: the simulated cost of a check
// (verify_cost) and every decision are the same either way.
class Guard {
 public:
  // REQUIRES: !secret.empty().
  explicit Guard(std::string_view secret);
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // Decides and counts; traces nothing.
  Decision decide(std::string_view token, Operation op, uint64_t target_subscriber, sim::Time now);

  // Decides and counts at env.now(), and traces a kRecordAuthRefused record
  // from env.self() if refused. `env`: any proto::Env (or anything with
  // now(), self() and trace(const sim::Record&)).
  template <class Env>
  Decision check(Env& env, std::string_view token, Operation op, uint64_t target_subscriber) {
    const Decision d = decide(token, op, target_subscriber, env.now());
    if (!d.ok()) env.trace(refusal_record(d, op, target_subscriber, env.now(), env.self()));
    return d;
  }

  static sim::Record refusal_record(const Decision& d, Operation op, uint64_t target_subscriber,
                                    sim::Time now, net::NodeId node);

  uint64_t count(Reason r) const { return counts_[static_cast<size_t>(r)]; }
  uint64_t accepted() const { return count(Reason::kOk); }
  uint64_t refused_total() const;
  // Checks answered from the memo of verified tokens, and the others.
  uint64_t memo_hits() const { return memo_hits_; }
  uint64_t memo_misses() const { return memo_misses_; }

  // The memo: direct-mapped by the token's hash, allocated at the first check.
  static constexpr size_t kVerifiedSlots = 1024;

 private:
  struct VerifiedToken {
    Claims claims;            // what the token decodes to
    uint64_t hash_lo = 0;     // XXH3_128bits of the token; both 0: an empty slot
    uint64_t hash_hi = 0;     // (a token hashing to 0 is simply never memoised)
    bool used() const { return (hash_lo | hash_hi) != 0; }
  };
  static_assert(sizeof(VerifiedToken) <= 48, "a memo slot: 48 KiB per edge node that checks tokens");
  std::unique_ptr<detail::MacKey> key_;
  std::array<uint64_t, kReasonCount> counts_{};
  std::vector<VerifiedToken> verified_;
  sim::Accounted verified_bytes_{sim::Resource::kVerifiedTokens};  // --memory-max
  uint64_t memo_hits_ = 0;
  uint64_t memo_misses_ = 0;
};

// Issues tokens under one secret, keyed once: the clients mint a token per
// request, and setting up the MAC per token was a tenth of a run's time.
class Signer {
 public:
  // REQUIRES: !secret.empty().
  explicit Signer(std::string_view secret);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // The same bytes as issue(claims, secret).
  std::string issue(const Claims& claims) const;

 private:
  std::unique_ptr<detail::MacKey> key_;
};

}  // namespace ecsim::proto::auth
