// Schedule conditions ([item.schedule]: days, from, until, dates, regions, weight)
// and alerts, from a channel source, then the plan they make: the player's loop
// walks it showing after showing, so a showing that does not move time forward
// would hang a screen. The input is a channel source (the channel target's seeds).
#include "core/Schedule.hpp"
#include "FuzzSupport.hpp"
#include "core/Channel.hpp"
#include "core/Result.hpp"

namespace {

using namespace milepost;
using namespace std::chrono;

// Walks the plan from `from` for a day and a bit (bounded: short items make many
// showings), checking what the loop relies on.
void walk(const Channel& channel, PlanSettings settings, WallTime from) {
    Planner planner(channel, std::move(settings));
    Showing s = planner.showing_at(from);
    for (int n = 0; n < 3000 && s.start < from + hours(26); ++n) {
        if (s.end <= s.start || s.start < from)
            __builtin_trap(); // the loop would spin or go back in time
        s = planner.following(s);
    }
    planner.alerts_in_force(from);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fuzz::ScratchDir dir;
    static const Zone chicago = [] {
        auto z = Zone::locate("America/Chicago");
        if (!z)
            __builtin_trap();
        return *z;
    }();
    const auto file = dir.write("channel.toml", fuzz::as_text(data, size));
    std::vector<std::string> warnings;
    Channel channel;
    try {
        channel = load_channel_source(file, warnings);
    } catch (const ConfigError&) {
        return 0;
    }
    // Near an alert when there is one (its grid is where alerts cut items), else
    // the night the clocks go forward in Chicago.
    WallTime from = sys_days(year(2026) / March / 8) + hours(6);
    if (!channel.alerts.empty())
        from = channel.alerts.front().until - hours(2);

    PlanSettings local;
    local.region = "US-TX";
    local.languages = {"en", "es"};
    local.zone = chicago;
    walk(channel, local, from);

    PlanSettings untrusted;
    untrusted.region = "";
    untrusted.languages = {"fr", "en"};
    untrusted.clock_trusted = false;
    walk(channel, untrusted, from);
    return 0;
}
