#pragma once
// A published channel on disk: SITE/channels/<name>/manifest.json(.minisig) and
// SITE/objects/<sha256> (contract "Published channel"). The data dir of a screen
// has the same shape: DATA_DIR/objects/ shared by every version of the channel,
// DATA_DIR/channels/<sequence>-<name>/ one folder per version, and DATA_DIR/active,
// a symbolic link to the version on screen, replaced by one atomic rename.
#include "core/Channel.hpp"
#include "core/Minisign.hpp"
#include "core/Result.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace milepost {

// SHA-256 of a file as 64 hex digits; `progress` gets the bytes read so far.
Result<std::string> sha256_file(const std::filesystem::path& file,
                                const std::function<void(std::uint64_t)>& progress = {});

// Writes `data` to `path` through a temporary name in the same folder, fsync and rename.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view data);

std::string read_text(const std::filesystem::path& path); // "" when unreadable

} // namespace milepost
