#include "ClockTrust.hpp"

#include <cstdlib>
#include <filesystem>
#include <sys/timex.h>

namespace milepost {

bool clock_is_trusted(bool synchronised, WallTime now, int build_year) {
    const std::chrono::year_month_day day{std::chrono::floor<std::chrono::days>(now)};
    return synchronised && static_cast<int>(day.year()) >= build_year;
}

int build_year() {
    static const int year = std::atoi(&__DATE__[7]);
    return year;
}

bool system_clock_synchronised() {
    std::error_code ec;
    if (std::filesystem::exists("/run/systemd/timesync/synchronized", ec))
        return true;
    // The kernel's view: an NTP daemon (chrony, ntpd) clears STA_UNSYNC.
    struct timex t {};
    const int state = adjtimex(&t);
    return state != -1 && state != TIME_ERROR && !(t.status & STA_UNSYNC);
}

bool wall_clock_trusted(WallTime now, bool given) {
    return clock_is_trusted(given || system_clock_synchronised(), now, build_year());
}

} // namespace milepost
