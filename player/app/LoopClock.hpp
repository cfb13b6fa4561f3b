#pragma once
// The player loop's clock: monotonic time paces everything on screen; wall time
// (WallTime) only decides what the plan shows.
#include <chrono>
#include <functional>
#include <optional>
#include <utility>

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

// How far apart the two reads of the monotonic clock around a read of the wall clock
// may be for the three to count as one moment.
inline constexpr auto kClocksApart = std::chrono::microseconds(20);

// The wall clock's lead over the monotonic clock (the wall clock at a monotonic time
// t is t + the lead), the two read as one moment: the wall clock between two reads
// of the monotonic one, their midpoint taken as its time. Read again, three times at
// most, when the two reads are kClocksApart or more apart: something (another
// thread, the machine's host) came between them, and every time converted by that
// reading would be off by as long. Of three such, the closest. The clocks are given
// for a test.
template <class MonotonicNow, class WallNow>
Clock::duration wall_lead(MonotonicNow monotonic_now, WallNow wall_now) {
    using std::chrono::duration_cast;
    Clock::duration lead{}, apart = Clock::duration::max();
    for (int tries = 0; tries < 3 && apart >= kClocksApart; ++tries) {
        const Clock::time_point before = monotonic_now();
        const auto wall = wall_now();
        const Clock::time_point after = monotonic_now();
        if (after - before >= apart)
            continue;
        apart = after - before;
        lead = duration_cast<Clock::duration>(wall.time_since_epoch()) -
               (before + apart / 2).time_since_epoch();
    }
    return lead;
}

inline Clock::duration wall_lead() {
    return wall_lead([] { return Clock::now(); }, [] { return std::chrono::system_clock::now(); });
}

// wall_lead(), read once a loop turn (the turn's `now`): whatever a turn converts
// between the clocks is converted by the one reading. The reading is given for a test.
class TurnLead {
public:
    explicit TurnLead(std::function<Clock::duration()> read = [] { return wall_lead(); })
        : m_read(std::move(read)) {}
    Clock::duration at(Clock::time_point now) {
        if (m_read_at != now) {
            m_lead = m_read();
            m_read_at = now;
        }
        return m_lead;
    }

private:
    std::function<Clock::duration()> m_read;
    Clock::duration m_lead{};
    std::optional<Clock::time_point> m_read_at;
};

} // namespace milepost
