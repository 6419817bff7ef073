#include <catch2/catch.hpp>

#include "ecsim/sim/time.hpp"

namespace test_time {

using namespace ecsim::sim;
using namespace ecsim::sim::literals;

TEST_CASE("duration literals parse exactly", "[time]") {
  CHECK(parse_duration("250us")->ns == 250000);
  CHECK(parse_duration("5ms")->ns == 5000000);
  CHECK(parse_duration("1.5s")->ns == 1500000000);
  CHECK(parse_duration("2m")->ns == 120000000000);
  CHECK(parse_duration("1h")->ns == 3600000000000);
  CHECK(parse_duration("17ns")->ns == 17);
  CHECK(parse_duration("0s")->ns == 0);
  CHECK(parse_duration("0.000000001s")->ns == 1);
}

TEST_CASE("malformed durations are refused with a reason", "[time]") {
  std::string why;
  CHECK_FALSE(parse_duration("-5ms", &why));
  CHECK(why == "durations cannot be negative");
  CHECK_FALSE(parse_duration("5", &why));
  CHECK(why == "missing unit (ns, us, ms, s, m, h)");
  CHECK_FALSE(parse_duration("5 parsecs", &why));
  CHECK_FALSE(parse_duration("1.5ns", &why));
  CHECK(why == "duration is not a whole number of nanoseconds");
  CHECK_FALSE(parse_duration("ms", &why));
  CHECK_FALSE(parse_duration("1.s", &why));
  CHECK_FALSE(parse_duration("99999999999999999999h", &why));
  CHECK(why == "duration too large (at most 1000000h)");
}

TEST_CASE("durations stop at a million hours, never wrapping int64 nanoseconds", "[time]") {
  std::string why;
  // Issue 9: these wrapped negative (UBSan: signed overflow in the parser).
  for (const char* text : {"9223372036.9s", "9300000000s", "9223372037s", "2562048h", "153722868m"}) {
    INFO(text);
    CHECK_FALSE(parse_duration(text, &why));
    CHECK(why == "duration too large (at most 1000000h)");
  }
  CHECK(parse_duration("1000000h") == kDurationLiteralMax);
  CHECK(parse_duration("3600000000s") == kDurationLiteralMax);
  CHECK_FALSE(parse_duration("3600000000.000000001s", &why));
  CHECK(parse_duration("9223372036ms") == Duration{9223372036000000});
}

TEST_CASE("durations print in their shortest exact form", "[time]") {
  CHECK(format_duration(5_ms) == "5ms");
  CHECK(format_duration(1500_ms) == "1.5s");
  CHECK(format_duration(250_us) == "250us");
  CHECK(format_duration(0_s) == "0s");
  CHECK(format_duration(17_ns) == "17ns");
  CHECK(format_duration(Duration{1363145053}) == "1.363145053s");
  CHECK(format_duration(Duration{20971519}) == "20.971519ms");
  CHECK(format_duration(Duration{1500}) == "1.5us");
  CHECK(format_duration(Duration{-2500000}) == "-2.5ms");
  for (int64_t v : {1LL, 999LL, 1000LL, 1001LL, 1500000LL, 123456789LL, 60000000000LL}) {
    CHECK(parse_duration(format_duration(Duration{v}))->ns == v);  // round trip
  }
}

// Reported in issue 9 (UBSan) and checked by fuzz_numbers
// (fuzz/regressions/numbers/): a whole part that fits in int64 nanoseconds
// plus a fraction that does not wrapped negative. Each is refused as too
// large (whatever the upper bound of a literal is), never accepted as a
// negative or wrapped value.
TEST_CASE("durations at the edge of int64 nanoseconds never wrap", "[time]") {
  for (const char* text : {"9223372036.854775808s", "9223372036.9s", "153722867.280912931m",
                           "2562047.788015216h", "9223372036854775808ns"}) {
    INFO(text);
    std::string why;
    CHECK_FALSE(parse_duration(text, &why));
    CHECK(why.rfind("duration too large", 0) == 0);
  }
}

}  // namespace test_time
