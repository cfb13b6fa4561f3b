#include "Watchdog.hpp"

#include <cstdint>
#include <string>
#include <systemd/sd-daemon.h>

namespace milepost {

Watchdog::Watchdog() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        m_interval = std::chrono::microseconds(usec) / 2;
}

void Watchdog::ping() {
    if (m_interval.count() == 0)
        return;
    const Clock::rep now = Clock::now().time_since_epoch().count();
    Clock::rep last = m_last.load();
    // One thread of those that find the interval passed sends the ping.
    if (now - last >= m_interval.count() && m_last.compare_exchange_strong(last, now))
        sd_notify(0, "WATCHDOG=1");
}

void notify_systemd(std::string_view text) {
    sd_notify(0, std::string(text).c_str());
}

} // namespace milepost
