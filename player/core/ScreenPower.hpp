#pragma once
// The screen's power schedule ([display] power_on / power_off, device time): when
// it is on, and when that next changes. A window that wraps midnight (on 18:00,
// off 02:00) is on across it.
#include "Schedule.hpp"

namespace milepost {

struct PowerWindow {
    TimeOfDay on;
    TimeOfDay off;
};

bool screen_on_at(const PowerWindow& w, const Zone& zone, WallTime t);
// The first instant after `t` at which screen_on_at changes.
WallTime next_power_change(const PowerWindow& w, const Zone& zone, WallTime t);

} // namespace milepost
