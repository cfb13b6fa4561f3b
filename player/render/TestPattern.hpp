#pragma once
// The installer's calibration screen (milepost-player --test-pattern): a grid,
// colour bars, a grey ramp, overscan marks at 2.5% and 5%, a bar that sweeps
// across (tearing shows as a break in it) and the output mode as text.
#include "Painter.hpp"

#include <string>
#include <vector>

namespace milepost {

namespace test_pattern {
// The bars, left to right: 100% white, yellow, cyan, green, magenta, red, blue, black.
inline constexpr SDL_Color kBars[] = {{255, 255, 255, 255}, {255, 255, 0, 255}, {0, 255, 255, 255},
                                      {0, 255, 0, 255},     {255, 0, 255, 255}, {255, 0, 0, 255},
                                      {0, 0, 255, 255},     {0, 0, 0, 255}};
inline constexpr int kRampSteps = 16;                     // black to white
inline constexpr SDL_Color kOuterMark{255, 210, 63, 255}; // 2.5% in from each edge
inline constexpr SDL_Color kInnerMark{255, 64, 64, 255};  // 5% in
inline constexpr double kSweepSeconds = 4.0; // the moving bar crosses the screen in this time

// Where each part sits on a canvas (fractions of it, so tests can find them).
Rect bars_area(Size canvas);
Rect ramp_area(Size canvas);
Rect sweep_area(Size canvas);
Rect text_area(Size canvas);
Rect overscan_rect(Size canvas, double fraction); // the mark `fraction` in from each edge
// The sweeping bar's box at `seconds` after start.
Rect sweep_bar(Size canvas, double seconds);
} // namespace test_pattern

// `lines`: the text under the pattern, the first (the output mode) largest.
Result<void> draw_test_pattern(Painter& painter, Size canvas, double seconds,
                               const std::vector<std::string>& lines);

} // namespace milepost
