#pragma once
// What the device programs tell systemd (sd_notify): READY, STATUS, STOPPING and
// the watchdog's pings. Outside systemd (no NOTIFY_SOCKET) every call does nothing.
#include <atomic>
#include <chrono>
#include <string_view>

namespace milepost {

class Watchdog {
public:
    using Clock = std::chrono::steady_clock;
    // Reads WatchdogSec= from the environment systemd gives (WATCHDOG_USEC).
    Watchdog();
    // Pings at half the watchdog's interval at most; call it from where the work
    // that must not hang is done. Safe from any thread.
    void ping();
    Clock::duration interval() const { return m_interval; } // zero: no watchdog
    bool enabled() const { return m_interval.count() > 0; }

private:
    Clock::duration m_interval{0};     // set once, at construction
    std::atomic<Clock::rep> m_last{0}; // the last ping's time since the clock's epoch
};

// sd_notify(0, text): "READY=1", "STATUS=...", "STOPPING=1".
void notify_systemd(std::string_view text);

} // namespace milepost
