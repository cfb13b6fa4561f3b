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
    const auto now = Clock::now();
    if (now - m_last >= m_interval) {
        m_last = now;
        sd_notify(0, "WATCHDOG=1");
    }
}

void notify_systemd(std::string_view text) {
    sd_notify(0, std::string(text).c_str());
}

} // namespace milepost
