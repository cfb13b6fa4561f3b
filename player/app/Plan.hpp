#pragma once
// The plan's settings and clock, shared by the player's loop and --plan, and
// --plan's printing: what the screen would show, as JSON lines, drawing nothing.
#include "core/DeviceConfig.hpp"
#include "core/Schedule.hpp"
#include "core/ScreenPower.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

namespace milepost {

// The schedule's settings from the device config.
PlanSettings plan_settings(const DeviceConfig& config, const Zone& zone, bool clock_trusted);

// Prints the showings from `from` for `length`, one JSON object a line, with the
// screen's power changes ({"at": ..., "display": "off"}) when `power` is given.
void print_plan(Planner& planner, WallTime from, std::chrono::milliseconds length, std::FILE* out,
                const std::optional<PowerWindow>& power = std::nullopt);

} // namespace milepost
