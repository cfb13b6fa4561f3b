#pragma once
// What Debian's `rauc info` says of a RAUC bundle: milepost-pack reads a bundle's
// version before publishing it, milepost-sync checks a fetched one's signature.
#include "core/Result.hpp"

#include <filesystem>
#include <string>

namespace milepost {

struct RaucBundleInfo {
    std::string compatible; // the bundle's [update] compatible
    std::string version;    // and version ("" when it has none)
};

// `rauc info` of `bundle`: with an empty `keyring` its manifest is read unchecked
// (--no-verify); otherwise its signature must hold for `keyring`. The error is
// rauc's own last line, or that rauc cannot be run.
Result<RaucBundleInfo> rauc_bundle_info(const std::filesystem::path& bundle,
                                        const std::filesystem::path& keyring = {});

} // namespace milepost
