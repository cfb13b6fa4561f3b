// A synthetic fleet's uploads, as nginx stores them, for bench/fleet:
//   milepost-bench-fleetgen OUT SCREENS PLAYS DAY SCREENSHOT.png
// writes OUT/screen-NNNNN/plays/<log_id>-<first>-<last>.ndjson (batches of 500
// rows, PLAYS rows a screen, spread over DAY, UTC), OUT/screen-NNNNN/status.json
// and a copy of SCREENSHOT.png per screen. Rows look like the player's: 18 items
// of a channel in three languages, about 1 in 50 interrupted and 1 in 500 failed.
#include "core/Units.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;
using namespace milepost;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::cerr << "usage: milepost-bench-fleetgen OUT SCREENS PLAYS DAY SCREENSHOT.png\n";
        return 2;
    }
    const fs::path out = argv[1];
    const int screens = std::atoi(argv[2]);
    const int plays = std::atoi(argv[3]);
    const auto day = parse_rfc3339(std::string(argv[4]) + "T00:00:00Z");
    const fs::path shot = argv[5];
    if (screens < 1 || plays < 1 || !day || !fs::is_regular_file(shot)) {
        std::cerr << "milepost-bench-fleetgen: bad arguments\n";
        return 2;
    }
    const char* items[] = {"intro-en", "signs-en", "lot-en", "bus-en", "call-en", "video-1",
                           "intro-es", "signs-es", "lot-es", "bus-es", "call-es", "video-2",
                           "intro-fr", "signs-fr", "lot-fr", "bus-fr", "call-fr", "video-3"};
    const char* langs[] = {"en", "es", "fr"};
    const std::int64_t step_ms = 86400000LL / plays;
    std::string line;
    for (int s = 0; s < screens; ++s) {
        char id[32], log[17];
        std::snprintf(id, sizeof id, "screen-%05d", s);
        std::snprintf(log, sizeof log, "%016x", 0x5eed0000 + s);
        const fs::path dir = out / id;
        fs::create_directories(dir / "plays");
        for (int first = 1; first <= plays; first += 500) {
            const int last = std::min(plays, first + 499);
            std::ofstream f(dir / "plays" /
                            (std::string(log) + "-" + std::to_string(first) + "-" +
                             std::to_string(last) + ".ndjson"));
            for (int r = first; r <= last; ++r) {
                const int item = (r + s) % 18;
                const WallTime start = *day + std::chrono::milliseconds(step_ms * (r - 1));
                const std::int64_t ms = item % 6 == 5 ? 30000 : 10000;
                const char* outcome = r % 500 == 0  ? "failed"
                                      : r % 50 == 0 ? "interrupted"
                                                    : "completed";
                line = "{\"device_id\":\"" + std::string(id) + "\",\"log_id\":\"" + log +
                       "\",\"id\":" + std::to_string(r) + ",\"item_id\":\"" + items[item] +
                       "\",\"object\":null,\"channel\":\"trucking\",\"sequence\":12,\"started_at\":"
                       "\"" +
                       format_rfc3339_utc(start, TimeDigits::Milliseconds) + "\",\"ended_at\":\"" +
                       format_rfc3339_utc(start + std::chrono::milliseconds(ms),
                                          TimeDigits::Milliseconds) +
                       "\",\"duration_ms\":" + std::to_string(ms) + ",\"outcome\":\"" + outcome +
                       "\",\"detail\":null,\"lang\":\"" + langs[item / 6] +
                       "\",\"clock_trusted\":1,\"uploaded\":0}\n";
                f << line;
            }
        }
        std::ofstream(dir / "status.json")
            << "{\n  \"device_id\": \"" << id << "\",\n  \"site\": \"Travel Center " << s / 2
            << "\",\n  \"region\": \"US-TX\",\n  \"version\": \"0.9.1\",\n  \"uptime_s\": 86400,\n"
            << "  \"channel\": \"trucking\",\n  \"sequence\": 12,\n  \"last_sync\": \"" << argv[4]
            << "T23:55:00Z\",\n  \"last_sync_result\": \"ok: sequence 12\",\n"
            << "  \"poll_interval_s\": 300,\n  \"current_item\": \"lot-en\",\n"
            << "  \"frames_dropped_last_hour\": 0,\n  \"log_id\": \"" << log
            << "\",\n  \"rows_pending\": 0,\n  \"rows_lost\": 0,\n  \"disk_free_mb\": 9000,\n"
            << "  \"disk_total_mb\": 14000,\n  \"cpu_temp_c\": 52.1,\n  \"throttled\": \"0x0\",\n"
            << "  \"clock_trusted\": true\n}\n";
        fs::copy_file(shot, dir / "screenshot.png", fs::copy_options::overwrite_existing);
    }
    return 0;
}
