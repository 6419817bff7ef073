#include "ecsim/proto/auth.hpp"
#include "ecsim/proto/plant.hpp"

// SHA256_Init and its kin are deprecated in OpenSSL 3 (see MacKey).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <xxhash.h>

#include <algorithm>
#include <optional>

#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::auth {

namespace detail {

// A keyed HMAC-SHA256 (RFC 2104): the SHA-256 states after the key's inner
// and outer pad blocks are computed once per secret, and each MAC starts
// from copies of them (plain structs: no allocation), so a token costs two
// SHA-256 finishes. OpenSSL's EVP_MAC interface re-initialised a context
// per token through its provider layers and took about twice as long
// (docs/benchmarks.md); the low-level SHA-256 functions are deprecated in
// OpenSSL 3 but kept, and the result is the same MAC (RFC 4231 in
// tests/unit/test_auth.cpp). Single-threaded, as the model.
class MacKey {
 public:
  explicit MacKey(std::string_view secret) {
    ECSIM_ASSERT(!secret.empty());
    std::array<unsigned char, kBlockBytes> block{};
    if (secret.size() > kBlockBytes) {  // a long key is hashed first
      SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), block.data());
    } else {
      std::copy(secret.begin(), secret.end(), block.begin());
    }
    std::array<unsigned char, kBlockBytes> pad{};
    for (size_t i = 0; i < kBlockBytes; ++i) pad[i] = block[i] ^ 0x36;
    ECSIM_ASSERT(SHA256_Init(&inner_) == 1 && SHA256_Update(&inner_, pad.data(), pad.size()) == 1);
    for (size_t i = 0; i < kBlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
    ECSIM_ASSERT(SHA256_Init(&outer_) == 1 && SHA256_Update(&outer_, pad.data(), pad.size()) == 1);
  }
  MacKey(const MacKey&) = delete;
  MacKey& operator=(const MacKey&) = delete;

  std::array<uint8_t, kMacBytes> mac(std::string_view data) const {
    static_assert(kMacBytes == SHA256_DIGEST_LENGTH);
    SHA256_CTX ctx = inner_;
    std::array<uint8_t, kMacBytes> inner_digest{};
    ECSIM_ASSERT(SHA256_Update(&ctx, data.data(), data.size()) == 1);
    ECSIM_ASSERT(SHA256_Final(inner_digest.data(), &ctx) == 1);
    ctx = outer_;
    std::array<uint8_t, kMacBytes> out{};
    ECSIM_ASSERT(SHA256_Update(&ctx, inner_digest.data(), inner_digest.size()) == 1);
    ECSIM_ASSERT(SHA256_Final(out.data(), &ctx) == 1);
    return out;
  }

 private:
  static constexpr size_t kBlockBytes = SHA256_CBLOCK;
  SHA256_CTX inner_{};  // after the key XOR 0x36 block
  SHA256_CTX outer_{};  // after the key XOR 0x5c block
};

}  // namespace detail

