#pragma once
// Reading a whole file, the one way every stage does it.
#include "Result.hpp"

#include <cstddef>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

namespace milepost {

// The bytes of `path`. The error names the file and the system's reason, or
// says the file is over `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path,
                              std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

// A number from a /sys or /proc file ("48312\n"), or nullopt.
std::optional<double> read_number_file(const std::filesystem::path& path);

// What the board says of its health, where it says it (Raspberry Pi kernels do,
// without vcgencmd): the SoC's temperature and the firmware's throttling flags.
struct BoardHealth {
    std::optional<double> cpu_temp_c;
    std::string throttled; // "0x50005"; "" when the firmware does not say
};
BoardHealth read_board_health();

} // namespace milepost
