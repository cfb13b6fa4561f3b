#pragma once
// What the board says of its health, where it says it (Raspberry Pi kernels do,
// without vcgencmd): the SoC's temperature and the firmware's throttling flags,
// read from /sys for the diagnostics card and status.json.
#include <optional>
#include <string>

namespace milepost {

struct BoardHealth {
    std::optional<double> cpu_temp_c;
    std::string throttled; // "0x50005"; "" when the firmware does not say
};
BoardHealth read_board_health();

} // namespace milepost
