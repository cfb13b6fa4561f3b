#include "Units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace milepost {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Reads exactly n digits at text[pos].
std::optional<int> digits(std::string_view text, size_t pos, size_t n) {
    if (pos + n > text.size())
        return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (!is_digit(text[i]))
            return std::nullopt;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

std::optional<double> to_double(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    for (char c : text)
        if (!is_digit(c) && c != '.')
            return std::nullopt;
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    double total = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t start = pos;
        while (pos < text.size() && (is_digit(text[pos]) || text[pos] == '.'))
            ++pos;
        auto number = to_double(text.substr(start, pos - start));
        if (!number)
            return std::nullopt;
        double unit = 1;
        if (pos < text.size()) {
            switch (text[pos]) {
            case 's':
                unit = 1;
                break;
            case 'm':
                unit = 60;
                break;
            case 'h':
                unit = 3600;
                break;
            case 'd':
                unit = 86400;
                break;
            default:
                return std::nullopt;
            }
            ++pos;
        } else if (start != 0) {
            return std::nullopt; // "1h30" is ambiguous
        }
        total += *number * unit;
    }
    if (total > 365.0 * 86400)
        return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(total * 1000)));
}

std::optional<Size> parse_size(std::string_view text) {
    auto x = text.find('x');
    if (x == std::string_view::npos)
        return std::nullopt;
    auto side = [](std::string_view s) -> std::optional<int> {
        int v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < 16 || v > 16384)
            return std::nullopt;
        return v;
    };
    auto w = side(text.substr(0, x));
    auto h = side(text.substr(x + 1));
    if (!w || !h)
        return std::nullopt;
    return Size{*w, *h};
}

std::optional<TimeOfDay> parse_time_of_day(std::string_view text) {
    if (text.size() != 5 || text[2] != ':')
        return std::nullopt;
    auto h = digits(text, 0, 2);
    auto m = digits(text, 3, 2);
    if (!h || !m || *h > 23 || *m > 59)
        return std::nullopt;
    return TimeOfDay{*h * 60 + *m};
}

std::optional<std::chrono::year_month_day> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-')
        return std::nullopt;
    auto y = digits(text, 0, 4);
    auto m = digits(text, 5, 2);
    auto d = digits(text, 8, 2);
    if (!y || !m || !d)
        return std::nullopt;
    std::chrono::year_month_day ymd{std::chrono::year(*y), std::chrono::month(unsigned(*m)),
                                    std::chrono::day(unsigned(*d))};
    if (!ymd.ok())
        return std::nullopt;
    return ymd;
}

std::string format_date(std::chrono::year_month_day date) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return buf;
}

std::optional<WallTime> parse_rfc3339(std::string_view text) {
    using namespace std::chrono;
    if (text.size() < 20)
        return std::nullopt;
    auto date = parse_date(text.substr(0, 10));
    if (!date || (text[10] != 'T' && text[10] != 't' && text[10] != ' '))
        return std::nullopt;
    auto hh = digits(text, 11, 2);
    auto mm = digits(text, 14, 2);
    auto ss = digits(text, 17, 2);
    if (!hh || !mm || !ss || text[13] != ':' || text[16] != ':' || *hh > 23 || *mm > 59 || *ss > 60)
        return std::nullopt;
    size_t pos = 19;
    milliseconds frac{0};
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        size_t start = pos;
        int scale = 100, ms = 0;
        while (pos < text.size() && is_digit(text[pos])) {
            ms += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start)
            return std::nullopt;
        frac = milliseconds(ms);
    }
    if (pos >= text.size())
        return std::nullopt;
    minutes offset{0};
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        auto oh = digits(text, pos + 1, 2);
        auto om = digits(text, pos + 4, 2);
        if (!oh || !om || pos + 6 != text.size() || text[pos + 3] != ':' || *oh > 23 || *om > 59)
            return std::nullopt;
        offset = minutes(*oh * 60 + *om);
        if (text[pos] == '-')
            offset = -offset;
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size())
        return std::nullopt;
    auto t = sys_days(*date) + hours(*hh) + minutes(*mm) + seconds(*ss) + frac - offset;
    // An offset can carry it out of years 0000..9999, which format_rfc3339_utc
    // cannot write back in this form: pack would publish an alert no screen reads.
    const year y = year_month_day(floor<days>(t)).year();
    if (y < year(0) || y > year(9999))
        return std::nullopt;
    return time_point_cast<milliseconds>(t);
}

std::string format_time_of_day(TimeOfDay t) {
    const int h = t.minutes / 60, m = t.minutes % 60;
    return (h < 10 ? "0" : "") + std::to_string(h) + (m < 10 ? ":0" : ":") + std::to_string(m);
}

std::string format_rfc3339_utc(WallTime time, TimeDigits digits) {
    using namespace std::chrono;
    const auto day = floor<days>(time);
    const year_month_day ymd{day};
    const hh_mm_ss hms{time - day};
    char buf[40];
    const long ms = static_cast<long>(hms.subseconds().count());
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    std::string out = buf;
    if (ms != 0 || digits == TimeDigits::Milliseconds) {
        std::snprintf(buf, sizeof buf, ".%03ld", ms);
        out += buf;
    }
    return out + "Z";
}

std::optional<std::int64_t> parse_rate(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    std::int64_t scale = 1;
    char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
    if (last == 'K' || last == 'M' || last == 'G') {
        scale = last == 'K' ? 1024 : last == 'M' ? 1024 * 1024 : 1024 * 1024 * 1024;
        text.remove_suffix(1);
    }
    auto v = to_double(text);
    if (!v || *v > 1e12)
        return std::nullopt;
    // "99999999999G" passes the check above but not into 64 bits (converting would be
    // undefined behaviour, a negative rate in practice).
    const double bytes = *v * static_cast<double>(scale);
    if (bytes >= 0x1p63)
        return std::nullopt;
    return static_cast<std::int64_t>(bytes);
}

} // namespace milepost
