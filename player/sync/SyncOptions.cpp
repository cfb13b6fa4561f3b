#include "SyncOptions.hpp"
#include "milepost/usage/milepost-sync.hpp"

#include "core/CommandLine.hpp"

namespace milepost {

const char* const kSyncUsage = usage::milepost_sync;

Result<SyncOptions> parse_sync_options(const std::vector<std::string>& args) {
    CommandLineSpec spec;
    spec.valued = {"config", "data-dir"};
    spec.flags = {"once", "check"};
    auto line = parse_command_line(args, spec);
    if (!line)
        return line.error();
    SyncOptions o;
    o.help = line->help;
    o.version = line->version;
    if (const std::string* config = line->value("config"))
        o.config = *config;
    if (const std::string* data_dir = line->value("data-dir"))
        o.data_dir = *data_dir;
    if (line->has("once") && line->has("check"))
        return Error{"--once and --check exclude each other"};
    if (line->has("once"))
        o.mode = SyncMode::Once;
    else if (line->has("check"))
        o.mode = SyncMode::Check;
    return o;
}

} // namespace milepost
