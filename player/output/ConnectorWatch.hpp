#pragma once
// The screen's cable, watched through sysfs (/sys/class/drm/card*-*/status): SDL's
// KMSDRM backend does not notice a cable pulled and put back, or a different
// screen plugged in. The player polls this every 2 s; when a screen comes back
// in a mode other than the one it draws in, it exits so that systemd starts it
// again and SDL takes the new mode (no 1024x768 left over, no black screen).
#include "core/Units.hpp"

#include <optional>
#include <string>
#include <vector>

namespace milepost {

struct ConnectorState {
    std::string name; // "card0-HDMI-A-1"
    bool connected = false;
    std::optional<Size> mode; // its first (preferred) mode, when connected
};

class ConnectorWatch {
public:
    // The connectors under `root` (default /sys/class/drm; tests give another).
    // Writeback and virtual-less cards are left out.
    explicit ConnectorWatch(std::string root = default_root());
    static std::string default_root();

    enum class Change { None, Connected, Disconnected };
    struct Event {
        Change change = Change::None;
        ConnectorState state;
    };
    // Reads every connector again; the first that changed since the last call.
    Event poll();
    bool any() const { return !m_last.empty(); }

private:
    std::vector<ConnectorState> read() const;
    std::string m_root;
    std::vector<ConnectorState> m_last;
};

// "1920x1080" -> size.
std::optional<Size> parse_mode_line(const std::string& line);

} // namespace milepost
