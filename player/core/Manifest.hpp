#pragma once
// A published channel's manifest.json (contract "Published channel"): what
// milepost-pack writes, milepost-sync checks and the player plays.
#include "Channel.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace milepost {

inline constexpr int kManifestSchema = 1;
inline constexpr std::size_t kMaxManifestBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxSignatureBytes = 4096; // a .minisig is about 300 bytes
// The highest sequence anything accepts: 2^53 - 1, the last whole number a JSON
// reader that holds numbers as doubles keeps exactly, and far from the int64
// overflow that `sequence + 1` would otherwise reach.
inline constexpr std::int64_t kMaxSequence = (std::int64_t{1} << 53) - 1;

// The manifest of `channel` (its items' MediaFacts filled in), as JSON text.
std::string manifest_json(const Channel& channel);

// Reads a manifest; media items point into `objects` (objects/<sha256>). Throws
// ConfigError naming `label`, the item and the key.
Channel parse_manifest(std::string_view json, const std::filesystem::path& objects,
                       const std::string& label);

bool is_object_name(std::string_view name); // 64 lower-case hex digits
// A system version or compatible name: 1 to 64 of [A-Za-z0-9.+~_-].
bool is_system_version(std::string_view v);
// The largest system bundle a manifest may name: 4 GiB (an image is about 400 MB).
inline constexpr std::uint64_t kMaxSystemBundleBytes = std::uint64_t{4} << 30;

// Reads `folder`/manifest.json, checks `folder`/manifest.json.minisig with
// `public_key` (a minisign public key line; "" skips the check and says so in
// `note`), and parses it with media in `objects`. Throws ConfigError saying why.
Channel load_published_channel(const std::filesystem::path& folder,
                               const std::filesystem::path& objects, const std::string& public_key,
                               std::string& note);

} // namespace milepost