namespace {

using detail::MacKey;

// Base64 characters per encoded segment (no padding).
constexpr size_t encoded_len(size_t n) { return (n * 4 + 2) / 3; }
constexpr size_t kClaimsChars = encoded_len(kClaimsBytes);
constexpr size_t kMacChars = encoded_len(kMacBytes);
constexpr size_t kSignedBytes = kTokenPrefix.size() + kClaimsChars;  // "e1.<claims>"
static_assert(kClaimsChars == 34 && kMacChars == 43);
static_assert(kSignedBytes + 1 + kMacChars == kTokenBytes);
static_assert(kTokenBytes <= kTokenBytesMax);

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

void b64_encode(const uint8_t* data, size_t n, std::string& out) {
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
}

// Strict: exactly `n` bytes, only alphabet characters, and the unused low
// bits of the last character zero, so every byte string has one encoding.
template <size_t N>
std::optional<std::array<uint8_t, N>> b64_decode(std::string_view text) {
  if (text.size() != encoded_len(N)) return std::nullopt;
  std::array<uint8_t, N> out{};
  uint32_t acc = 0;
  int bits = 0;
  size_t n = 0;
  for (char c : text) {
    const int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  ECSIM_ASSERT(n == N);
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

std::array<uint8_t, kClaimsBytes> encode_claims(const Claims& c) {
  std::array<uint8_t, kClaimsBytes> b{};
  put_u64(&b[0], c.subscriber_id);
  put_u64(&b[8], static_cast<uint64_t>(c.issued_at.ns));
  put_u64(&b[16], static_cast<uint64_t>(c.expiry.ns));
  b[24] = static_cast<uint8_t>(c.role);
  return b;
}

// The role byte is checked by the caller: it is only trusted once the MAC is.
Claims decode_claims(const std::array<uint8_t, kClaimsBytes>& b) {
  Claims c;
  c.subscriber_id = get_u64(&b[0]);
  c.issued_at = sim::Time{static_cast<int64_t>(get_u64(&b[8]))};
  c.expiry = sim::Time{static_cast<int64_t>(get_u64(&b[16]))};
  c.role = static_cast<Role>(b[24]);
  return c;
}

bool valid_role(Role r) { return static_cast<uint8_t>(r) < static_cast<uint8_t>(Role::kCount); }

std::string issue_with(const MacKey& key, const Claims& claims) {
  ECSIM_ASSERT(valid_role(claims.role));
  ECSIM_ASSERT(claims.issued_at <= claims.expiry);
  std::string token;
  token.reserve(kTokenBytes);
  token.append(kTokenPrefix);
  const auto claim_bytes = encode_claims(claims);
  b64_encode(claim_bytes.data(), claim_bytes.size(), token);
  const auto mac = key.mac(token);
  token.push_back('.');
  b64_encode(mac.data(), mac.size(), token);
  ECSIM_ASSERT(token.size() == kTokenBytes);
  return token;
}

// What a token's claims mean once its MAC is judged: `mac_ok` says it matched.
VerifyResult judge(const Claims& claims, bool mac_ok, sim::Time now) {
  VerifyResult r;
  r.claimed_subscriber = claims.subscriber_id;
  if (!mac_ok && !planted(Plant::kAuthSkipVerify)) {  // planted bug: any signature passes
    r.reason = Reason::kBadSignature;
  } else if (!valid_role(claims.role)) {
    r.reason = Reason::kMalformed;  // signed by a buggy issuer: refuse, never guess
  } else if (now > claims.expiry) {
    r.reason = Reason::kExpired;
  } else if (now < claims.issued_at) {
    r.reason = Reason::kNotYetValid;
  } else {
    r.reason = Reason::kOk;
    r.claims = claims;
  }
  return r;
}

// Order: structure, then the MAC, then the claims' meaning, so nothing the
// token says is believed before it is authenticated. `mac_good`, when
// given, says whether the MAC was checked and matched; `decoded`, when
// given and the structure is sound, receives the claims.
VerifyResult verify_with(const MacKey& key, std::string_view token, sim::Time now, bool* mac_good = nullptr,
                         Claims* decoded = nullptr) {
  VerifyResult r;
  if (token.size() != kTokenBytes || !token.starts_with(kTokenPrefix) ||
      token[kSignedBytes] != '.') {
    return r;  // kMalformed
  }
  const auto claim_bytes =
      b64_decode<kClaimsBytes>(token.substr(kTokenPrefix.size(), kClaimsChars));
  if (!claim_bytes) return r;
  const Claims claims = decode_claims(*claim_bytes);
  r.claimed_subscriber = claims.subscriber_id;
  const auto given_mac = b64_decode<kMacBytes>(token.substr(kSignedBytes + 1));
  if (!given_mac) return r;
  const auto want_mac = key.mac(token.substr(0, kSignedBytes));
  const bool mac_ok = CRYPTO_memcmp(want_mac.data(), given_mac->data(), kMacBytes) == 0;
  if (mac_good != nullptr) *mac_good = mac_ok;
  if (decoded != nullptr) *decoded = claims;
  return judge(claims, mac_ok, now);
}

}  // namespace

const char* role_name(Role r) {
  switch (r) {
    case Role::kSubscriber:
      return "subscriber";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    case Role::kCount:
      break;
  }
  return "?";
}

const char* reason_name(Reason r) {
  switch (r) {
    case Reason::kOk:
      return "ok";
    case Reason::kMalformed:
      return "malformed";
    case Reason::kBadSignature:
      return "bad_signature";
    case Reason::kExpired:
      return "expired";
    case Reason::kNotYetValid:
      return "not_yet_valid";
    case Reason::kForbidden:
      return "forbidden";
    case Reason::kCount:
      break;
  }
  return "?";
}

const char* operation_name(Operation op) {
  switch (op) {
    case Operation::kSessionCheck:
      return "session_check";
    case Operation::kRead:
      return "read";
    case Operation::kWrite:
      return "write";
    case Operation::kAdminConfig:
      return "admin_config";
    case Operation::kCount:
      break;
  }
  return "?";
}

std::array<uint8_t, kMacBytes> hmac_sha256(std::string_view key, std::string_view data) {
  return MacKey(key).mac(data);
}

std::string issue(const Claims& claims, std::string_view secret) {
  return issue_with(MacKey(secret), claims);
}

VerifyResult verify(std::string_view token, std::string_view secret, sim::Time now) {
  const VerifyResult r = verify_with(MacKey(secret), token, now);
  ECSIM_ASSERT(r.reason != Reason::kForbidden && r.reason != Reason::kCount);
  return r;
}

sim::Duration verify_cost(size_t token_bytes) {
  const size_t read_bytes = std::min(token_bytes, kTokenBytesMax);
  const sim::Duration cost =
      kVerifyCostBase + kVerifyCostPerByte * static_cast<int64_t>(read_bytes);
  ECSIM_ASSERT(cost < sim::milliseconds(1));  // the reference design's bound
  return cost;
}

// ---- Bad tokens ---------------------------------------------------------------

std::string forge(const Claims& claims, sim::Rng& rng) {
  std::string wrong_secret(32, '\0');
  for (char& c : wrong_secret) c = static_cast<char>(rng.next_u64() & 0xff);
  return issue(claims, wrong_secret);
}

std::string expire(const Claims& claims, std::string_view secret, sim::Time now, sim::Rng& rng) {
  const sim::Duration lifetime = claims.expiry - claims.issued_at;
  ECSIM_ASSERT(lifetime.ns >= 0);
  Claims old = claims;
  old.expiry = now - sim::Duration{1 + static_cast<int64_t>(rng.below(sim::seconds(3600).ns))};
  old.issued_at = old.expiry - lifetime;
  ECSIM_ASSERT(old.expiry < now);
  return issue(old, secret);
}

std::string malform(std::string_view token, sim::Rng& rng) {
  ECSIM_ASSERT(!token.empty());
  std::string bad(token);
  switch (rng.below(3)) {
    case 0:  // truncated in transit
      bad.resize(rng.below(bad.size()));
      break;
    case 1:  // a byte garbled into one no token contains
      bad[rng.below(bad.size())] = static_cast<char>("!*~ \x80"[rng.below(5)]);
      break;
    default:  // junk appended
      for (uint64_t n = 1 + rng.below(16); n > 0; --n) bad.push_back(kAlphabet[rng.below(64)]);
      break;
  }
  ECSIM_ASSERT(bad != token);
  return bad;
}

// ---- RBAC -------------------------------------------------------------------

namespace {
// Each (role, operation) appears at most once, so the table reads unambiguously.
constexpr bool rules_unique() {
  for (size_t i = 0; i < kRbacRules.size(); ++i) {
    for (size_t j = i + 1; j < kRbacRules.size(); ++j) {
      if (kRbacRules[i].role == kRbacRules[j].role && kRbacRules[i].op == kRbacRules[j].op)
        return false;
    }
  }
  return true;
}
static_assert(rules_unique());
}  // namespace

bool allowed(const Claims& claims, Operation op, uint64_t target_subscriber) {
  ECSIM_ASSERT(valid_role(claims.role));
  ECSIM_ASSERT(static_cast<uint8_t>(op) < static_cast<uint8_t>(Operation::kCount));
  const bool own = op != Operation::kAdminConfig && target_subscriber == claims.subscriber_id;
  for (const Rule& rule : kRbacRules) {
    if (rule.role == claims.role && rule.op == op) return rule.scope == Scope::kAny || own;
  }
  return false;
}

// ---- Guard --------------------------------------------------------------------

Guard::Guard(std::string_view secret) : key_(std::make_unique<detail::MacKey>(secret)) {}
Guard::~Guard() = default;

Signer::Signer(std::string_view secret) : key_(std::make_unique<detail::MacKey>(secret)) {}
Signer::~Signer() = default;

std::string Signer::issue(const Claims& claims) const { return issue_with(*key_, claims); }

Decision Guard::decide(std::string_view token, Operation op, uint64_t target_subscriber,
                       sim::Time now) {
  // The memo holds only tokens whose MAC matched, by their 128-bit hash, so
  // a hit is as good as computing the MAC again (unless a token collides
  // with a verified one in 128 bits); claims, expiry and RBAC are still
  // checked every time.
  VerifiedToken* slot = nullptr;
  bool known = false;
  XXH128_hash_t hash{};
  if (token.size() == kTokenBytes) {
    if (verified_.empty()) {
      verified_.resize(kVerifiedSlots);
      verified_bytes_.set_bytes(static_cast<int64_t>(kVerifiedSlots * sizeof(VerifiedToken)));
    }
    hash = XXH3_128bits(token.data(), token.size());
    slot = &verified_[hash.low64 % kVerifiedSlots];
    known = slot->used() && slot->hash_lo == hash.low64 && slot->hash_hi == hash.high64;
  }
  VerifyResult v;
  if (known) {
    // The same bytes decode to the same claims: only their meaning at `now` is judged again.
    v = judge(slot->claims, true, now);
  } else {
    bool mac_good = false;
    Claims claims;
    v = verify_with(*key_, token, now, &mac_good, &claims);
    if (mac_good && slot != nullptr) {
      slot->claims = claims;
      slot->hash_lo = hash.low64;
      slot->hash_hi = hash.high64;
    }
  }
  ++(known ? memo_hits_ : memo_misses_);
  Decision d;
  d.reason = v.reason;
  d.claimed_subscriber = v.claimed_subscriber;
  d.cost = verify_cost(token.size());
  if (v.ok()) {
    d.claims = v.claims;
    if (!allowed(v.claims, op, target_subscriber)) d.reason = Reason::kForbidden;
  }
  ++counts_[static_cast<size_t>(d.reason)];
  return d;
}

sim::Record Guard::refusal_record(const Decision& d, Operation op, uint64_t target_subscriber,
                                  sim::Time now, net::NodeId node) {
  ECSIM_ASSERT(!d.ok());
  sim::Record r;
  r.time_ns = now.ns;
  r.type = kRecordAuthRefused;
  r.code = static_cast<uint16_t>(d.reason);
  r.node = node;
  r.kind = static_cast<uint32_t>(op);
  r.a = d.claimed_subscriber;
  r.b = target_subscriber;
  return r;
}

uint64_t Guard::refused_total() const {
  uint64_t total = 0;
  for (size_t i = 1; i < kReasonCount; ++i) total += counts_[i];
  return total;
}

}  // namespace ecsim::proto::auth
