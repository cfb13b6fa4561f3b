#include "Options.hpp"

#include <algorithm>
#include <charconv>

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

Result<Options> parse_options(const std::vector<std::string>& args) {
    Options o;
    int modes = 0;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> inline_value;
        if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
            inline_value = flag.substr(eq + 1);
            flag.resize(eq);
        }
        auto value = [&]() -> Result<std::string> {
            if (inline_value)
                return *inline_value;
            if (i + 1 >= args.size())
                return Error{flag + ": expected a value"};
            return args[++i];
        };
        auto takes_no_value = [&]() -> Result<void> {
            if (inline_value)
                return Error{flag + ": takes no value"};
            return {};
        };
#define MILEPOST_VALUE(var)                                                                        \
    auto var##_r = value();                                                                        \
    if (!var##_r)                                                                                  \
        return var##_r.error();                                                                    \
    const std::string& var = *var##_r

        if (flag == "--help" || flag == "-h") {
            o.help = true;
        } else if (flag == "--version") {
            o.version = true;
        } else if (flag == "--check-config") {
            o.check_config = true;
        } else if (flag == "--test-pattern") {
            o.test_pattern = true;
        } else if (flag == "--config") {
            MILEPOST_VALUE(v);
            o.config = v;
        } else if (flag == "--data-dir") {
            MILEPOST_VALUE(v);
            o.data_dir = v;
        } else if (flag == "--content") {
            MILEPOST_VALUE(v);
            o.content = v;
        } else if (flag == "--fullscreen") {
            if (auto r = takes_no_value(); !r)
                return r.error();
            o.mode = OutputMode::Fullscreen;
            ++modes;
        } else if (flag == "--windowed" || flag == "--headless") {
            MILEPOST_VALUE(v);
            auto size = parse_size(v);
            if (!size)
                return Error{flag + ": expected WIDTHxHEIGHT such as 1920x1080, got \"" + v + "\""};
            o.mode = flag == "--windowed" ? OutputMode::Windowed : OutputMode::Headless;
            o.size = size;
            ++modes;
        } else if (flag == "--snapshot") {
            MILEPOST_VALUE(v);
            auto colon = v.find(':');
            auto at = colon == std::string::npos ? std::nullopt : to_seconds(v.substr(0, colon));
            if (!at || colon + 1 >= v.size())
                return Error{"--snapshot: expected SECONDS:FILE.png such as 2:shot.png, got \"" +
                             v + "\""};
            o.snapshots.push_back({*at, v.substr(colon + 1)});
        } else if (flag == "--exit-after") {
            MILEPOST_VALUE(v);
            auto s = to_seconds(v);
            if (!s)
                return Error{"--exit-after: expected a number of seconds, got \"" + v + "\""};
            o.exit_after = s;
        } else if (flag == "--trace") {
            MILEPOST_VALUE(v);
            o.trace = v;
        } else if (flag == "--hwdec") {
            MILEPOST_VALUE(v);
            if (v.empty())
                return Error{"--hwdec: expected auto, none or a decoder name such as vaapi"};
            o.hwdec = v;
        } else if (flag == "--clock-start") {
            MILEPOST_VALUE(v);
            auto t = parse_rfc3339(v);
            if (!t)
                return Error{"--clock-start: expected an RFC 3339 time such as "
                             "2026-12-01T08:00:00Z, got \"" +
                             v + "\""};
            o.clock_start = t;
        } else if (flag == "--plan") {
            MILEPOST_VALUE(v);
            auto d = parse_duration(v);
            if (!d || d->count() <= 0 || *d > std::chrono::hours(24 * 366))
                return Error{"--plan: expected a duration up to a year such as 24h or 90m, got \"" +
                             v + "\""};
            o.plan = d;
        } else {
            return Error{"unknown option \"" + args[i] + "\""};
        }
#undef MILEPOST_VALUE
    }
    if (modes > 1)
        return Error{"--fullscreen, --windowed and --headless exclude each other"};
    if (o.test_pattern && o.plan)
        return Error{"--test-pattern and --plan exclude each other"};
    std::sort(o.snapshots.begin(), o.snapshots.end(),
              [](const SnapshotRequest& a, const SnapshotRequest& b) { return a.at < b.at; });
    return o;
}

} // namespace milepost
