#include "TestPattern.hpp"

#include "core/Log.hpp"
#include "milepost/Version.hpp"
#include "render/TestPattern.hpp"
#include "service/Watchdog.hpp"

#include <cstdio>
#include <thread>

namespace milepost {

namespace {

// True when the viewer asks to stop: the window closed, or Esc or Q on a desktop.
bool test_pattern_quit_requested(Output& output, const Options& options) {
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_QUIT)
            return true;
        if (ev.type == SDL_WINDOWEVENT && ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            output.refresh_panel_size();
        // Only a desktop window may be closed from the keyboard; a kiosk never.
        if (ev.type == SDL_KEYDOWN && options.mode == OutputMode::Windowed &&
            (ev.key.keysym.sym == SDLK_ESCAPE || ev.key.keysym.sym == SDLK_q))
            return true;
    }
    return false;
}

// The text under the pattern: the output, the version and the frame counter.
std::vector<std::string> test_pattern_lines(const Output& output, long frames, double rate) {
    char counter[96];
    std::snprintf(counter, sizeof counter, "frame %ld, %.1f frames per second drawn", frames, rate);
    return {output.mode_text(), std::string("Milepost test pattern, version ") + kVersion,
            output.driver_text(), "Yellow frame 2.5% and red frame 5% in from the edges",
            "The moving bar must never break; " + std::string(counter)};
}

// Draws the pattern at `t` seconds and shows it, written to `png` too when not
// null. False when the pattern cannot go on.
bool show_test_pattern_frame(Output& output, Painter& painter, double t,
                             const std::vector<std::string>& lines, const std::string* png) {
    if (auto begun = output.begin_frame(); !begun) {
        log::error(begun.error().message);
        return false;
    }
    if (auto drawn = draw_test_pattern(painter, output.canvas_size(), t, lines); !drawn) {
        log::error(drawn.error().message);
        return false;
    }
    if (auto shown = output.end_frame(png); !shown) {
        log::error(shown.error().message);
        // A frame that fails to show is only logged; a snapshot that fails ends the run.
        if (png)
            return false;
    } else if (png) {
        log::info("snapshot written: " + *png);
    }
    return true;
}

} // namespace

int run_test_pattern(Output& output, Fonts& fonts, const Options& options,
                     std::chrono::steady_clock::time_point started) {
    using Steady = std::chrono::steady_clock;
    const auto since = [&](Steady::time_point t) {
        return std::chrono::duration<double>(t - started).count();
    };
    log::info("test pattern: " + output.describe());
    Painter painter(output.renderer(), fonts);
    Watchdog watchdog;
    size_t next_snapshot = 0;
    long frames = 0;
    double rate = 0;
    Steady::time_point rate_since = Steady::now();
    long rate_frames = 0;
    const auto frame_time = std::chrono::microseconds(16667); // 60 Hz, or the vsync's pace
    bool ready = false;
    while (true) {
        if (test_pattern_quit_requested(output, options))
            return 0;
        const auto now = Steady::now();
        const double t = since(now);
        if (options.exit_after && t >= *options.exit_after)
            return 0;
        if (now - rate_since >= std::chrono::seconds(1)) {
            rate = rate_frames / std::chrono::duration<double>(now - rate_since).count();
            rate_since = now;
            rate_frames = 0;
        }
        const std::string* png = nullptr;
        if (next_snapshot < options.snapshots.size() && t >= options.snapshots[next_snapshot].at)
            png = &options.snapshots[next_snapshot++].path;
        if (!show_test_pattern_frame(output, painter, t, test_pattern_lines(output, frames, rate),
                                     png))
            return 1;
        ++frames;
        ++rate_frames;
        if (!ready) {
            notify_systemd("READY=1");
            ready = true;
        }
        watchdog.ping();
        std::this_thread::sleep_until(now + frame_time);
    }
}

} // namespace milepost
