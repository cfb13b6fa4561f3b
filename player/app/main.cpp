// milepost-player: sets up from the command line and the device config, then
// hands over to App. Exit status: 0 success, 1 runtime failure, 2 bad usage/config.
#include "App.hpp"
#include "Options.hpp"
#include "Plan.hpp"
#include "ScreenPower.hpp"
#include "TestPattern.hpp"
#include "core/Log.hpp"
#include "core/Manifest.hpp"
#include "core/ThreadPriority.hpp"
#include "media/Probe.hpp"
#include "milepost/Version.hpp"
#include "render/Framebuffer.hpp"
#include "service/ClockTrust.hpp"
#include "store/ContentStore.hpp"

#include <SDL_image.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <malloc.h>

using namespace milepost;
namespace fs = std::filesystem;

namespace {

// share/milepost/NAME beside bin/ of this executable: build/share in the build
// tree, /usr/share once installed.
fs::path builtin_channel_path(std::string_view name) {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return exe.parent_path().parent_path() / "share/milepost" / name / "channel.toml";
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

constexpr int kExitRuntime = 1; // a runtime failure
constexpr int kExitUsage = 2;   // bad usage or a bad config

// The device config; nullopt when it cannot be used (logged: exit 2). As a service,
// a bad provisioning file is set aside (`problem` says why): the screen stays lit
// and says what is wrong.
std::optional<DeviceConfig> load_config(const Options& options, std::string& problem) {
    try {
        return load_and_log_config(options.config,
                                   options.config || options.check_config ? ConfigReader::Person
                                                                          : ConfigReader::Service,
                                   "the screen plays on and shows the error", problem);
    } catch (const ConfigError& e) {
        log::error(e.message);
        return std::nullopt;
    }
}

// --check-config: what the config sets.
void print_config(const DeviceConfig& config) {
    std::printf("config ok: device %s, site \"%s\", region %s, time zone %s, languages %zu, "
                "channel \"%s\"%s\n",
                config.device.id.c_str(), config.device.site.c_str(),
                config.device.region.empty() ? "(none)" : config.device.region.c_str(),
                config.device.timezone.empty() ? "(system)" : config.device.timezone.c_str(),
                config.device.languages.size(), config.content.channel.c_str(),
                config.content.server.empty() ? ", built-in content only" : "");
}

// The built-in channel [content] channel names (truckstop unless it names another),
// played with no server and until the first sync; without one (logged), still a
// screen with a hotline: App falls back to the slide of last resort.
Channel load_builtin(const DeviceConfig& config) {
    const std::string& configured = config.content.channel;
    const std::string_view name = builtin_channel_for(configured);
    if (config.content.server.empty() && !configured.empty() && !is_builtin_channel(configured))
        log::warn("[content] channel \"" + configured +
                  "\" is not a built-in channel (truckstop, bus, weigh-station, licensing) and "
                  "there is no server: the screen plays \"" +
                  std::string(name) + "\"");
    try {
        std::vector<std::string> warnings;
        return load_channel_source(builtin_channel_path(name), warnings);
    } catch (const ConfigError& e) {
        log::error("built-in channel: " + e.message);
        return {};
    }
}

// --content: a published channel (SITE/channels/NAME, its media in SITE/objects)
// or a channel source (TOML); nullopt when it cannot be played (logged: exit 2).
std::optional<Channel> load_content(const std::string& source, const DeviceConfig& config) {
    try {
        if (fs::is_directory(source)) {
            const fs::path folder = fs::path(source).lexically_normal();
            std::string note;
            Channel channel =
                load_published_channel(folder, folder.parent_path().parent_path() / "objects",
                                       config.content.public_key, note);
            if (!note.empty())
                log::warn(note);
            return channel;
        }
        std::vector<std::string> warnings;
        Channel channel = load_channel_source(source, warnings);
        for (const auto& w : warnings)
            log::warn(w);
        return channel;
    } catch (const ConfigError& e) {
        log::error(e.message);
        return std::nullopt;
    }
}

// A channel source names its videos' files only: their lengths, which the plan
// needs, are read from the files (a published manifest carries them).
void read_video_lengths(Channel& channel) {
    for (Item& item : channel.items) {
        if (item.type != ItemType::Video || item.media.duration > 0 || item.duration)
            continue;
        // Only regular files: opening a FIFO nobody writes would wait for ever.
        std::error_code ec;
        if (!fs::is_regular_file(item.file, ec))
            continue;
        if (auto length = probe_video_length(item.file))
            item.media.duration = *length;
        else
            log::warn("item \"" + item.id + "\": its length cannot be read (" +
                      length.error().message + "); planned as " +
                      std::to_string(int(kDefaultStillSeconds)) + " s");
    }
}

// --plan: prints the plan from --clock-start (or now) and exits.
int plan(const Options& options, const DeviceConfig& config, const Channel& channel) {
    const WallTime from = options.clock_start
                              ? *options.clock_start
                              : std::chrono::time_point_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now());
    auto zone = Zone::locate(config.device.timezone);
    if (!zone) {
        log::error(zone.error().message);
        return kExitUsage;
    }
    PlanSettings settings =
        plan_settings(config, *zone, wall_clock_trusted(from, options.clock_start.has_value()));
    if (!settings.clock_trusted)
        log::info("the clock is not trusted: only items without time or date conditions are "
                  "planned");
    const auto power = power_window(config, settings.clock_trusted);
    Planner planner(channel, std::move(settings));
    print_plan(planner, from, *options.plan, stdout, power);
    return 0;
}

// The screen: a window, the whole display (KMSDRM on a console) or memory.
Result<std::unique_ptr<Output>> open_output(const Options& options, const DeviceConfig& config) {
    OutputSpec spec;
    spec.mode = options.mode;
    spec.size = options.mode == OutputMode::Fullscreen ? config.display.size : options.size;
    spec.rotation = config.display.rotation;
    spec.renderer = options.renderer;
    return Output::create(spec);
}

// Sound only when asked for: most screens in a lobby or a truck stop are silent.
std::unique_ptr<AudioOutput> open_audio(const DeviceConfig& config) {
    if (!config.display.audio)
        return nullptr;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0) {
        log::warn(std::string("no sound: ") + SDL_GetError());
        return nullptr;
    }
    auto opened = AudioOutput::open();
    if (!opened) {
        log::warn("no sound: " + opened.error().message);
        return nullptr;
    }
    log::info("sound: " + (*opened)->describe());
    return std::move(*opened);
}

