#include "Options.hpp"
#include "milepost/usage/milepost-player.hpp"

#include "core/CommandLine.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>

namespace milepost {

const char* const kPlayerUsage = usage::milepost_player;

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
    std::function<Result<void>(Options&, const std::string& flag, const std::string& v)> set;
};

// An option whose value is kept as given, in `field`.
template <class T> OptionRule keep_value(T Options::*field) {
    return {false, [field](Options& o, const std::string&, const std::string& v) {
                o.*field = v;
                return Result<void>{};
            }};
}
// A flag that sets `field` to `value`.
template <class T> OptionRule flag_sets(T Options::*field, T value) {
    return {true, [field, value](Options& o, const std::string&, const std::string&) {
                o.*field = value;
                return Result<void>{};
            }};
}

Result<void> set_hwdec(Options& o, const std::string&, const std::string& v) {
    if (v.empty())
        return Error{"--hwdec: expected auto, none or a decoder name such as vaapi"};
    o.hwdec = v;
    return {};
}

Result<void> set_renderer(Options& o, const std::string&, const std::string& v) {
    if (v != "software" && v != "gles2")
        return Error{"--renderer: expected software or gles2, got \"" + v + "\""};
    o.renderer = v == "gles2" ? RendererChoice::Gles2 : RendererChoice::Software;
    return {};
}

const std::map<std::string, OptionRule>& option_rules() {
    static const std::map<std::string, OptionRule> rules{
        {"config", keep_value(&Options::config)},
        {"data-dir", keep_value(&Options::data_dir)},
        {"content", keep_value(&Options::content)},
        {"splash", keep_value(&Options::splash)},
        {"trace", keep_value(&Options::trace)},
        {"hwdec", {false, set_hwdec}},
        {"renderer", {false, set_renderer}},
        {"windowed", {false, set_size}},
        {"headless", {false, set_size}},
        {"snapshot", {false, set_snapshot}},
        {"exit-after", {false, set_exit_after}},
        {"clock-start", {false, set_clock_start}},
        {"plan", {false, set_plan}},
        {"fullscreen", flag_sets(&Options::mode, OutputMode::Fullscreen)},
        {"check-config", flag_sets(&Options::check_config, true)},
        {"test-pattern", flag_sets(&Options::test_pattern, true)},
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
    if (o.splash && (o.test_pattern || o.plan || modes > 0 || o.content || o.check_config))
        return Error{"--splash takes only --data-dir beside it"};
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
    if (const char* first = std::getenv("MILEPOST_TEST_FIRST_PICTURE"))
        hooks.first_picture = first;
    if (const char* jump = std::getenv("MILEPOST_TEST_CLOCK_JUMP")) {
        double at = 0, by = 0;
        if (std::sscanf(jump, "%lf:%lf", &at, &by) == 2)
            hooks.clock_jump.emplace(at, by);
    }
    return hooks;
}

} // namespace milepost
