#include "Commands.hpp"

#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Text.hpp"
#include "store/Files.hpp"
#include "store/Process.hpp"

#include <nlohmann/json.hpp>

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
    ToolResult info = run_tool({"rauc", "info", "--no-verify", "--output-format=json", path});
    if (info.status != 0) {
        const std::string why = trimmed(info.err);
        log::error(what + ": rauc cannot read it as a RAUC bundle" +
                   (info.status < 0 ? " (install rauc: apt install rauc)" : "") + ": " + why);
        return std::nullopt;
    }
    const auto j = nlohmann::json::parse(info.out, nullptr, false);
    SystemBundle b;
    if (j.is_object() && j.value("compatible", nlohmann::json()).is_string() &&
        j.value("version", nlohmann::json()).is_string()) {
        b.compatible = j["compatible"].get<std::string>();
        b.version = j["version"].get<std::string>();
    }
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
