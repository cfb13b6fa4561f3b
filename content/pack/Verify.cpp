#include "Commands.hpp"

#include "core/Channel.hpp"
#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/Minisign.hpp"
#include "store/Files.hpp"

#include <cstdio>
#include <filesystem>
#include <set>

namespace milepost::pack {

namespace fs = std::filesystem;

namespace {

// One object in SITE/objects: there, of its size, and of its SHA-256. False when
// it is not (logged, `what` naming whose object it is).
bool check_object(const std::string& what, const fs::path& file, const std::string& object,
                  std::uint64_t size) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
        log::error(what + ": missing");
        return false;
    }
    if (fs::file_size(file, ec) != size) {
        log::error(what + ": " + std::to_string(fs::file_size(file, ec)) +
                   " bytes, the manifest says " + std::to_string(size));
        return false;
    }
    if (auto h = sha256_file(file); !h || *h != object) {
        log::error(what + ": its SHA-256 does not match its name: the file was changed");
        return false;
    }
    return true;
}

// Checks every object the channel names (media, captions, the system bundle).
// Returns how many are faulty; each is logged.
int check_objects(const Channel& c) {
    int bad = 0;
    std::set<std::string> seen;
    for (const Item& item : c.items)
        for (const ObjectRef& o : item_objects(item))
            if (seen.insert(o.object).second &&
                !check_object("item \"" + item.id + "\": object " + o.file.string(), o.file,
                              o.object, o.size))
                ++bad;
    if (c.system &&
        !check_object("system " + c.system->version + ": object " + c.system->file.string(),
                      c.system->file, c.system->object, c.system->size))
        ++bad;
    return bad;
}

} // namespace

int verify(const Args& a) {
    if (a.positional.size() != 1 || !a.options.count("public-key"))
        return usage_error("verify: SITE and --public-key FILE are required");
    std::string key_error;
    const std::string key_text = read_key_file(a.options.at("public-key"), key_error);
    if (!key_error.empty())
        return usage_error(key_error);
    auto key = minisign_parse_public_key(key_text);
    if (!key)
        return usage_error(a.options.at("public-key") + ": " + key.error().message);
    const fs::path site = a.positional[0];
    std::vector<std::string> names;
    if (a.options.count("channel")) {
        names.push_back(a.options.at("channel"));
    } else {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(site / "channels", ec))
            names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
    }
    if (names.empty()) {
        log::error(site.string() + ": no channels/ in it");
        return 1;
    }
    int faults = 0;
    for (const auto& name : names) {
        const fs::path manifest_path = site / "channels" / name / "manifest.json";
        auto manifest = read_file(manifest_path, kMaxManifestBytes);
        auto signature = read_file(manifest_path.string() + ".minisig", kMaxSignatureBytes);
        if (!manifest || !signature) {
            log::error((!manifest ? manifest : signature).error().message);
            ++faults;
            continue;
        }
        auto trusted = minisign_verify(*key, *manifest, *signature);
        if (!trusted) {
            log::error(manifest_path.string() + ": " + trusted.error().message);
            ++faults;
            continue;
        }
        Channel c;
        try {
            c = parse_manifest(*manifest, site / "objects", manifest_path.string());
        } catch (const ConfigError& e) {
            log::error(e.message);
            ++faults;
            continue;
        }
        const int bad = check_objects(c);
        faults += bad;
        const std::string system =
            c.system ? ", system " + c.system->version + " (" + c.system->compatible + ")" : "";
        std::printf("%s: channel \"%s\", sequence %lld, %zu items%s: %s\n", manifest_path.c_str(),
                    c.name.c_str(), static_cast<long long>(c.sequence), c.items.size(),
                    system.c_str(), bad ? "FAULTY" : "ok");
    }
    return faults ? 1 : 0;
}

} // namespace milepost::pack
