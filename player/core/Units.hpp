#pragma once
// Parsers for the small value formats of the config and channel files.
// Each returns nullopt on malformed input; the caller names the key.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace milepost {

struct Size {
    int width = 0;
    int height = 0;
    bool operator==(const Size&) const = default;
};

// Minutes after midnight, 0..1439.
struct TimeOfDay {
    int minutes = 0;
    bool operator==(const TimeOfDay&) const = default;
};

using WallTime = std::chrono::sys_time<std::chrono::milliseconds>;

// "90s", "5m", "1h", "1h30m", "2.5s"; a bare number is seconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// "1920x1080"; both sides 16..16384.
std::optional<Size> parse_size(std::string_view text);
// "07:00"
std::optional<TimeOfDay> parse_time_of_day(std::string_view text);
std::string format_time_of_day(TimeOfDay t);
// "2026-12-01", a real calendar day.
std::optional<std::chrono::year_month_day> parse_date(std::string_view text);
// The date as parse_date reads it: "YYYY-MM-DD", the year in four digits.
std::string format_date(std::chrono::year_month_day date);
// "2026-12-02T18:00:00Z", "2026-12-02T12:00:00.5-06:00".
std::optional<WallTime> parse_rfc3339(std::string_view text);
enum class TimeDigits { AsNeeded, Milliseconds };
// "2026-12-02T18:00:00Z", or "...00.250Z" when there are milliseconds (always
// with TimeDigits::Milliseconds: "...00.000Z", as play rows have them).
std::string format_rfc3339_utc(WallTime time, TimeDigits digits = TimeDigits::AsNeeded);
// Bytes per second: "0", "500K", "2M", "1G" (powers of 1024), "123456".
std::optional<std::int64_t> parse_rate(std::string_view text);

} // namespace milepost
