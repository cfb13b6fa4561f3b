#include "Plan.hpp"

#include <nlohmann/json.hpp>

namespace milepost {

PlanSettings plan_settings(const DeviceConfig& config, const Zone& zone, bool clock_trusted) {
    PlanSettings settings;
    settings.region = config.device.region;
    settings.languages = config.device.languages;
    settings.zone = zone;
    settings.clock_trusted = clock_trusted;
    return settings;
}

void print_plan(Planner& planner, WallTime from, std::chrono::milliseconds length, std::FILE* out,
                const std::optional<PowerWindow>& power) {
    const Zone& zone = planner.settings().zone;
    const WallTime end = from + length;
    auto display = [&](WallTime at, bool on) {
        nlohmann::ordered_json j;
        j["at"] = zone.format(at);
        j["display"] = on ? "on" : "off";
        std::fputs((j.dump() + "\n").c_str(), out);
    };
    WallTime t = from;
    if (power && !screen_on_at(*power, zone, t)) {
        display(t, false);
        t = next_power_change(*power, zone, t);
        if (t < end)
            display(t, true);
    }
    while (t < end) {
        const WallTime off = power ? next_power_change(*power, zone, t) : WallTime::max();
        for (Showing s = planner.showing_at(t); s.start < std::min(end, off);
             s = planner.following(s)) {
            nlohmann::ordered_json j;
            j["at"] = zone.format(s.start);
            if (s.alert)
                j["item"] = s.alert->id;
            else if (s.item)
                j["item"] = s.item->id;
            else
                j["item"] = nullptr;
            j["lang"] = s.lang;
            j["duration"] = std::chrono::duration<double>(s.end - s.start).count();
            if (s.offset.count() > 0)
                j["offset"] = std::chrono::duration<double>(s.offset).count();
            if (s.alert)
                j["alert"] = true;
            if (s.cut || s.end > off) // an alert, or the screen going off, cuts it short
                j["interrupted"] = true;
            if (!s.alert && !s.item)
                j["fallback"] = true;
            std::fputs((j.dump() + "\n").c_str(), out);
        }
        if (off >= end)
            break;
        display(off, false);
        t = next_power_change(*power, zone, off);
        if (t < end)
            display(t, true);
    }
    std::fflush(out);
}

} // namespace milepost
