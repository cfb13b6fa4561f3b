#pragma once
// When to poll next, so that ten thousand screens do not all ask the server in
// the same second: the poll interval ±20%, and after failures exponential
// back-off with full jitter (a uniform pick between 0 and the doubled delay,
// capped). Pure functions: the random pick `u` in [0, 1) is a parameter.
#include <algorithm>
#include <chrono>
#include <cmath>

namespace milepost {

using Millis = std::chrono::milliseconds;

inline constexpr Millis kBackoffBase = std::chrono::seconds(30);
inline constexpr Millis kBackoffCap = std::chrono::minutes(30);

// After a successful poll.
inline Millis next_poll_delay(Millis interval, double u) {
    return Millis(
        static_cast<Millis::rep>(static_cast<double>(interval.count()) * (0.8 + 0.4 * u)));
}

// After `failures` (1, 2, ...) failed polls in a row: uniform in [1 s, min(cap,
// base * 2^(failures-1))].
inline Millis backoff_delay(int failures, double u, Millis base = kBackoffBase,
                            Millis cap = kBackoffCap) {
    const double ceiling = std::min(static_cast<double>(cap.count()),
                                    static_cast<double>(base.count()) *
                                        std::pow(2.0, std::clamp(failures - 1, 0, 30)));
    return std::max(Millis(1000), Millis(static_cast<Millis::rep>(ceiling * u)));
}

// The first poll after start: within the first poll interval, at most 10 s, so
// that screens powered on together after a power cut spread out.
inline Millis first_poll_delay(Millis interval, double u) {
    return Millis(static_cast<Millis::rep>(
        static_cast<double>(std::min<Millis>(interval, std::chrono::seconds(10)).count()) * u));
}

} // namespace milepost
