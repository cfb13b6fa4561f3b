#pragma once
// milepost-player --test-pattern: the calibration screen for installers, drawn
// until the player is stopped (or --exit-after); --snapshot works as in play.
#include "Options.hpp"
#include "render/Fonts.hpp"
#include "render/Output.hpp"

#include <chrono>

namespace milepost {

int run_test_pattern(Output& output, Fonts& fonts, const Options& options,
                     std::chrono::steady_clock::time_point started);

} // namespace milepost
