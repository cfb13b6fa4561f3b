#pragma once
// Reading a whole file, the one way every stage does it.
#include "Result.hpp"

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>

namespace milepost {

// The bytes of `path`. The error names the file and the system's reason, or
// says the file is over `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path,
                              std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

} // namespace milepost
