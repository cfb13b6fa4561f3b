#pragma once
// What the boot card and the diagnostics overlay say: the facts an installer or
// a visitor needs in five seconds. A pure function of what the player knows and
// of DATA_DIR/sync.json (milepost-sync's news: the network, the last sync).
#include "core/DeviceConfig.hpp"
#include "render/InfoCard.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace milepost {

struct StatusInputs {
    const DeviceConfig* config = nullptr;
    std::string version;
    std::string channel; // "" = the built-in channel
    std::int64_t sequence = 0;
    std::string sync_json; // DATA_DIR/sync.json's text, "" when there is none
    bool clock_trusted = false;
    std::string config_problem; // a settings file set aside: why
    std::string data_problem;   // kDataProblemFile's text: the data partition is read-only
    // The diagnostics overlay's extras.
    long frames_dropped_last_hour = 0;
    std::optional<double> cpu_temp_c;
    std::string throttled; // the Pi firmware's get_throttled, "" when not a Pi
    std::optional<std::uint64_t> disk_free_mb;
    std::string decoder; // the video on screen's decoder, "" when no video plays
    std::string output;  // "1920x1080 at 60 Hz"
};

// Written by the image's data-setup (images/files/milepost-data-setup) when the data
// partition could not be checked and was mounted read-only: one line, shown as a
// warning. On tmpfs, so it lasts until the next boot.
inline constexpr const char* kDataProblemFile = "/run/milepost-data.problem";

InfoCard status_card(const StatusInputs& in, bool diagnostics);

// The Raspberry Pi firmware's throttling bits in words: "no", or what happened.
std::string throttled_text(const std::string& hex);

} // namespace milepost
