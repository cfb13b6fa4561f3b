#pragma once
// The tests' hooks in the loop (TestHooks, read from the environment): SDL events
// pushed at set times after start, a loop that hangs as a stuck GPU driver would,
// a copy of the first picture. Without them it does nothing.
#include "LoopClock.hpp"
#include "Options.hpp"

#include <SDL.h>

#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace milepost {

class TestDriver {
public:
    TestDriver(const TestHooks& hooks, Clock::time_point started);
    // Pushes the events due by `now` onto SDL's queue.
    void push_events(Clock::time_point now);
    // MILEPOST_TEST_HANG_AFTER: from its time on, never returns.
    void hang_when_asked(Clock::time_point now) const;
    // Where the first picture presented is also written, or nullptr.
    const std::string* first_picture() const {
        return m_first_picture.empty() ? nullptr : &m_first_picture;
    }
    // When the loop must next wake for a hook (Clock::time_point::max() for none).
    Clock::time_point next_deadline(Clock::time_point now) const;

private:
    std::deque<std::pair<Clock::time_point, SDL_Event>> m_events;
    std::optional<Clock::time_point> m_hang_at;
    std::string m_first_picture;
};

} // namespace milepost
