#pragma once
// The player loop's clock: monotonic time paces everything on screen; wall time
// (WallTime) only decides what the plan shows.
#include <chrono>

namespace milepost {

using Clock = std::chrono::steady_clock;

// `s` seconds as the loop's duration.
inline Clock::duration clock_seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Seconds from `from` to `to`: trace and snapshot times count from the process start.
inline double seconds_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

} // namespace milepost
