#pragma once
// Writing files so that a power cut at any instant leaves the old bytes or the
// new ones, never a mix: a temporary name, fsync, rename, fsync of the folder.
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace milepost {

// SHA-256 of a file as 64 hex digits; `progress` gets the bytes read so far.
Result<std::string> sha256_file(const std::filesystem::path& file,
                                const std::function<void(std::uint64_t)>& progress = {});
// SHA-256 of `bytes` as 64 hex digits.
std::string sha256_bytes(std::string_view bytes);

// Writes `data` to `path` through a temporary name in the same folder, fsync and rename.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data);

// Makes the names in `folder` (a rename, a new file) survive a power cut.
Result<void> sync_directory(const std::filesystem::path& folder);

// Makes a file's bytes survive a power cut.
Result<void> sync_file(const std::filesystem::path& file);

} // namespace milepost
