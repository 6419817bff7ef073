#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "ecsim/proto/auth.hpp"
#include "ecsim/proto/env.hpp"

namespace test_auth {

using namespace ecsim;
using namespace ecsim::proto::auth;
using sim::Time;

namespace {

constexpr std::string_view kSecret = "edge-secret";

Claims claims_for(uint64_t subscriber, Role role = Role::kSubscriber) {
  Claims c;
  c.subscriber_id = subscriber;
  c.role = role;
  c.issued_at = Time{sim::seconds(10).ns};
  c.expiry = c.issued_at + sim::seconds(3600);
  return c;
}

const Time kNow = Time{sim::seconds(20).ns};

std::string hex(const std::array<uint8_t, kMacBytes>& mac) {
  std::string out;
  char buf[3];
  for (uint8_t b : mac) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

}  // namespace

TEST_CASE("auth: HMAC-SHA256 of a key longer than a block, of one block, and of no data", "[auth]") {
  // RFC 4231 test case 6: a 131-byte key is hashed first.
  CHECK(hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Expected values from Python's hmac module.
  CHECK(hex(hmac_sha256(std::string(64, 'k'), "abc")) ==
        "ae0c0e4a2340cf50185eb46aaa8723f4769153661612e212fb0d1fa3170c6202");
  std::string key;
  for (int i = 0; i < 64; ++i) key.push_back(static_cast<char>(i));
  CHECK(hex(hmac_sha256(key, "")) == "3499f163f48604c0b15ac89e4e7c66f314fb3b203b8ac2f564828e62f6be9d9d");
}

TEST_CASE("auth: HMAC-SHA256 matches RFC 4231 test case 2", "[auth]") {
  CHECK(hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("auth: token bytes are pinned against an independent encoder", "[auth]") {
  // Expected value computed with Python's hmac, struct ('<Qqqb') and
  // base64.urlsafe_b64encode without padding: the format in auth.hpp.
  const std::string token = issue(claims_for(123456789, Role::kOperator), kSecret);
  CHECK(token ==
        "e1.Fc1bBwAAAAAA5AtUAgAAAACExIRIAwAAAQ.7qXl-4GA8NS9D8uYDOAGJXvrdS1eldanilzXVl8R7j0");
  CHECK(token.size() == kTokenBytes);
}

TEST_CASE("auth: issue then verify round-trips the claims", "[auth]") {
  for (Role role : {Role::kSubscriber, Role::kOperator, Role::kAdmin}) {
    const Claims c = claims_for(42, role);
    const VerifyResult r = verify(issue(c, kSecret), kSecret, kNow);
    REQUIRE(r.reason == Reason::kOk);
    CHECK(r.claims == c);
    CHECK(r.claimed_subscriber == 42);
  }
  // Extreme values survive the little-endian encoding.
  Claims c = claims_for(UINT64_MAX, Role::kAdmin);
  c.issued_at = Time{-5};
  c.expiry = Time::max();
  const VerifyResult r = verify(issue(c, kSecret), kSecret, kNow);
  REQUIRE(r.ok());
  CHECK(r.claims == c);
}

TEST_CASE("auth: a token signed with another secret is refused as forged", "[auth]") {
  const Claims c = claims_for(7);
  CHECK(verify(issue(c, "another-secret"), kSecret, kNow).reason == Reason::kBadSignature);
  sim::Rng rng(99);
  for (int i = 0; i < 20; ++i) {
    const VerifyResult r = verify(forge(c, rng), kSecret, kNow);
    CHECK(r.reason == Reason::kBadSignature);
    CHECK(r.claimed_subscriber == 7);  // readable for the trace, but not believed
  }
}

TEST_CASE("auth: any single flipped bit is refused", "[auth]") {
  const std::string token = issue(claims_for(1001), kSecret);
  REQUIRE(verify(token, kSecret, kNow).ok());
  for (size_t i = 0; i < token.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = token;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      const Reason why = verify(bad, kSecret, kNow).reason;
      INFO("byte " << i << " bit " << bit << " -> " << reason_name(why));
      CHECK((why == Reason::kMalformed || why == Reason::kBadSignature));
    }
  }
}

TEST_CASE("auth: a changed claim under the old signature is refused", "[auth]") {
  // Splice subscriber 2's claims onto subscriber 1's signature.
  const std::string mine = issue(claims_for(1), kSecret);
  const std::string theirs = issue(claims_for(2), kSecret);
  const size_t dot = mine.rfind('.');
  const std::string spliced = theirs.substr(0, dot) + mine.substr(dot);
  CHECK(verify(spliced, kSecret, kNow).reason == Reason::kBadSignature);
}

TEST_CASE("auth: expiry is exact to the nanosecond", "[auth]") {
  const Claims c = claims_for(5);
  const std::string token = issue(c, kSecret);
  CHECK(verify(token, kSecret, c.expiry).ok());
  CHECK(verify(token, kSecret, c.expiry + sim::nanoseconds(1)).reason == Reason::kExpired);
  CHECK(verify(token, kSecret, c.issued_at).ok());
  CHECK(verify(token, kSecret, c.issued_at - sim::nanoseconds(1)).reason == Reason::kNotYetValid);

  sim::Rng rng(3);
  for (int i = 0; i < 20; ++i) {
    const std::string old = expire(c, kSecret, kNow, rng);
    CHECK(verify(old, kSecret, kNow).reason == Reason::kExpired);
  }
}

TEST_CASE("auth: malformed input is refused without a crash", "[auth]") {
  const std::string token = issue(claims_for(9), kSecret);
  std::vector<std::string> inputs = {
      "",
      "e1.",
      "..",
      token.substr(0, token.size() - 1),
      token + "A",
      std::string(kTokenBytes, '.'),
      std::string(kTokenBytes, '\0'),
      std::string(1 << 20, 'A'),  // 1 MiB
  };
  std::string padded = token;
  padded.back() = '=';  // base64 padding is not part of the format
  inputs.push_back(padded);
  std::string wrong_prefix = token;
  wrong_prefix[1] = '2';
  inputs.push_back(wrong_prefix);
  for (const std::string& in : inputs) {
    INFO("input of " << in.size() << " bytes");
    CHECK(verify(in, kSecret, kNow).reason == Reason::kMalformed);
  }

  sim::Rng rng(11);
  for (int i = 0; i < 200; ++i) {
    const std::string bad = malform(token, rng);
    CHECK(verify(bad, kSecret, kNow).reason == Reason::kMalformed);
  }
}

TEST_CASE("auth: bad-token helpers are deterministic given the Rng", "[auth]") {
  const Claims c = claims_for(77);
  const std::string token = issue(c, kSecret);
  sim::Rng a(5), b(5);
  for (int i = 0; i < 10; ++i) {
    CHECK(forge(c, a) == forge(c, b));
    CHECK(expire(c, kSecret, kNow, a) == expire(c, kSecret, kNow, b));
    CHECK(malform(token, a) == malform(token, b));
  }
}

TEST_CASE("auth: verification cost is within the design's budget", "[auth]") {
  const sim::Duration standard = verify_cost(kTokenBytes);
  CHECK(standard == sim::nanoseconds(166200));
  CHECK(standard >= sim::microseconds(100));
  CHECK(standard <= sim::microseconds(300));
  CHECK(verify_cost(0) == kVerifyCostBase);
  CHECK(verify_cost(1 << 20) == verify_cost(kTokenBytesMax));  // the rest is never read
  CHECK(verify_cost(1 << 20) < sim::milliseconds(1));
}

TEST_CASE("auth: RBAC table decides who may touch what", "[auth]") {
  const Claims sub = claims_for(1, Role::kSubscriber);
  const Claims op = claims_for(2, Role::kOperator);
  const Claims admin = claims_for(3, Role::kAdmin);

  CHECK(allowed(sub, Operation::kRead, 1));
  CHECK_FALSE(allowed(sub, Operation::kRead, 2));
  CHECK(allowed(sub, Operation::kWrite, 1));
  CHECK_FALSE(allowed(sub, Operation::kWrite, 2));
  CHECK(allowed(sub, Operation::kSessionCheck, 1));
  CHECK_FALSE(allowed(sub, Operation::kSessionCheck, 2));
  CHECK_FALSE(allowed(sub, Operation::kAdminConfig, 1));

  CHECK(allowed(op, Operation::kRead, 1));
  CHECK(allowed(op, Operation::kWrite, 1));
  CHECK(allowed(op, Operation::kRead, 2));
  CHECK_FALSE(allowed(op, Operation::kAdminConfig, 0));
  CHECK_FALSE(allowed(op, Operation::kAdminConfig, 2));

  CHECK(allowed(admin, Operation::kWrite, 1));
  CHECK(allowed(admin, Operation::kAdminConfig, 0));

  // A subscriber whose id happens to be the "no target" value still may not
  // change configuration: kAdminConfig has no kOwn scope.
  CHECK_FALSE(allowed(claims_for(0, Role::kSubscriber), Operation::kAdminConfig, 0));
}

TEST_CASE("auth: Guard decides, counts by reason and traces refusals", "[auth]") {
  Guard guard(kSecret);
  proto::FakeEnv<int> env(/*self=*/4);
  env.set_now(kNow);
  sim::Rng rng(21);
  const Claims c = claims_for(1);
  const std::string good = issue(c, kSecret);

  Decision d = guard.check(env, good, Operation::kRead, 1);
  CHECK(d.ok());
  CHECK(d.claims == c);
  CHECK(d.cost == verify_cost(kTokenBytes));
  CHECK(env.records.empty());

  d = guard.check(env, good, Operation::kRead, 2);  // another subscriber's data
  CHECK(d.reason == Reason::kForbidden);
  CHECK(guard.check(env, forge(c, rng), Operation::kRead, 1).reason == Reason::kBadSignature);
  CHECK(guard.check(env, forge(c, rng), Operation::kRead, 1).reason == Reason::kBadSignature);
  CHECK(guard.check(env, expire(c, kSecret, kNow, rng), Operation::kRead, 1).reason ==
        Reason::kExpired);
  CHECK(guard.check(env, "garbage", Operation::kWrite, 8).reason == Reason::kMalformed);

  CHECK(guard.accepted() == 1);
  CHECK(guard.count(Reason::kForbidden) == 1);
  CHECK(guard.count(Reason::kBadSignature) == 2);
  CHECK(guard.count(Reason::kExpired) == 1);
  CHECK(guard.count(Reason::kMalformed) == 1);
  CHECK(guard.count(Reason::kNotYetValid) == 0);
  CHECK(guard.refused_total() == 5);

  REQUIRE(env.records.size() == 5);
  const sim::Record& forbidden = env.records[0];
  CHECK(forbidden.type == kRecordAuthRefused);
  CHECK(forbidden.node == 4);
  CHECK(forbidden.time_ns == kNow.ns);
  CHECK(forbidden.code == static_cast<uint16_t>(Reason::kForbidden));
  CHECK(forbidden.kind == static_cast<uint32_t>(Operation::kRead));
  CHECK(forbidden.a == 1);
  CHECK(forbidden.b == 2);
  const sim::Record& garbage = env.records[4];
  CHECK(garbage.code == static_cast<uint16_t>(Reason::kMalformed));
  CHECK(garbage.a == 0);  // nothing readable was claimed
  CHECK(garbage.b == 8);
}

TEST_CASE("auth: the Guard's memo of verified tokens never changes a decision", "[auth]") {
  // Valid tokens sent again (memo hits) among forgeries with the same
  // claims, one-byte tamperings of memoised tokens, expired and malformed
  // ones: each decision equals verify() + allowed() made from scratch.
  Guard guard(kSecret);
  sim::Rng rng(77);
  std::vector<Claims> claims;
  std::vector<std::string> valid;
  for (uint64_t s = 1; s <= 64; ++s) {
    Claims c = claims_for(s);
    if (s % 2 == 0) c.expiry = Time{sim::seconds(30).ns};  // expires halfway through the checks
    claims.push_back(c);
    valid.push_back(issue(c, kSecret));
  }
  const auto fresh = [&](const std::string& token, uint64_t target, Time now) {
    const VerifyResult v = verify(token, kSecret, now);
    if (!v.ok()) return v.reason;
    return allowed(v.claims, Operation::kRead, target) ? Reason::kOk : Reason::kForbidden;
  };
  uint64_t checked = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t s = 1 + rng.below(64);
    const std::string& good = valid[s - 1];
    std::string token;
    switch (rng.below(6)) {
      case 0: case 1: token = good; break;
      case 2: token = forge(claims[s - 1], rng); break;
      case 3: {  // one byte of a (probably memoised) valid token changed
        token = good;
        const size_t at = rng.below(token.size());
        token[at] = token[at] == 'A' ? 'B' : 'A';
        break;
      }
      case 4: token = expire(claims[s - 1], kSecret, kNow, rng); break;
      default: token = malform(good, rng); break;
    }
    const uint64_t target = rng.below(4) == 0 ? s + 1 : s;
    // Later checks reach past some tokens' expiry: the memo must judge time again.
    const Time now{kNow.ns + static_cast<int64_t>(i) * sim::milliseconds(1).ns};
    const Decision d = guard.decide(token, Operation::kRead, target, now);
    INFO("check " << i << " token " << token);
    REQUIRE(d.reason == fresh(token, target, now));
    ++checked;
  }
  CHECK(checked == 20000);
  CHECK(guard.memo_hits() > 5000);  // the memo was used, not bypassed
  CHECK(guard.accepted() > 0);
  CHECK(guard.count(Reason::kExpired) > 2000);  // memoised tokens that expired meanwhile among them
  CHECK(guard.count(Reason::kBadSignature) > 0);
}

TEST_CASE("auth: reason names are distinct and stable", "[auth]") {
  CHECK(std::string(reason_name(Reason::kOk)) == "ok");
  CHECK(std::string(reason_name(Reason::kMalformed)) == "malformed");
  CHECK(std::string(reason_name(Reason::kBadSignature)) == "bad_signature");
  CHECK(std::string(reason_name(Reason::kExpired)) == "expired");
  CHECK(std::string(reason_name(Reason::kNotYetValid)) == "not_yet_valid");
  CHECK(std::string(reason_name(Reason::kForbidden)) == "forbidden");
}

TEST_CASE("auth: a Signer keyed once issues the same bytes as issue(), token after token", "[auth]") {
  const Signer signer(kSecret);
  // The key is reused from one MAC to the next: interleave subscribers and
  // roles so that a state left over from the previous token would show.
  for (uint64_t i = 0; i < 50; ++i) {
    const Claims c = claims_for(1000 + i * 7919, i % 3 == 0 ? Role::kAdmin : Role::kSubscriber);
    const std::string token = signer.issue(c);
    CHECK(token == issue(c, kSecret));
    const VerifyResult v = verify(token, kSecret, kNow);
    REQUIRE(v.ok());
    CHECK(v.claims.subscriber_id == c.subscriber_id);
  }
  CHECK(Signer("another-secret").issue(claims_for(5)) != signer.issue(claims_for(5)));
  CHECK(verify(Signer("another-secret").issue(claims_for(5)), kSecret, kNow).reason == Reason::kBadSignature);
}

}  // namespace test_auth
