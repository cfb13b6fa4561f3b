#pragma once
// The clips of the timing test (player_timing.cpp): 2 s at 30 fps each, made by ffmpeg
// once (make_media keeps them). The fractals take the most to make (4 CPU seconds
// for the 1080p one here); made in the main pass (player_video.cpp checks them), not
// in the timing test's own minutes, when the rest of the suite waits for it.
#include "support/TestSupport.hpp"

#include <filesystem>
#include <string>

namespace milepost::test {

// The first clip: 1080p colour bars.
inline std::filesystem::path timing_clip_bars_1080p() {
    return make_media("bars-1080p-2s.mp4",
                      {"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-t", "2", "-c:v",
                       "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"});
}

// The clip after it: a fractal, `height` 1080 (the screen's size) or 720 (scaled onto it).
inline std::filesystem::path timing_clip_fractal(int height) {
    const int width = height * 16 / 9;
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    return make_media("fractal-" + std::to_string(height) + "p-2s.mp4",
                      {"-f", "lavfi", "-i", "mandelbrot=size=" + size + ":rate=30", "-t", "2",
                       "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"});
}

} // namespace milepost::test
