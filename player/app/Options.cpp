#include "Options.hpp"

#include "core/CommandLine.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

namespace milepost {

const char* const kPlayerUsage = R"(Usage: milepost-player [OPTION]...

Plays a Milepost channel on this screen: awareness videos, indicator slides and
images, with the hotline banner always on screen.

Without --content it plays the active channel in the data directory, or, when
there is none, the built-in channel (truck stops and travel centers, in English,
Spanish and French).

Options:
  --config FILE        device config (TOML). Default: /etc/milepost/device.toml
                       (defaults for every key when it is absent), with the keys of
                       /boot/firmware/milepost.toml winning when that file exists.
                       A FILE given here must exist and is used alone.
  --data-dir DIR       where the active channel and the play log live
                       (default /var/lib/milepost)
  --content SOURCE     play this channel source (TOML) instead
  --fullscreen         fill the screen (the default); on a console with no X or
                       Wayland, SDL draws through KMSDRM
  --windowed WxH       a window of that size; Escape or Q quits
  --headless WxH       no display: draws with SDL's software renderer into memory,
                       in real time, exactly as it would on screen
  --snapshot T:FILE    write the screen to FILE (PNG) T seconds after start;
                       may be given several times
  --exit-after S       quit after S seconds (exit status 0)
  --trace FILE         write events as JSON lines to FILE, flushed as they happen:
                       {"t": 1.25, "event": "item_start", "item": "lot-en"}
                       events: item_start, item_end (with frames presented and
                       dropped for videos), frame (one per video frame, with pts),
                       error
  --hwdec MODE         hardware video decoding: auto (default: v4l2m2m or drm on a
                       Raspberry Pi, vaapi on a PC, else software), none, or one of
                       v4l2m2m, drm, vaapi. When it cannot be had, software decoding
                       is used and the log says why.
  --clock-start TIME   the wall-clock time (RFC 3339, e.g. 2026-12-01T08:00:00Z)
                       the schedule sees at start; it then advances in real time.
                       A time before the year this was built is not trusted: only
                       items without time or date conditions play, as on a screen
                       whose clock has not been synchronised yet.
  --plan DURATION      render nothing: print what the screen would show from the
                       start time (now, or --clock-start) for DURATION (e.g. 24h,
                       90m), one JSON object per line, and exit:
                       {"at": "2026-12-01T06:00:00-06:00", "item": "lot-en",
                        "lang": "en", "duration": 12.0}
                       with "offset" (s) when an item is joined part way,
                       "interrupted": true when an alert cuts it short,
                       "alert": true for an alert slide, and "item": null,
                       "fallback": true while no item's schedule allows one.
                       Screens with the same channel, region and languages show
                       the same item at the same moment: the plan is a function
                       of the wall clock, not of when the player started.
  --test-pattern       show the installer's calibration screen instead of content:
                       a grid from the centre, colour bars, a 16-step grey ramp,
                       overscan frames 2.5% (yellow) and 5% (red) in from the
                       edges, a bar sweeping across every 4 s (a break in it is
                       tearing), and the output mode (e.g. "1920x1080 at 60 Hz"),
                       driver and frames drawn per second as text. Runs until
                       stopped or --exit-after; --snapshot works as in play.
  --check-config       read the device config (as --config says, or the default
                       file with the provisioning override on top), print what it
                       sets and exit 0, or name the file, key and problem and exit 2.
                       milepost-firstboot.service runs it at boot.
  --help               show this help and exit
  --version            show the version and exit

Rotation, banner position and the rest of the screen's behaviour come from the
[display] table of the device config.

Exit status: 0 success, 1 runtime failure, 2 bad usage or bad config; errors name
the file, the key and what was expected.
)";

namespace {

std::optional<double> to_seconds(const std::string& s) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !(v >= 0) || v > 1e7)
        return std::nullopt;
    return v;
}

} // namespace

