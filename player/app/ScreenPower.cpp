#include "ScreenPower.hpp"

#include "core/Log.hpp"

namespace milepost {

namespace {
constexpr auto kConnectorPoll = std::chrono::seconds(2);
}

ScreenPower::ScreenPower(const DeviceConfig& config, Trace& trace, Clock::time_point started)
    : m_config(config), m_trace(trace), m_started(started) {}

std::optional<PowerWindow> power_window(const DeviceConfig& config, bool clock_trusted) {
    if (!clock_trusted || !config.display.power_on || !config.display.power_off)
        return std::nullopt;
    return PowerWindow{*config.display.power_on, *config.display.power_off};
}

// Under KMSDRM the screen's cable is watched (poll_cable); a panel that offers
// 1024x768 at most probably sent no EDID.
void ScreenPower::watch_cable(bool kmsdrm, const std::string& test_sysfs, Size panel) {
    if (kmsdrm || !test_sysfs.empty()) {
        m_connectors.emplace(test_sysfs.empty() ? ConnectorWatch::default_root() : test_sysfs);
        if (!m_connectors->any())
            m_connectors.reset();
    }
    if (kmsdrm && panel.width <= 1024 && panel.height <= 768)
        log::warn("screen: the display offers " + std::to_string(panel.width) + "x" +
                  std::to_string(panel.height) +
                  " at most: it may have sent no EDID. The SD image asks for 1920x1080 "
                  "(video=HDMI-A-1:1920x1080@60 in cmdline.txt)");
}

std::optional<bool> ScreenPower::change_due(Clock::time_point now, WallTime w, bool clock_trusted,
                                            const Zone& zone) {
    if (!check_due(now))
        return std::nullopt;
    if (!m_display_power) {
        m_display_power = open_display_power();
        log::info("screen power schedule " + format_time_of_day(*m_config.display.power_on) +
                  " to " + format_time_of_day(*m_config.display.power_off) + ", through " +
                  m_display_power->name());
    }
    const auto window = power_window(m_config, clock_trusted);
    const bool on = !window || screen_on_at(*window, zone, w);
    // Looked at again at the next change, and each minute in case the clock jumps.
    m_next_power_check = now + std::chrono::minutes(1);
    if (window)
        m_next_power_check =
            std::min(m_next_power_check, now + (next_power_change(*window, zone, w) - w));
    if (on == m_on)
        return std::nullopt;
    return on;
}

void ScreenPower::switch_to(Clock::time_point now, bool on) {
    const PowerAck ack = m_display_power->set(on);
    const std::string how =
        ack == PowerAck::Acknowledged
            ? std::string(on ? "HDMI-CEC Image View On" : "HDMI-CEC Standby") + ", " + describe(ack)
            : std::string(on ? "" : "blanked; ") + describe(ack);
    log::info(std::string("screen ") + (on ? "on" : "off") + " (power schedule): " + how);
    m_trace.event(seconds_between(m_started, now), "display", on ? "on" : "off", std::nullopt, how);
    m_on = on;
}

ScreenPower::Cable ScreenPower::poll_cable(Clock::time_point now, Size panel) {
    if (!m_connectors || now < m_next_connector_check)
        return Cable::Same;
    m_next_connector_check = now + kConnectorPoll;
    const auto event = m_connectors->poll();
    if (event.change == ConnectorWatch::Change::Disconnected) {
        log::warn("screen: " + event.state.name + " disconnected (cable out?): playing on");
        return Cable::Same;
    }
    if (event.change != ConnectorWatch::Change::Connected)
        return Cable::Same;
    const auto& mode = event.state.mode;
    if (mode && !(*mode == panel)) {
        log::warn("screen: " + event.state.name + " connected again at " +
                  std::to_string(mode->width) + "x" + std::to_string(mode->height) + ", drawn at " +
                  std::to_string(panel.width) + "x" + std::to_string(panel.height) +
                  ": starting again to take its mode");
        return Cable::Restart;
    }
    log::info("screen: " + event.state.name + " connected again, same mode");
    return Cable::Redraw;
}

Clock::time_point ScreenPower::next_deadline(Clock::time_point now) const {
    Clock::time_point deadline = Clock::time_point::max();
    if (m_display_power)
        deadline = std::min(deadline, std::max(now, m_next_power_check));
    if (m_connectors)
        deadline = std::min(deadline, std::max(now, m_next_connector_check));
    return deadline;
}

} // namespace milepost
