#pragma once
// milepost-sync's command line (contract "milepost-sync").
#include "core/Result.hpp"

#include <optional>
#include <string>
#include <vector>

namespace milepost {

enum class SyncMode {
    Daemon, // poll until SIGTERM
    Once,   // one pass, then exit 0 (up to date) or 1
    Check,  // verify the active channel offline
};

struct SyncOptions {
    std::optional<std::string> config;
    std::string data_dir = "/var/lib/milepost";
    SyncMode mode = SyncMode::Daemon;
    bool help = false;
    bool version = false;
};

extern const char* const kSyncUsage;

Result<SyncOptions> parse_sync_options(const std::vector<std::string>& args);

} // namespace milepost
