#include "core/Units.hpp"

#include <doctest/doctest.h>

using namespace milepost;
using namespace std::chrono;

TEST_CASE("durations take s, m, h and d suffixes") {
    CHECK(parse_duration("90s") == milliseconds(90000));
    CHECK(parse_duration("5m") == minutes(5));
    CHECK(parse_duration("1h30m") == minutes(90));
    CHECK(parse_duration("2.5s") == milliseconds(2500));
    CHECK(parse_duration("12") == seconds(12));
    for (const char* bad : {"", "m", "5x", "-5m", "1h30", "5 m", "1e3s", "400d"})
        CHECK_MESSAGE(!parse_duration(bad), bad);
}

TEST_CASE("sizes are WIDTHxHEIGHT within 16..16384") {
    CHECK(parse_size("1920x1080") == Size{1920, 1080});
    for (const char* bad :
         {"", "1920", "1920x", "x1080", "1920X1080", "8x8", "99999x10", "-1x5", "1920x1080x3"})
        CHECK_MESSAGE(!parse_size(bad), bad);
}

TEST_CASE("times of day and dates are checked against the calendar") {
    CHECK(parse_time_of_day("07:00")->minutes == 420);
    CHECK(parse_time_of_day("23:59")->minutes == 1439);
    for (const char* bad : {"24:00", "7:00", "07:60", "0700", "ab:cd"})
        CHECK_MESSAGE(!parse_time_of_day(bad), bad);
    CHECK(parse_date("2028-02-29"));
    for (const char* bad : {"2026-02-29", "2026-13-01", "2026-1-01", "26-01-01", "2026/01/01"})
        CHECK_MESSAGE(!parse_date(bad), bad);
    // format_date writes what parse_date reads, early years included (found by the
    // manifest fuzzer: year 991 was written "991-01-31" and then refused).
    for (const char* date : {"2028-02-29", "0991-01-31", "0001-01-01", "9999-12-31"})
        CHECK(format_date(*parse_date(date)) == date);
}

TEST_CASE("RFC 3339 times keep their offset") {
    auto utc = parse_rfc3339("2026-12-02T18:00:00Z");
    REQUIRE(utc);
    CHECK(parse_rfc3339("2026-12-02T12:00:00-06:00") == utc);
    CHECK(parse_rfc3339("2026-12-02T18:00:00.250Z") == *utc + milliseconds(250));
    CHECK(utc->time_since_epoch() == sys_days(2026y / December / 2).time_since_epoch() + hours(18));
    for (const char* bad : {"2026-12-02", "2026-12-02T18:00:00", "2026-12-02T25:00:00Z",
                            "2026-12-02T18:00:00+0600", "2026-12-02T18:00:00Zjunk"})
        CHECK_MESSAGE(!parse_rfc3339(bad), bad);
    // Found by the units fuzz target: an offset carrying a time out of four-digit
    // years, which format_rfc3339_utc writes as "10000-..." and nothing reads back.
    CHECK(!parse_rfc3339("9999-12-31T02:00:04.050-23:00"));
    CHECK(!parse_rfc3339("0000-01-01T00:00:00+01:00"));
    auto latest = parse_rfc3339("9999-12-31T23:59:59Z");
    REQUIRE(latest);
    CHECK(parse_rfc3339(format_rfc3339_utc(*latest)) == latest);
}

TEST_CASE("rates are bytes per second with K, M, G") {
    CHECK(parse_rate("0") == 0);
    CHECK(parse_rate("2M") == 2 * 1024 * 1024);
    CHECK(parse_rate("500k") == 500 * 1024);
    CHECK(parse_rate("123456") == 123456);
    for (const char* bad : {"", "M", "2T", "-1", "fast"})
        CHECK_MESSAGE(!parse_rate(bad), bad);
    // Found by the units fuzz target: under the 1e12 cap before its unit, past 64
    // bits after (it came out negative).
    CHECK(!parse_rate("99999999999G"));
    CHECK(parse_rate("1000G") == std::int64_t{1000} * 1024 * 1024 * 1024);
}
