#include "ConnectorWatch.hpp"

#include "core/Files.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace milepost {

std::string ConnectorWatch::default_root() {
    return "/sys/class/drm";
}

ConnectorWatch::ConnectorWatch(std::string root) : m_root(std::move(root)) {
    m_last = read();
}

std::optional<Size> parse_mode_line(const std::string& line) {
    int w = 0, h = 0;
    if (std::sscanf(line.c_str(), "%dx%d", &w, &h) != 2 || w <= 0 || h <= 0)
        return std::nullopt;
    return Size{w, h};
}

std::vector<ConnectorState> ConnectorWatch::read() const {
    std::vector<ConnectorState> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(m_root, ec)) {
        const std::string name = e.path().filename().string();
        // card0-HDMI-A-1, not card0 or renderD128 or a writeback connector.
        if (!name.starts_with("card") || name.find('-') == std::string::npos ||
            name.find("Writeback") != std::string::npos)
            continue;
        auto status = read_file(e.path() / "status", 64);
        if (!status)
            continue;
        ConnectorState s;
        s.name = name;
        s.connected = status->starts_with("connected");
        if (s.connected)
            if (auto modes = read_file(e.path() / "modes", 65536))
                s.mode = parse_mode_line(modes->substr(0, modes->find('\n')));
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const ConnectorState& a, const ConnectorState& b) { return a.name < b.name; });
    return out;
}

ConnectorWatch::Event ConnectorWatch::poll() {
    auto now = read();
    Event event;
    for (const auto& s : now) {
        auto old = std::find_if(m_last.begin(), m_last.end(),
                                [&](const ConnectorState& o) { return o.name == s.name; });
        const bool was = old != m_last.end() && old->connected;
        if (s.connected != was) {
            event.change = s.connected ? Change::Connected : Change::Disconnected;
            event.state = s;
            break;
        }
    }
    m_last = std::move(now);
    return event;
}

} // namespace milepost
