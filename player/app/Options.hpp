#pragma once
// milepost-player's command line (contract "milepost-player").
#include "core/Result.hpp"
#include "core/Units.hpp"
#include "render/Output.hpp"

#include <optional>
#include <string>
#include <vector>

namespace milepost {

struct SnapshotRequest {
    double at = 0; // seconds after start
    std::string path;
};

struct Options {
    std::optional<std::string> config; // nullopt: /etc/milepost/device.toml plus the override
    std::string data_dir = "/var/lib/milepost";
    std::optional<std::string> content;
    OutputMode mode = OutputMode::Fullscreen;
    std::optional<Size> size; // --windowed / --headless size
    std::vector<SnapshotRequest> snapshots;
    std::optional<double> exit_after;
    std::optional<std::string> trace;
    std::optional<WallTime> clock_start;
    std::optional<std::chrono::milliseconds> plan; // --plan: print the timeline, render nothing
    std::string hwdec = "auto";                    // auto | none | an FFmpeg device name
    bool check_config = false; // --check-config: load and check the config, print it, exit
    bool test_pattern = false; // --test-pattern: the installer's calibration screen
    bool help = false;
    bool version = false;
};

// Parses argv; an error names the flag and what it expected.
Result<Options> parse_options(const std::vector<std::string>& args);

extern const char* const kPlayerUsage;

} // namespace milepost
