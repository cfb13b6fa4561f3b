#include "Commands.hpp"

#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "store/Files.hpp"
#include "store/RaucBundle.hpp"

#include <filesystem>

namespace milepost::pack {

namespace fs = std::filesystem;

std::optional<SystemBundle> read_system_bundle(const std::string& path, bool downgrade) {
    const std::string what = "--system-bundle " + path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        log::error(what + ": not a file");
        return std::nullopt;
    }
    // The bundle's own manifest, read without checking its signature: the
    // screens check it against their keyring before they install anything.
    auto info = rauc_bundle_info(path);
    if (!info) {
        log::error(what + ": rauc cannot read it as a RAUC bundle: " + info.error().message);
        return std::nullopt;
    }
    SystemBundle b;
    b.compatible = info->compatible;
    b.version = info->version;
    if (!is_system_version(b.version) || !is_system_version(b.compatible)) {
        log::error(what + ": its manifest's [update] version (\"" + b.version +
                   "\") and compatible (\"" + b.compatible +
                   "\") must each be 1 to 64 of A-Z a-z 0-9 . + ~ _ -");
        return std::nullopt;
    }
    b.size = fs::file_size(path, ec);
    if (ec || b.size > kMaxSystemBundleBytes) {
        log::error(what + ": larger than the 4 GiB a manifest may name");
        return std::nullopt;
    }
    auto hash = sha256_file(path);
    if (!hash) {
        log::error(what + ": " + hash.error().message);
        return std::nullopt;
    }
    b.object = *hash;
    b.downgrade = downgrade;
    b.file = path;
    return b;
}

} // namespace milepost::pack
