#include "ScreenPower.hpp"

#include <algorithm>

namespace milepost {

bool screen_on_at(const PowerWindow& w, const Zone& zone, WallTime t) {
    const int m = zone.local(t).minute;
    if (w.on.minutes < w.off.minutes)
        return m >= w.on.minutes && m < w.off.minutes;
    return m >= w.on.minutes || m < w.off.minutes; // wraps midnight
}

WallTime next_power_change(const PowerWindow& w, const Zone& zone, WallTime t) {
    const std::chrono::sys_days today{zone.local(t).date};
    WallTime best = WallTime::max();
    for (int d = -1; d <= 2; ++d) {
        const std::chrono::local_days day{(today + std::chrono::days(d)).time_since_epoch()};
        for (const TimeOfDay& at : {w.on, w.off}) {
            const WallTime when = zone.to_wall(day, std::chrono::minutes(at.minutes));
            if (when > t && when < best && screen_on_at(w, zone, when) != screen_on_at(w, zone, t))
                best = when;
        }
    }
    return best;
}

} // namespace milepost
