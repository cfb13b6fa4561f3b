#pragma once
// milepost-player's main loop: a flat list of named steps, then one timed wait.
#include "HotlineChoice.hpp"
#include "ItemLoader.hpp"
#include "Options.hpp"
#include "Overlays.hpp"
#include "PlayRecorder.hpp"
#include "ScreenPower.hpp"
#include "StatusCard.hpp"
#include "Trace.hpp"
#include "core/Channel.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Schedule.hpp"
#include "core/ScreenPower.hpp"
#include "media/VideoSource.hpp"
#include "render/AudioOutput.hpp"
#include "render/Fonts.hpp"
#include "render/Output.hpp"
#include "render/Painter.hpp"
#include "render/QrCode.hpp"
#include "render/VideoTexture.hpp"
#include "service/Watchdog.hpp"
#include "store/ContentStore.hpp"

#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace milepost {

using Clock = std::chrono::steady_clock;

// Whether the schedule believes the wall clock at `at`: synchronised (or set by
// --clock-start) and not before the year this was built.
bool schedule_clock_trusted(bool clock_start_given, WallTime at);
// The schedule's settings from the device config: the player's loop and --plan
// plan with the same.
PlanSettings plan_settings(const DeviceConfig& config, const Zone& zone, bool clock_trusted);
// --plan: prints the showings from `from` for `length`, as JSON lines, with the
// screen's power changes ({"at": ..., "display": "off"}) when `power` is given.
void print_plan(Planner& planner, WallTime from, std::chrono::milliseconds length, std::FILE* out,
                const std::optional<PowerWindow>& power = std::nullopt);

class App {
public:
    // `started`: when the process started; snapshots, --exit-after and trace times
    // count from it. `builtin` supplies a hotline when `channel` has none here.
    // `audio`: the speakers, or nullptr for silence.
    App(Clock::time_point started, Options options, DeviceConfig config, Channel channel,
        Channel builtin, std::unique_ptr<Output> output, std::unique_ptr<AudioOutput> audio,
        Fonts fonts, Trace trace);
    // Plays what DATA_DIR/active points at, now `target` ("" = none, or none that
    // loaded): when milepost-sync activates another version, the player switches
    // to it at the next item boundary.
    void follow_active_channel(std::string target);
    // A settings file was set aside (`problem` names it, the key and what is
    // wrong): shown over the content as an alert-style slide at start and every 10 min.
    void report_config_problem(std::string problem) {
        m_overlays.report_config_problem(std::move(problem));
    }
    int run();

private:
    // Before the loop.
    void read_test_events();
    // The steps of the loop, in order.
    void handle_events();
    void watch_active_channel(Clock::time_point now);
    void advance_schedule(Clock::time_point now);
    void renew_planner(Clock::time_point now, WallTime w);
    Showing showing_due(WallTime t);
    void take_item(Clock::time_point now, Showing& s, WallTime t);
    void start_item(Clock::time_point now, const Showing& s, WallTime w);
    void pump_video(Clock::time_point now);
    void follow_sound(Clock::time_point now, VideoSource& source);
    bool take_due_frame(Clock::time_point now, VideoSource& source);
    void watch_video_wait(Clock::time_point now, VideoSource& source);
    void prepare_next(Clock::time_point now);
    void present(const std::string* snapshot);
    void take_due_snapshots(Clock::time_point now);
    void take_screenshot(Clock::time_point now);
    void apply_power_schedule(Clock::time_point now);
    void push_test_events(Clock::time_point now);
    void write_player_status(Clock::time_point now);
    WallTime wall_now(Clock::time_point now) const;
    PlayStart play_start(const std::string& id, const std::string& object, WallTime at) const;
    void wait_until(Clock::time_point deadline);

    void switch_channel();
    Planner make_planner(const Channel& channel, WallTime at) const;
    bool schedule_trusted(WallTime at) const;
    void show_alert(Clock::time_point now, const Alert& alert, WallTime at);
    StatusInputs status_facts(Clock::time_point now, bool diagnostics);
    void start_fallback(Clock::time_point now, std::string_view why);
    void end_item(Clock::time_point now, std::string_view detail = {});
    void item_failed(Clock::time_point now, const PreparedItem& p, const std::string& why);
    void exclude_failed_before(const Channel& channel, Clock::time_point now);
    void compose_still(const Hotline& hotline);
    void compose_video();
    Clock::time_point next_deadline(Clock::time_point now) const;
    double seconds_since_start(Clock::time_point t) const;

