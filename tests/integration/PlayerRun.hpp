#pragma once
// Runs the real milepost-player headless from a test.
#include "core/Schedule.hpp"
#include "store/PlayLog.hpp"
#include "support/TestSupport.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace milepost::test {

// The play log's rows in DATA_DIR/playlog.db, oldest first, as the upload writes them.
inline std::vector<nlohmann::json> play_rows(const std::filesystem::path& data_dir) {
    auto log = PlayLog::open(data_dir / "playlog.db");
    REQUIRE_MESSAGE(log, log.error().message);
    auto rows = log->rows_json(1, 1'000'000);
    REQUIRE(rows);
    std::vector<nlohmann::json> out;
    for (const std::string& r : *rows)
        out.push_back(nlohmann::json::parse(r));
    return out;
}

// The start of a day's cycle in this system's time zone (04:00 on 2026-12-01): a
// player started then begins with the channel's first item, as tests expect.
inline std::string cycle_start_clock() {
    auto zone = Zone::locate("");
    const Zone z = zone ? *zone : Zone::utc();
    const auto day = std::chrono::local_days{std::chrono::year{2026} / 12 / 1};
    return format_rfc3339_utc(z.to_wall(day, kCycleStart));
}

// milepost-player --config CONFIG --data-dir DIR/data --headless SIZE EXTRA...
// Without a --clock-start (and a time zone in the config), the clock starts at a
// cycle's start.
inline RunResult run_player(const TempDir& dir, const std::string& config_text,
                            std::vector<std::string> extra, const std::string& size = "1920x1080",
                            const std::vector<std::string>& env = {}) {
    // The boot card covers the content for its first seconds: tests of the content
    // turn it off unless they set it.
    std::string text = config_text;
    if (text.find("boot_info_seconds") == std::string::npos) {
        if (auto at = text.find("[display]\n"); at != std::string::npos)
            text.insert(at + 10, "boot_info_seconds = 0\n");
        else
            text += "\n[display]\nboot_info_seconds = 0\n";
    }
    auto config = dir.write("device.toml", text);
    if (std::find(extra.begin(), extra.end(), "--clock-start") == extra.end() &&
        std::find(extra.begin(), extra.end(), "--plan") == extra.end() &&
        config_text.find("timezone") == std::string::npos) {
        extra.push_back("--clock-start");
        extra.push_back(cycle_start_clock());
    }
    std::vector<std::string> argv{
        MILEPOST_PLAYER, "--config", config.string(), "--data-dir", (dir / "data").string(),
        "--headless",    size};
    // The rendering tests run twice: with SDL's software renderer, and with its
    // OpenGL ES 2 renderer as a Raspberry Pi draws (main.cpp).
    if (const char* renderer = std::getenv("MILEPOST_TEST_RENDERER"); renderer && *renderer) {
        argv.push_back("--renderer");
        argv.push_back(renderer);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, dir.path(), env);
}

// Media a screen must refuse, shared by pack's refusals and the player's skips.

// A real HLS playlist, `folder`/`name`, with its two 1-second segments beside it, as
// ffmpeg writes one: FFmpeg would play it, reading files the channel never named.
inline void make_hls(const std::filesystem::path& folder, const std::string& name) {
    RunResult r = run({"ffmpeg",
                       "-hide_banner",
                       "-loglevel",
                       "error",
                       "-y",
                       "-f",
                       "lavfi",
                       "-i",
                       "testsrc2=size=320x240:rate=25",
                       "-t",
                       "2",
                       "-c:v",
                       "libx264",
                       "-pix_fmt",
                       "yuv420p",
                       "-f",
                       "hls",
                       "-hls_time",
                       "1",
                       (folder / name).string()});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
}

// A 16000x16000 PNG of about 30 KB: 1 GB once decoded to RGBA.
inline std::filesystem::path bomb_png() {
    return make_media("bomb-16000.png", {"-f", "lavfi", "-i", "color=c=black:s=16000x16000",
                                         "-frames:v", "1", "-pix_fmt", "monob"});
}

} // namespace milepost::test
