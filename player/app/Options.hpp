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

// The tests' hooks, read from the environment once, in main.
struct TestHooks {
    // MILEPOST_TEST_HANG_AFTER=S: the loop hangs S seconds after start, as a stuck
    // GPU driver would (the watchdog's pings stop).
    std::optional<double> hang_after;
    // MILEPOST_TEST_EVENTS="2:key:F1 3:down:20,20 9:up:20,20": SDL events (F1, a
    // press and a release at canvas pixels) pushed at those seconds.
    std::string events;
    // MILEPOST_TEST_DRM_SYSFS=DIR: the connectors are read there, and the cable is
    // watched even without KMSDRM.
    std::string drm_sysfs;
    // MILEPOST_TEST_FIRST_PICTURE=FILE.png: the first picture presented after start
    // is also written there, as a snapshot is.
    std::string first_picture;
    // MILEPOST_TEST_CLOCK_JUMP=S:D: S seconds after the plan starts (the loop's first
    // turn) the wall clock the player plans by moves D seconds (e.g. "1:+5"), as NTP
    // stepping it or an operator setting it would; the monotonic clock goes on.
    std::optional<std::pair<double, double>> clock_jump;
};
TestHooks read_test_hooks();
// TestHooks::events as SDL events, each with its seconds after start; what cannot
// be read is left out.
std::vector<std::pair<double, SDL_Event>> parse_test_events(const std::string& events);

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
    std::optional<std::chrono::milliseconds> plan;  // --plan: print the timeline, render nothing
    std::string hwdec = "auto";                     // auto | none | an FFmpeg device name
    RendererChoice renderer = RendererChoice::Auto; // --renderer software | gles2
    bool check_config = false;         // --check-config: load and check the config, print it, exit
    bool test_pattern = false;         // --test-pattern: the installer's calibration screen
    std::optional<std::string> splash; // --splash FB: DATA_DIR/splash.png onto a framebuffer
    bool help = false;
    bool version = false;
    TestHooks test; // not from the command line: read_test_hooks()
};

// Parses argv; an error names the flag and what it expected.
Result<Options> parse_options(const std::vector<std::string>& args);

extern const char* const kPlayerUsage;

} // namespace milepost