    // Everything below is touched by the main thread only.
    Clock::time_point m_start;        // process start
    Clock::time_point m_clock_anchor; // when --clock-start's time is the wall clock's
    Options m_options;
    DeviceConfig m_config;
    Channel m_channel; // m_current, m_next, m_showing and m_planner point into it
    Channel m_builtin;
    std::unique_ptr<Output> m_output;
    std::unique_ptr<AudioOutput> m_audio;
    Fonts m_fonts;
    Trace m_trace;
    Zone m_zone;                      // the device's time zone
    std::optional<Planner> m_planner; // what plays when, for m_channel
    Showing m_showing;                // what is on screen, as the plan has it
    bool m_showing_valid = false;     // m_showing is set (not before the first item)
    Showing m_next_showing;           // what m_next was prepared for
    // Items that failed here, left out of the plan for an hour (then tried again).
    std::map<std::string, Clock::time_point> m_excluded;
    std::string m_alert_now;                // an alert a channel update brought: shown at once
    std::string m_interrupt_reason;         // the item on screen is cut short: why
    const Alert* m_current_alert = nullptr; // the alert slide on screen, if any

    // Following DATA_DIR/active (only without --content).
    bool m_follow_active = false;
    std::string m_active_target;  // the version playing, or being loaded
    std::string m_playing_target; // the version playing ("" = not from the data dir)
    std::string m_failed_target;  // a version that did not load: tried again after a while
    Clock::duration m_failed_wait{};
    Clock::time_point m_failed_retry_at;
    Clock::time_point m_next_active_check;
    std::future<Result<StoredChannel>> m_loading; // read on a thread: a big manifest
                                                  // must not hold up a frame
    // A newer version, taken at the next item boundary. m_next may already point
    // into its items; moving it into m_channel keeps those pointers valid.
    std::unique_ptr<Channel> m_pending_channel;
    std::optional<Planner> m_pending_planner;

    // Prepares items; objects that failed, or were being loaded when the player
    // stopped, are kept in DATA_DIR/failed-objects: left out for an hour after a
    // restart too. Declared before m_current and m_next: destroyed after them, it
    // waits for the videos they stop.
    ItemLoader m_loader;
    PreparedItem m_current; // on screen; item == nullptr: an alert or the fallback slide
    PreparedItem m_next;    // prepared while m_current plays
    std::string m_lang;     // the language of what is on screen (banner, fallback)
    Clock::time_point m_item_start;
    double m_video_offset = 0;           // seconds into its file the video on screen was joined at
    Clock::duration m_late_allowance{};  // how much later than planned it may still end
    Clock::duration m_sound_moved_end{}; // how much of that the sound's clock has taken
    bool m_in_fallback = false;          // the fallback slide is on screen (its reason was logged)
    Clock::time_point m_item_end;
    Clock::time_point m_prepare_at; // when to prepare m_next

    // The current video item.
    VideoTexture m_video_texture;
    std::optional<BannerTexture> m_banner; // drawn once for video frames, in m_banner_lang
    std::string m_banner_lang;
    Clock::time_point m_video_wait_since; // when it last made a frame, or began
    std::set<std::string> m_logged_notes; // decoder notes are logged once, not per item
    bool m_has_frame = false;             // m_video_texture holds a frame of this item
    VideoInfo m_video_info;               // this item's, taken with its first frame
    double m_frame_pts = 0;
    Clock::time_point m_last_frame_end; // when the last frame taken stops being current
    long m_frames_presented = 0;
    long m_frames_dropped = 0;
    bool m_frame_pending = false; // a new frame is uploaded, not yet presented

    // Proof of play (nullptr: no play log could be opened).
    std::unique_ptr<PlayRecorder> m_recorder;
    std::uint64_t m_play_token = 0;   // the row of the item on screen, 0 = none
    Clock::time_point m_play_started; // when it went on screen
    std::string m_outcome;            // how its row ends: completed, failed
    std::string m_outcome_detail;
    std::deque<std::pair<Clock::time_point, long>> m_drops; // per video item, last hour
    Clock::time_point m_next_screenshot;
    bool m_screenshot_due = false; // the next frame presented is copied for it

    size_t m_next_snapshot = 0;
    std::optional<Clock::time_point> m_exit_at;

    // systemd: READY once the first frame is up; WATCHDOG only from present(), so
    // a renderer that hangs stops the pings. A still screen is presented again
    // each half interval to show that the loop lives.
    Watchdog m_watchdog;
    Clock::time_point m_last_present;
    std::optional<Clock::time_point> m_stall_at; // test hook: the loop hangs then

    // kDataProblemFile's text, read once: it is written before the player starts
    // and lasts until a reboot.
    std::string m_data_problem;
    HotlineChoice m_hotlines;
    Overlays m_overlays; // the settings error, the tap's hotline screen, the cards
    ScreenPower m_power; // the power schedule and the cable

    int m_exit_code = 0;

    // Test hook (MILEPOST_TEST_EVENTS): SDL events pushed at set times after start.
    std::deque<std::pair<Clock::time_point, SDL_Event>> m_test_events;

    bool m_dirty = true; // the screen must be drawn again
    bool m_quit = false;
    bool m_first_frame = true;
    bool m_can_wait; // the video driver wakes SDL_WaitEventTimeout on events
};

} // namespace milepost