struct Loaded {
    DeviceConfig config;
    std::string config_problem; // a bad file set aside: shown on screen
    Channel builtin;
    Channel channel;
    std::optional<ChannelFollower> follower; // DATA_DIR/active, without --content
};

// Opens the screen and plays until stopped.
int play(Clock::time_point started, Options options, Loaded loaded, Trace trace) {
    const bool headless = options.mode == OutputMode::Headless;
    // Headless OpenGL ES 2 draws in a hidden window of SDL's offscreen driver.
    const bool offscreen = headless && options.renderer == RendererChoice::Gles2;
    if (offscreen)
        SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
    SdlSession sdl(headless && !offscreen ? SDL_INIT_EVENTS : SDL_INIT_VIDEO | SDL_INIT_EVENTS);
    if (!sdl.ok) {
        log::error(std::string("cannot start SDL: ") + SDL_GetError() +
                   (headless ? "" : " (no display? try --headless WxH)"));
        return kExitRuntime;
    }
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    auto output = open_output(options, loaded.config);
    if (!output) {
        log::error(output.error().message);
        return kExitRuntime;
    }
    std::unique_ptr<AudioOutput> audio = open_audio(loaded.config);
    auto fonts = Fonts::open();
    if (!fonts) {
        log::error(fonts.error().message);
        return kExitRuntime;
    }
    if (options.test_pattern)
        return run_test_pattern(**output, *fonts, options, started);
    // The render loop wakes for each frame ahead of the threads that decode and load
    // (which give way to it): those it starts from here on.
    prefer_prompt_wakeups();
    App app(started, std::move(options), std::move(loaded.config), std::move(loaded.channel),
            std::move(loaded.builtin), std::move(*output), std::move(audio), std::move(*fonts),
            std::move(trace));
    if (loaded.follower)
        app.follow(std::move(*loaded.follower));
    if (!loaded.config_problem.empty())
        app.report_config_problem(loaded.config_problem);
    return app.run();
}

