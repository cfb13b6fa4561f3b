#include "TestDriver.hpp"

#include "core/Log.hpp"

#include <algorithm>
#include <thread>

namespace milepost {

TestDriver::TestDriver(const TestHooks& hooks, Clock::time_point started)
    : m_first_picture(hooks.first_picture) {
    for (const auto& [at, ev] : parse_test_events(hooks.events))
        m_events.emplace_back(started + clock_seconds(at), ev);
    if (hooks.hang_after)
        m_hang_at = started + clock_seconds(*hooks.hang_after);
}

void TestDriver::push_events(Clock::time_point now) {
    while (!m_events.empty() && now >= m_events.front().first) {
        SDL_PushEvent(&m_events.front().second);
        m_events.pop_front();
    }
}

void TestDriver::hang_when_asked(Clock::time_point now) const {
    if (!m_hang_at || now < *m_hang_at)
        return;
    log::warn("MILEPOST_TEST_HANG_AFTER: the loop hangs now");
    while (true)
        std::this_thread::sleep_for(std::chrono::seconds(1));
}

Clock::time_point TestDriver::next_deadline(Clock::time_point now) const {
    Clock::time_point deadline = Clock::time_point::max();
    if (!m_events.empty())
        deadline = std::max(now, m_events.front().first);
    if (m_hang_at)
        deadline = std::min(deadline, std::max(now, *m_hang_at));
    return deadline;
}

} // namespace milepost