namespace {

using OptionSetter = Result<void> (*)(Options&, const std::string& flag, const std::string& v);

Result<void> set_size(Options& o, const std::string& flag, const std::string& v) {
    auto size = parse_size(v);
    if (!size)
        return Error{flag + ": expected WIDTHxHEIGHT such as 1920x1080, got \"" + v + "\""};
    o.mode = flag == "--windowed" ? OutputMode::Windowed : OutputMode::Headless;
    o.size = size;
    return {};
}

Result<void> set_snapshot(Options& o, const std::string&, const std::string& v) {
    auto colon = v.find(':');
    auto at = colon == std::string::npos ? std::nullopt : to_seconds(v.substr(0, colon));
    if (!at || colon + 1 >= v.size())
        return Error{"--snapshot: expected SECONDS:FILE.png such as 2:shot.png, got \"" + v + "\""};
    o.snapshots.push_back({*at, v.substr(colon + 1)});
    return {};
}

Result<void> set_exit_after(Options& o, const std::string&, const std::string& v) {
    auto s = to_seconds(v);
    if (!s)
        return Error{"--exit-after: expected a number of seconds, got \"" + v + "\""};
    o.exit_after = s;
    return {};
}

Result<void> set_clock_start(Options& o, const std::string&, const std::string& v) {
    auto t = parse_rfc3339(v);
    if (!t)
        return Error{"--clock-start: expected an RFC 3339 time such as 2026-12-01T08:00:00Z, got "
                     "\"" +
                     v + "\""};
    o.clock_start = t;
    return {};
}

Result<void> set_plan(Options& o, const std::string&, const std::string& v) {
    auto d = parse_duration(v);
    if (!d || d->count() <= 0 || *d > std::chrono::hours(24 * 366))
        return Error{"--plan: expected a duration up to a year such as 24h or 90m, got \"" + v +
                     "\""};
    o.plan = d;
    return {};
}

// What each option does to Options; flags (no value) are the ones marked so.
struct OptionRule {
    bool flag;
    OptionSetter set;
};
const std::map<std::string, OptionRule>& option_rules() {
    static const std::map<std::string, OptionRule> rules{
        {"config",
         {false,
          [](Options& o, const std::string&, const std::string& v) {
              o.config = v;
              return Result<void>{};
          }}},
        {"data-dir",
         {false,
          [](Options& o, const std::string&, const std::string& v) {
              o.data_dir = v;
              return Result<void>{};
          }}},
        {"content",
         {false,
          [](Options& o, const std::string&, const std::string& v) {
              o.content = v;
              return Result<void>{};
          }}},
        {"trace",
         {false,
          [](Options& o, const std::string&, const std::string& v) {
              o.trace = v;
              return Result<void>{};
          }}},
        {"hwdec",
         {false,
          [](Options& o, const std::string&, const std::string& v) {
              if (v.empty())
                  return Result<void>{
                      Error{"--hwdec: expected auto, none or a decoder name such as vaapi"}};
              o.hwdec = v;
              return Result<void>{};
          }}},
        {"windowed", {false, set_size}},
        {"headless", {false, set_size}},
        {"snapshot", {false, set_snapshot}},
        {"exit-after", {false, set_exit_after}},
        {"clock-start", {false, set_clock_start}},
        {"plan", {false, set_plan}},
        {"fullscreen",
         {true,
          [](Options& o, const std::string&, const std::string&) {
              o.mode = OutputMode::Fullscreen;
              return Result<void>{};
          }}},
        {"check-config",
         {true,
          [](Options& o, const std::string&, const std::string&) {
              o.check_config = true;
              return Result<void>{};
          }}},
        {"test-pattern",
         {true,
          [](Options& o, const std::string&, const std::string&) {
              o.test_pattern = true;
              return Result<void>{};
          }}},
    };
    return rules;
}

} // namespace

Result<Options> parse_options(const std::vector<std::string>& args) {
    CommandLineSpec spec;
    for (const auto& [name, rule] : option_rules())
        (rule.flag ? spec.flags : spec.valued).insert(name);
    auto line = parse_command_line(args, spec);
    if (!line)
        return line.error();
    Options o;
    o.help = line->help;
    o.version = line->version;
    int modes = 0;
    for (const auto& [name, value] : line->options) {
        if (auto r = option_rules().at(name).set(o, "--" + name, value); !r)
            return r.error();
        modes += name == "fullscreen" || name == "windowed" || name == "headless";
    }
    if (modes > 1)
        return Error{"--fullscreen, --windowed and --headless exclude each other"};
    if (o.test_pattern && o.plan)
        return Error{"--test-pattern and --plan exclude each other"};
    std::sort(o.snapshots.begin(), o.snapshots.end(),
              [](const SnapshotRequest& a, const SnapshotRequest& b) { return a.at < b.at; });
    return o;
}

std::vector<std::pair<double, SDL_Event>> parse_test_events(const std::string& events) {
    std::vector<std::pair<double, SDL_Event>> out;
    std::istringstream in(events);
    std::string one;
    while (in >> one) {
        double at = 0;
        char kind[16] = {};
        int x = 0, y = 0;
        SDL_Event ev{};
        if (std::sscanf(one.c_str(), "%lf:%15[a-z]:%d,%d", &at, kind, &x, &y) < 2)
            continue;
        if (std::string(kind) == "key") {
            ev.type = SDL_KEYDOWN;
            ev.key.keysym.sym = SDLK_F1;
            ev.key.keysym.scancode = SDL_SCANCODE_F1;
        } else {
            ev.type = std::string(kind) == "down" ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
            ev.button.button = SDL_BUTTON_LEFT;
            ev.button.x = x;
            ev.button.y = y;
        }
        out.emplace_back(at, ev);
    }
    return out;
}

TestHooks read_test_hooks() {
    TestHooks hooks;
    if (const char* hang = std::getenv("MILEPOST_TEST_HANG_AFTER"))
        hooks.hang_after = std::atof(hang);
    if (const char* events = std::getenv("MILEPOST_TEST_EVENTS"))
        hooks.events = events;
    if (const char* sysfs = std::getenv("MILEPOST_TEST_DRM_SYSFS"))
        hooks.drm_sysfs = sysfs;
    return hooks;
}

} // namespace milepost
