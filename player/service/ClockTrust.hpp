#pragma once
// Whether the wall clock can be believed, in one place for the player (its plan
// and play rows) and milepost-sync (status.json). The Pi has no RTC: until the
// clock is synchronised, wall time may be 1970 or jump by years.
#include "core/Units.hpp"

namespace milepost {

// Synchronised (systemd-timesyncd's flag file or the kernel's NTP state) and not
// earlier than `build_year`. Pure: the facts come in as parameters.
bool clock_is_trusted(bool synchronised, WallTime now, int build_year);
// The year this was built: a wall clock before it is not believed.
int build_year();
// The facts, read from the system: /run/systemd/timesync/synchronized, adjtimex().
bool system_clock_synchronised();
// clock_is_trusted with the system's facts; `given`: the time was set by hand
// (--clock-start), which counts as synchronised.
bool wall_clock_trusted(WallTime now, bool given = false);

} // namespace milepost
