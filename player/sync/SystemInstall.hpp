#pragma once
// After SystemFetch: the checked bundle installed into the other slot by RAUC
// (`rauc install`, through RAUC's service, which runs at idle priority), the reboot
// into it asked for in the maintenance window, and what came of it remembered
// across reboots in DATA_DIR/system-update.json. The new system's milepost-commit
// writes there too: "committed", or "rolled back" with the reason.
//
// A record's states (UpdateState), in order: installed (in the other slot, waiting
// for the window), rebooting (asked for; the boot it was asked in is kept), then on
// the new system committed, or rolled back (by milepost-commit, or seen by sync on
// the old system when the new one never came up). A version rolled back is not
// installed again; a newer one starts over.
#include "SystemFetch.hpp"
#include "core/Units.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace milepost {

// DATA_DIR/system-update.json. Never fails: no file, or a damaged one, is no record.
UpdateRecord read_update_record(const std::filesystem::path& data_dir);
// This boot's identity: MILEPOST_BOOT_ID (milepost-sync.service sets it to %b,
// systemd's boot id), else /proc/sys/kernel/random/boot_id (MILEPOST_BOOT_ID_FILE
// names another file, for the tests). Without it a reboot that brought the old
// system back could not be told from one not yet made.
std::string current_boot_id();

// The whole system pass: what the last reboot did, the fetch and check, the
// install, and the reboot request (DATA_DIR/system-reboot, which a root unit of
// the image acts on) when `now` is in the window. Never throws.
SystemReport run_system_update(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                               const SystemIdentity& system, WallTime now,
                               const std::function<void()>& tick = {});

} // namespace milepost
