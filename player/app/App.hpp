#pragma once
// milepost-player's main loop: a table of contents over the parts that each own
// their state and their next deadline, the loop sleeping until the earliest:
//   ChannelFollower  DATA_DIR/active: which channel version plays
//   Playback         the plan, the item on screen and the next, proof of play
//   VideoPresenter   a video's frames: queue -> clock -> present
//   CaptionPresenter the video's captions: the cue due with the frame on screen
//   Overlays         the settings error, the tap's hotline screen, the cards
//   ScreenPower      the power schedule, HDMI-CEC, the cable
//   SplashKeeper     DATA_DIR/splash.png, the hotline screen shown before the player
//   TestDriver       the tests' hooks: events at set times, a hang, the first picture
// The App itself draws the screen (content, banner, overlays), presents it, takes
// snapshots and screenshots, and tells systemd it lives.
#include "CaptionPresenter.hpp"
#include "ChannelFollower.hpp"
#include "HotlineChoice.hpp"
#include "Options.hpp"
#include "Overlays.hpp"
#include "Playback.hpp"
#include "ScreenPower.hpp"
#include "Splash.hpp"
#include "TestDriver.hpp"
#include "Trace.hpp"
#include "VideoBanner.hpp"
#include "VideoPresenter.hpp"
#include "core/Channel.hpp"
#include "core/DeviceConfig.hpp"
#include "output/AudioOutput.hpp"
#include "render/Fonts.hpp"
#include "render/Output.hpp"
#include "render/Painter.hpp"
#include "service/Watchdog.hpp"

#include <memory>
#include <optional>

namespace milepost {

class App {
public:
    // `started`: when the process started; snapshots, --exit-after and trace times
    // count from it. `builtin` supplies a hotline when `channel` has none here.
    // `audio`: the speakers, or nullptr for silence.
    App(Clock::time_point started, Options options, DeviceConfig config, Channel channel,
        Channel builtin, std::unique_ptr<Output> output, std::unique_ptr<AudioOutput> audio,
        Fonts fonts, Trace trace);
    // Follows DATA_DIR/active: when milepost-sync activates another version, the
    // player switches to it at the next item boundary.
    void follow(ChannelFollower follower) { m_follower.emplace(std::move(follower)); }
    // A settings file was set aside (`problem` names it, the key and what is
    // wrong): shown over the content as an alert-style slide at start and every 10 min.
    void report_config_problem(std::string problem) {
        m_overlays.report_config_problem(std::move(problem));
    }
    int run();

private:
    // The steps of the loop, in order.
    void handle_events();
    bool watch_cable(Clock::time_point now);
    void apply_power_schedule(Clock::time_point now);
    void take_screenshot(Clock::time_point now);
    void update_overlays(Clock::time_point now);
    bool first_picture_held(Clock::time_point now);
    void present(const std::string* snapshot);
    void take_due_snapshots(Clock::time_point now);
    Clock::time_point next_deadline(Clock::time_point now);
    void wait_until(Clock::time_point deadline);

    void compose_still();
    std::optional<Rect> compose_video();
    const BannerTexture* video_banner();
    StatusInputs status_facts(Clock::time_point now, bool diagnostics);
    double seconds_since_start(Clock::time_point t) const { return seconds_between(m_start, t); }

    // Everything below is touched by the main thread only.
    Clock::time_point m_start; // process start
    Options m_options;
    DeviceConfig m_config;
    Channel m_builtin;
    std::unique_ptr<Output> m_output;
    std::unique_ptr<AudioOutput> m_audio;
    Fonts m_fonts;
    Trace m_trace;

    // The parts.
    VideoPresenter m_presenter;
    CaptionPresenter m_captions;
    Playback m_playback;
    std::optional<ChannelFollower> m_follower; // only without --content
    HotlineChoice m_hotlines;
    Overlays m_overlays;
    ScreenPower m_power;

    VideoBanner m_banner;
    SplashKeeper m_splash;
    TestDriver m_tests;
    // kDataProblemFile's text, read once: it is written before the player starts
    // and lasts until a reboot.
    std::string m_data_problem;
    Clock::time_point m_next_screenshot;
    bool m_screenshot_due = false; // the next frame presented is copied for it
    size_t m_next_snapshot = 0;
    std::optional<Clock::time_point> m_exit_at;

    // systemd: READY once the first frame is up; WATCHDOG only from present(), so
    // a renderer that hangs stops the pings. A still screen is presented again
    // each half interval to show that the loop lives.
    Watchdog m_watchdog;
    Clock::time_point m_last_present;

    int m_exit_code = 0;
    bool m_dirty = true; // the screen must be drawn again
    bool m_quit = false;
    bool m_first_frame = true;
    std::string m_video_driver; // SDL's: "KMSDRM", "x11", "offscreen"...
    // The video driver is a desktop's window system (X11, Wayland): events wake
    // SDL_WaitEventTimeout, and a window shows nothing of its own until presented.
    bool m_desktop;
};

} // namespace milepost
