#pragma once
// Reading a whole file, the one way every stage does it.
#include "Result.hpp"

#include <cstddef>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

namespace milepost {

// Whether a symbolic link (or a FIFO, a device) may stand at the path. Files one
// program reads from what the other writes (the data folder, writable by the
// player's group) are read with Links::Refuse: a link planted there must not
// make milepost-sync read, and upload, a secret; a FIFO must not block it.
enum class Links { Follow, Refuse };

// The bytes of `path`. The error names the file and the system's reason, or
// says the file is over `max_bytes` (or, with Links::Refuse, not a plain file).
Result<std::string> read_file(const std::filesystem::path& path,
                              std::size_t max_bytes = std::numeric_limits<std::size_t>::max(),
                              Links links = Links::Follow);

// A number from a /sys or /proc file ("48312\n"), or nullopt.
std::optional<double> read_number_file(const std::filesystem::path& path);

} // namespace milepost
