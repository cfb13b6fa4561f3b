#include "Trace.hpp"

#include "LoopClock.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace milepost {

Result<Trace> Trace::open(const std::string& path, std::chrono::steady_clock::time_point started) {
    Trace t;
    t.m_started = started;
    t.m_file.reset(std::fopen(path.c_str(), "w"));
    if (!t.m_file)
        return Error{path + ": cannot write the trace: " + std::strerror(errno)};
    return t;
}

void Trace::event(double t, std::string_view event, std::string_view item,
                  std::optional<double> pts, std::string_view detail) {
    if (!m_file)
        return;
    // The wall clock too (Unix seconds, to the microsecond), so that a check outside
    // can line up the traces of two screens on the same NTP-disciplined clock: at
    // `t` (a frame's present, an item's boundary), not at this write, a moment later.
    // The two clocks are read as one moment (wall_lead).
    using namespace std::chrono;
    const auto at = m_started + duration_cast<steady_clock::duration>(duration<double>(t));
    const auto wall = duration_cast<microseconds>(at.time_since_epoch() + wall_lead());
    nlohmann::ordered_json j;
    j["t"] = std::round(t * 1e6) / 1e6; // to the microsecond, as "wall"
    j["wall"] = static_cast<double>(wall.count()) / 1e6;
    j["event"] = event;
    j["item"] = item;
    if (pts)
        j["pts"] = *pts;
    if (!detail.empty())
        j["detail"] = detail;
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::fwrite(line.data(), 1, line.size(), m_file.get());
    std::fflush(m_file.get());
}

} // namespace milepost
