#include "Trace.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstring>

namespace milepost {

Result<Trace> Trace::open(const std::string& path) {
    Trace t;
    t.m_file.reset(std::fopen(path.c_str(), "w"));
    if (!t.m_file)
        return Error{path + ": cannot write the trace: " + std::strerror(errno)};
    return t;
}

void Trace::event(double t, std::string_view event, std::string_view item,
                  std::optional<double> pts, std::string_view detail) {
    if (!m_file)
        return;
    nlohmann::ordered_json j;
    j["t"] = std::round(t * 1000) / 1000;
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
