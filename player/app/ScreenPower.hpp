#pragma once
// The screen's power and cable, one part of the player's loop.
//  - The power schedule ([display] power_on / power_off): off, the TV is put in
//    standby over HDMI-CEC or the screen is blanked; nothing is decoded or logged
//    until it is on again. An untrusted clock keeps the screen on.
//  - The cable (KMSDRM only): a screen back in another mode restarts the player
//    (exit status 75, systemd starts it again) so that SDL takes that mode.
#include "LoopClock.hpp"
#include "Trace.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Schedule.hpp"
#include "core/ScreenPower.hpp"
#include "output/ConnectorWatch.hpp"
#include "output/DisplayPower.hpp"

#include <memory>
#include <optional>

namespace milepost {

// The exit status that has systemd start the player again (EX_TEMPFAIL).
constexpr int kExitForNewMode = 75;

class ScreenPower {
public:
    ScreenPower(const DeviceConfig& config, Trace& trace, Clock::time_point started);

    // Watches the cable under KMSDRM (or in a test's `test_sysfs`, when given), and
    // warns of a panel that probably sent no EDID.
    void watch_cable(bool kmsdrm, const std::string& test_sysfs, Size panel);

    // Whether the power schedule is to be looked at (it is set, and its time came).
    bool check_due(Clock::time_point now) const {
        return m_config.display.power_on && now >= m_next_power_check;
    }
    // Whether the schedule wants the screen on or off from `now`, when that is a
    // change; nullopt when nothing changes. The caller ends what plays before it
    // calls switch_to(false).
    std::optional<bool> change_due(Clock::time_point now, WallTime w, bool clock_trusted,
                                   const Zone& zone);
    // Sends the TV on or to standby (or blanks), and logs and traces how it went.
    void switch_to(Clock::time_point now, bool on);
    bool on() const { return m_on; }

    enum class Cable { Same, Redraw, Restart };
    // Every 2 s: pulled, the player plays on; back in the mode drawn in, the screen
    // is drawn again; back in another mode, Restart (exit kExitForNewMode).
    Cable poll_cable(Clock::time_point now, Size panel);

    Clock::time_point next_deadline(Clock::time_point now) const;

private:
    const DeviceConfig& m_config;
    Trace& m_trace;
    Clock::time_point m_started;
    std::unique_ptr<DisplayPower> m_display_power; // opened with the first check
    bool m_on = true;
    Clock::time_point m_next_power_check;
    std::optional<ConnectorWatch> m_connectors;
    Clock::time_point m_next_connector_check;
};

// The power schedule the config sets, when it sets one and the clock can be trusted.
std::optional<PowerWindow> power_window(const DeviceConfig& config, bool clock_trusted);

} // namespace milepost
