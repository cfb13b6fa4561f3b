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
// `board_model` is the device tree's model: a Raspberry Pi without the A/B boot
// (tryboot: a Pi 4 or 5 and later have it, a Pi 3 does not) takes no updates.
SystemIdentity read_system_identity(const std::filesystem::path& rauc_conf,
                                    const std::filesystem::path& version_file,
                                    const std::filesystem::path& board_model);

// Where a screen's system facts are: /etc/rauc/system.conf,
// /etc/milepost/system-version and /proc/device-tree/model (MILEPOST_RAUC_CONF,
// MILEPOST_SYSTEM_VERSION_FILE and MILEPOST_BOARD_MODEL_FILE name others, for the
// tests).
std::filesystem::path rauc_conf_path();
std::filesystem::path system_version_path();
std::filesystem::path board_model_path();

// What this screen did with a system bundle, kept across reboots (SystemInstall.hpp).
// Where a system update stands, written in the record and status.json as the text
// to_string gives. A record (DATA_DIR/system-update.json, which the image's
// milepost-commit writes too) holds Installed, InstallFailed, Rebooting, Committed
// or RolledBack; a pass reports those, Trying (the new system before its commit),
// or what the pass itself came to.
enum class UpdateState {
    None,          // "": no bundle named, or no record
    Off,           // "off": [update] channel = "off"
    Current,       // "current": the running system is the one named, or newer
    Refused,       // "refused": not for this screen, or its signature does not hold
    Ready,         // "ready": fetched and checked (within a pass: installed next)
    Failed,        // "failed": the fetch or the install failed, tried again later
    Installed,     // "installed": in the other slot, waiting for the window
    InstallFailed, // "install failed": a record's, with the boot it failed in
    Rebooting,     // "rebooting": the reboot asked for, with the boot it was asked in
    Trying,        // "trying": the new system runs, not yet committed
    Committed,     // "committed": milepost-commit kept it
    RolledBack,    // "rolled back": the new system did not come up; never again
};
std::string to_string(UpdateState state);
UpdateState parse_update_state(const std::string& text); // None when unknown

struct UpdateRecord {
    std::string version; // the bundle's
    std::string from;    // the system it replaces
    UpdateState state = UpdateState::None;
    std::string at; // RFC 3339 UTC
    std::string detail;
    std::string boot_id; // Rebooting, InstallFailed: the boot they happened in
};

struct SystemReport {
    UpdateState state = UpdateState::None;
    std::string version;          // the bundle's
    std::string summary;          // one line for the journal and status.json
    std::filesystem::path bundle; // when Ready: the checked bundle
};

// Never throws; a failure is a report in state Failed with the reason. What
// `record` says was done with the bundle named (installed, rolled back, ...) is
// reported, not fetched again; `boot_id` is this boot's.
SystemReport fetch_system_update(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                                 const SystemIdentity& system, const UpdateRecord& record,
                                 const std::string& boot_id,
                                 const std::function<void()>& tick = {});

} // namespace milepost