// --splash FB: DATA_DIR/splash.png, which the player keeps, onto the framebuffer
// (milepost-splash.service, as the system starts and after the player stops).
int show_splash(const Options& options) {
    const fs::path png = fs::path(options.data_dir) / kSplashFile;
    if (auto shown = show_on_framebuffer(png, *options.splash, std::chrono::seconds(5)); !shown) {
        log::error(shown.error().message);
        return kExitRuntime;
    }
    log::info(png.string() + ": on " + *options.splash);
    return 0;
}

// glibc's malloc, set for a 1 GB Raspberry Pi.
void limit_malloc() {
#ifdef M_ARENA_MAX
    // Each decoder thread would get a malloc arena of its own that keeps freed frames
    // (megabytes each); two arenas keep a 1 GB Raspberry Pi's memory for the frames.
    mallopt(M_ARENA_MAX, 2);
    // Blocks of 256 KiB and more (a video's buffers as it opens and closes) are
    // mapped and given back when freed. By default the limit climbs to the largest
    // block freed, and what opening each next video leaves stays in the heap: 2-3 MB.
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
}

} // namespace

int main(int argc, char** argv) {
    const auto started = Clock::now();
    limit_malloc();
    auto options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (!options) {
        log::error(options.error().message + " (see milepost-player --help)");
        return kExitUsage;
    }
    if (options->help || options->version) {
        if (options->help)
            std::fputs(kPlayerUsage, stdout);
        else
            std::printf("milepost-player %s\n", kVersion);
        return 0;
    }
    if (options->splash)
        return show_splash(*options);
    options->test = read_test_hooks();

    Loaded loaded;
    auto config = load_config(*options, loaded.config_problem);
    if (!config)
        return kExitUsage;
    loaded.config = std::move(*config);
    if (options->check_config) {
        print_config(loaded.config);
        return 0;
    }
    loaded.builtin = load_builtin(loaded.config);
    if (options->content) {
        auto channel = load_content(*options->content, loaded.config);
        if (!channel)
            return kExitUsage;
        loaded.channel = std::move(*channel);
    } else {
        // The active channel milepost-sync left in the data dir, through the same
        // follower that takes the versions it activates later.
        loaded.follower.emplace(options->data_dir, loaded.config.content.public_key);
        auto first = loaded.follower->load_first();
        loaded.channel = first ? std::move(*first) : loaded.builtin;
    }
    const DeviceConfig& c = loaded.config;
    log::info("channel \"" + loaded.channel.name +
              "\": " + std::to_string(loaded.channel.items.size()) + " items; device " +
              c.device.id + ", region " + (c.device.region.empty() ? "(none)" : c.device.region));
    read_video_lengths(loaded.channel);
    if (options->plan)
        return plan(*options, loaded.config, loaded.channel);
    if (options->clock_start)
        log::info("wall clock starts at the time given by --clock-start");

    auto trace = options->trace ? Trace::open(*options->trace, started) : Result<Trace>(Trace{});
    if (!trace) {
        log::error(trace.error().message);
        return kExitUsage;
    }
    return play(started, std::move(*options), std::move(loaded), std::move(*trace));
}
