#include "Commands.hpp"

#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Minisign.hpp"
#include "store/Files.hpp"

#include <cstdio>
#include <filesystem>
#include <sys/stat.h>

namespace milepost::pack {

namespace fs = std::filesystem;

int usage_error(const std::string& message) {
    log::error(message + " (see milepost-pack --help)");
    return 2;
}

std::string read_key_file(const std::string& path, std::string& error) {
    auto text = read_file(path);
    if (!text) {
        error = text.error().message;
        return {};
    }
    return std::move(*text);
}

int keygen(const Args& a) {
    if (!a.options.count("secret-key") || !a.options.count("public-key"))
        return usage_error("keygen: --secret-key FILE and --public-key FILE are required");
    const fs::path secret = a.options.at("secret-key"), pub = a.options.at("public-key");
    if (fs::exists(secret)) {
        log::error(secret.string() + ": exists already; remove it first (channels signed with it "
                                     "will need the new public key)");
        return 1;
    }
    auto [pk, sk] = minisign_generate();
    umask(077); // the secret key is for this user alone
    if (auto r = write_file_atomically(secret, minisign_format_secret_key(sk)); !r) {
        log::error(r.error().message);
        return 1;
    }
    umask(022);
    if (auto r = write_file_atomically(pub, minisign_format_public_key(pk)); !r) {
        log::error(r.error().message);
        return 1;
    }
    std::printf("secret key: %s (keep it safe)\npublic key: %s\n"
                "for device.toml: [content] public_key = \"%s\"\n",
                secret.c_str(), pub.c_str(), minisign_public_key_line(pk).c_str());
    return 0;
}

} // namespace milepost::pack
