#include "BoardHealth.hpp"

#include "core/Files.hpp"

#include <cctype>

namespace milepost {

BoardHealth read_board_health() {
    BoardHealth h;
    if (auto t = read_number_file("/sys/class/thermal/thermal_zone0/temp"))
        h.cpu_temp_c = *t / 1000.0;
    if (auto text = read_file("/sys/devices/platform/soc/soc:firmware/get_throttled", 64)) {
        h.throttled = *text;
        while (!h.throttled.empty() && std::isspace(static_cast<unsigned char>(h.throttled.back())))
            h.throttled.pop_back();
    }
    return h;
}

} // namespace milepost
