// milepost-player: sets up from the command line and the device config, then
// hands over to App. Exit status: 0 success, 1 runtime failure, 2 bad usage/config.
#include "App.hpp"
#include "Options.hpp"
#include "ScreenPower.hpp"
#include "TestPattern.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "media/Probe.hpp"
#include "milepost/Version.hpp"
#include "store/ContentStore.hpp"

#include <SDL_image.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <malloc.h>

using namespace milepost;
namespace fs = std::filesystem;

namespace {

// share/milepost beside bin/ of this executable: build/share in the build tree,
// /usr/share once installed.
fs::path builtin_channel_path() {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return exe.parent_path().parent_path() / "share/milepost/default/channel.toml";
}

// RAII for SDL's global init, torn down in reverse order.
struct SdlSession {
    bool ok = false;
    explicit SdlSession(Uint32 flags) {
        ok = SDL_Init(flags) == 0 && TTF_Init() == 0;
        IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG);
    }
    ~SdlSession() {
        IMG_Quit();
        TTF_Quit();
        SDL_Quit();
    }
};

} // namespace

int main(int argc, char** argv) {
    const auto started = Clock::now();
#ifdef M_ARENA_MAX
    // Each decoder thread would get a malloc arena of its own that keeps freed frames
    // (megabytes each); two arenas keep a 1 GB Raspberry Pi's memory for the frames.
    mallopt(M_ARENA_MAX, 2);
#endif
    auto options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (!options) {
        log::error(options.error().message + " (see milepost-player --help)");
        return 2;
    }
    if (options->help) {
        std::fputs(kPlayerUsage, stdout);
        return 0;
    }
    if (options->version) {
        std::printf("milepost-player %s\n", kVersion);
        return 0;
    }

    DeviceConfig config;
    Channel channel, builtin;
    std::string active;         // DATA_DIR/active's target when playing from the data dir
    std::string config_problem; // a bad file set aside: shown on screen
    try {
        // As a service, the screen stays lit and says what is wrong.
        config = load_and_log_config(
            options->config,
            options->config || options->check_config ? ConfigReader::Person : ConfigReader::Service,
            "the screen plays on and shows the error", config_problem);
    } catch (const ConfigError& e) {
        log::error(e.message);
        return 2;
    }
    if (options->check_config) {
        std::printf("config ok: device %s, site \"%s\", region %s, time zone %s, languages %zu, "
                    "channel \"%s\"%s\n",
                    config.device.id.c_str(), config.device.site.c_str(),
                    config.device.region.empty() ? "(none)" : config.device.region.c_str(),
                    config.device.timezone.empty() ? "(system)" : config.device.timezone.c_str(),
                    config.device.languages.size(), config.content.channel.c_str(),
                    config.content.server.empty() ? ", built-in content only" : "");
        return 0;
    }

    try {
        std::vector<std::string> warnings;
        builtin = load_channel_source(builtin_channel_path(), warnings);
    } catch (const ConfigError& e) {
        // Still a screen with a hotline: App falls back to the slide of last resort.
        log::error("built-in channel: " + e.message);
    }
    if (options->content && fs::is_directory(*options->content)) {
        // A published channel: SITE/channels/NAME, its media in SITE/objects.
        const fs::path folder = fs::path(*options->content).lexically_normal();
        try {
            std::string note;
            channel = load_published_channel(folder, folder.parent_path().parent_path() / "objects",
                                             config.content.public_key, note);
            if (!note.empty())
                log::warn(note);
        } catch (const ConfigError& e) {
            log::error(e.message);
            return 2;
        }
    } else if (options->content) {
        try {
            std::vector<std::string> warnings;
            channel = load_channel_source(*options->content, warnings);
            for (const auto& w : warnings)
                log::warn(w);
        } catch (const ConfigError& e) {
            log::error(e.message);
            return 2;
        }
    } else {
        // The active channel milepost-sync left in the data dir: DATA_DIR/active
        // points at channels/<sequence>-<name>/, media in DATA_DIR/objects.
        const fs::path data = options->data_dir;
        active = active_target(data);
        if (!active.empty()) {
            auto stored =
                read_stored_channel(data / active, data / "objects", config.content.public_key);
            if (stored) {
                if (!stored->note.empty())
                    log::warn(stored->note);
                channel = std::move(stored->channel);
            } else {
                // Never a black screen: the built-in channel plays instead, and the
                // player tries the active channel again later.
                log::error("active channel: " + stored.error().message +
                           "; playing the built-in channel");
                channel = builtin;
                active.clear();
            }
        } else {
            log::info("no active channel in " + options->data_dir +
                      "; playing the built-in channel");
            channel = builtin;
        }
    }
    log::info("channel \"" + channel.name + "\": " + std::to_string(channel.items.size()) +
              " items; device " + config.device.id + ", region " +
              (config.device.region.empty() ? "(none)" : config.device.region));
    // A channel source names its videos' files only: their lengths, which the plan
    // needs, are read from the files (a published manifest carries them).
    for (Item& item : channel.items)
        if (item.type == ItemType::Video && item.media.duration <= 0 && !item.duration) {
            // Only regular files: opening a FIFO nobody writes would wait for ever.
            std::error_code ec;
            if (!fs::is_regular_file(item.file, ec))
                continue;
            if (auto facts = probe_media(item.file, false); facts && facts->duration > 0)
                item.media.duration = facts->duration;
            else
                log::warn("item \"" + item.id + "\": its length cannot be read (" +
                          (facts ? std::string("the file does not say") : facts.error().message) +
                          "); planned as " + std::to_string(int(kDefaultStillSeconds)) + " s");
        }
    if (options->plan) {
        const WallTime from = options->clock_start
                                  ? *options->clock_start
                                  : std::chrono::time_point_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now());
        auto zone = Zone::locate(config.device.timezone);
        if (!zone) {
            log::error(zone.error().message);
            return 2;
        }
        PlanSettings settings = plan_settings(
            config, *zone, schedule_clock_trusted(options->clock_start.has_value(), from));
        if (!settings.clock_trusted)
            log::info("the clock is not trusted: only items without time or date conditions are "
                      "planned");
        const auto power = power_window(config, settings.clock_trusted);
        Planner planner(channel, std::move(settings));
        print_plan(planner, from, *options->plan, stdout, power);
        return 0;
    }
    if (options->clock_start)
        log::info("wall clock starts at the time given by --clock-start");

    Trace trace;
    if (options->trace) {
        auto t = Trace::open(*options->trace);
        if (!t) {
            log::error(t.error().message);
            return 2;
        }
        trace = std::move(*t);
    }

    const bool headless = options->mode == OutputMode::Headless;
    SdlSession sdl(headless ? SDL_INIT_EVENTS : SDL_INIT_VIDEO | SDL_INIT_EVENTS);
    if (!sdl.ok) {
        log::error(std::string("cannot start SDL: ") + SDL_GetError() +
                   (headless ? "" : " (no display? try --headless WxH)"));
        return 1;
    }
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");

    OutputSpec spec;
    spec.mode = options->mode;
    spec.size = options->mode == OutputMode::Fullscreen ? config.display.size : options->size;
    spec.rotation = config.display.rotation;
    auto output = Output::create(spec);
    if (!output) {
        log::error(output.error().message);
        return 1;
    }
    // Sound only when asked for: most screens in a lobby or a truck stop are silent.
    std::unique_ptr<AudioOutput> audio;
    if (config.display.audio) {
        if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
            log::warn(std::string("no sound: ") + SDL_GetError());
        } else if (auto opened = AudioOutput::open(); !opened) {
            log::warn("no sound: " + opened.error().message);
        } else {
            audio = std::move(*opened);
            log::info("sound: " + audio->describe());
        }
    }
    auto fonts = Fonts::open();
    if (!fonts) {
        log::error(fonts.error().message);
        return 1;
    }
    if (options->test_pattern)
        return run_test_pattern(**output, *fonts, *options, started);
    const bool options_content = options->content.has_value();
    App app(started, std::move(*options), std::move(config), std::move(channel), std::move(builtin),
            std::move(*output), std::move(audio), std::move(*fonts), std::move(trace));
    if (!options_content)
        app.follow_active_channel(active);
    if (!config_problem.empty())
        app.report_config_problem(config_problem);
    return app.run();
}
