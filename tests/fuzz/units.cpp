// The small value formats of the config and channel files: durations, sizes, times
// of day, dates, RFC 3339 times, byte rates. Each parser returns nullopt on bad
// input; what it accepts must be in range and survive its formatter.
#include "core/Units.hpp"
#include "FuzzSupport.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace milepost;
    const std::string_view text = fuzz::as_text(data, size);
    if (auto d = parse_duration(text); d && d->count() < 0)
        __builtin_trap();
    if (auto s = parse_size(text);
        s && (s->width < 16 || s->width > 16384 || s->height < 16 || s->height > 16384))
        __builtin_trap();
    if (auto t = parse_time_of_day(text)) {
        if (t->minutes < 0 || t->minutes > 1439 || parse_time_of_day(format_time_of_day(*t)) != t)
            __builtin_trap();
    }
    if (auto d = parse_date(text); d && !d->ok())
        __builtin_trap();
    if (auto t = parse_rfc3339(text)) {
        for (TimeDigits digits : {TimeDigits::AsNeeded, TimeDigits::Milliseconds})
            if (parse_rfc3339(format_rfc3339_utc(*t, digits)) != t)
                __builtin_trap();
    }
    if (auto r = parse_rate(text); r && *r < 0)
        __builtin_trap();
    return 0;
}
