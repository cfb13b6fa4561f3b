#pragma once
// The system update the active channel names (manifest "system"): when the rules
// of core/SystemUpdate allow it, the RAUC bundle is fetched into DATA_DIR/system/
// by the same resumable, rate-capped path as media, its SHA-256 checked, and its
// RAUC signature checked against the screen's keyring (`rauc info --keyring`).
// What follows (install into the other slot, reboot in the window, commit) is
// RAUC's and the image's.
#include "HttpClient.hpp"
#include "core/DeviceConfig.hpp"
#include "store/ContentStore.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace milepost {

// What this screen's system is, read from RAUC's system.conf ([system]
// compatible, [keyring] path) and the image's version file.
struct SystemIdentity {
    std::string compatible; // "" = this system takes no updates (see problem)
    std::string version;
    std::filesystem::path keyring;
    std::string problem; // why it takes none
};
SystemIdentity read_system_identity(const std::filesystem::path& rauc_conf,
                                    const std::filesystem::path& version_file);

// Where a screen's system facts are: /etc/rauc/system.conf and
// /etc/milepost/system-version (MILEPOST_RAUC_CONF and MILEPOST_SYSTEM_VERSION_FILE
// name others, for the tests).
std::filesystem::path rauc_conf_path();
std::filesystem::path system_version_path();

struct SystemReport {
    std::string state;            // "" (no bundle), "off", "current", "refused", "ready", "failed"
    std::string version;          // the bundle's
    std::string summary;          // one line for the journal and status.json
    std::filesystem::path bundle; // when ready: the checked bundle
};

// Never throws; a failure is a report with state "failed" and the reason.
SystemReport fetch_system_update(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                                 const SystemIdentity& system,
                                 const std::function<void()>& tick = {});

} // namespace milepost
