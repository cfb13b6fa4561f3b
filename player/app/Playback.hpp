#pragma once
// What plays, one part of the player's loop: the plan of the channel playing, the
// item on screen and the one prepared while it plays, the newer channel versions
// taken at item boundaries, the items that fail (left out of the plan for an
// hour), and each showing's row of proof of play.
#include "CaptionPresenter.hpp"
#include "ItemLoader.hpp"
#include "LoopClock.hpp"
#include "Options.hpp"
#include "Plan.hpp"
#include "ProofOfPlay.hpp"
#include "Trace.hpp"
#include "VideoPresenter.hpp"
#include "core/Channel.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Schedule.hpp"
#include "output/AudioOutput.hpp"
#include "render/Output.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace milepost {

class Playback {
public:
    // What it plays with; all outlive it.
    struct Parts {
        const Options& options;
        const DeviceConfig& config;
        Output& output;
        AudioOutput* audio; // nullptr: silence
        VideoPresenter& presenter;
        CaptionPresenter& captions;
        Trace& trace;
        Clock::time_point started; // the process start: trace times count from it
    };
    Playback(Parts parts, Channel channel);

    // The wall clock the schedule sees: the system's, or --clock-start's from
    // the loop's first turn, when the first item starts (anchor_clock).
    void anchor_clock(Clock::time_point now) { m_clock_anchor = now; }
    WallTime wall_now(Clock::time_point now) const;
    // Time and date conditions are believed only from a clock that is synchronised
    // (or set by --clock-start) and not before the year this was built.
    bool schedule_trusted(WallTime at) const;
    const Zone& zone() const { return m_zone; }

    // A newer version was read: it plays from the next item boundary, and an alert
    // it brought at once.
    void take_new_version(Clock::time_point now, Channel loaded);
    // Each turn of the loop, in order.
    // A boundary is taken a moment ahead (boundary_lead()): the next item's work
    // is done by its time, and a video's first frame still waits for it.
    bool boundary_due(Clock::time_point now) const { return now + boundary_lead() >= m_item_end; }
    void advance(Clock::time_point now);
    void pump_video(Clock::time_point now);
    void prepare_next(Clock::time_point now);
    // The item on screen is not seen (`why`): its play row ends interrupted.
    void covered(const char* why);
    // The power schedule turned the screen off: what plays ends, nothing more
    // plays until screen_on(), which joins the plan where it is then.
    void screen_off(Clock::time_point now);
    void screen_on(Clock::time_point now) { m_item_end = now; }
    // The player stops: the item on screen ends interrupted.
    void stop(Clock::time_point now);
    // A picture was presented; it was on screen at `shown`.
    void presented(Clock::time_point shown);

    // What is on screen.
    const Channel& channel() const { return m_channel; }
    const PreparedItem& current() const { return m_current; }
    const Alert* current_alert() const { return m_current_alert; }
    const std::string& lang() const { return m_lang; }
    PlayRecorder* recorder() const { return m_proof.recorder(); }
    // The play log's writer holds what is queued until released
    // (PlayRecorder::hold_wakes): the render loop holds it through each turn.
    void hold_recorder(bool hold);
    // Frames dropped in the last hour, the video on screen's included.
    long frames_dropped_last_hour(Clock::time_point now);
    // Whether what is on screen changed (the screen is drawn again), and whether
    // the channel did (its hotline may have).
    bool take_dirty() { return std::exchange(m_dirty, false); }
    bool take_channel_switched() { return std::exchange(m_channel_switched, false); }
    Clock::time_point next_deadline(Clock::time_point now) const;
    // Before a still picture (shown as drawn) kBoundaryLead; before a video, its
    // first frame's lead (VideoPresenter::first_frame_lead), which it waits out.
    Clock::duration boundary_lead() const {
        return m_next.video ? m_presenter.first_frame_lead() : kBoundaryLead;
    }
    static constexpr auto kBoundaryLead = std::chrono::milliseconds(4);

private:
    // wall_now() to the clocks' full precision: an item's start and end are timed by it.
    std::chrono::sys_time<Clock::duration> wall_clock(Clock::time_point now) const;
    // The wall clock may differ from the monotonic one by this much at an item's end
    // (NTP slewing, a video's last frame): more, and the clock jumped.
    static constexpr auto kOnTime = std::chrono::seconds(1);
    // When the video `s` shows goes on screen: at the showing's start; or, started a
    // moment before its entry (too little of the last one was left to join), at the
    // entry's start, so that it is in step from its first frame.
    static WallTime shown_from(const Showing& s);
    // The plan's time `at` by the monotonic clock: a late boundary is caught up, and
    // for an early one the last picture stays up until then (within kOnTime).
    Clock::time_point on_time(Clock::time_point now, WallTime at) const;
    // Only with --clock-start (a test's or a bench's clock, which can wait) does the
    // first video after start-up wait for its first frame, its clock with it.
    bool waits_for_first_frame() const {
        return m_first_showing && m_options.clock_start.has_value();
    }
    bool switch_channel(); // true when it did
    bool clock_jumped(Clock::time_point now);
    Planner make_planner(const Channel& channel, WallTime at) const;
    void renew_planner(Clock::time_point now, WallTime w);
    Showing showing_due(WallTime t);
    // How the item before ended, for or_walk_on.
    struct Ended {
        bool failed = false;       // it failed on screen
        bool clock_jumped = false; // the wall clock jumped meanwhile
        bool switched = false;     // a new channel version starts here
    };
    Showing or_walk_on(Showing due, WallTime from, Ended ended);
    void remember_alert_cut(const Showing& next, WallTime w, Ended ended);
    bool behind_alert_cut(const Showing& due) const; // m_cut_by_alert is set
    const Item* just_shown() const;                  // after an alert, the item it cut
    const Item* item_by_id(const std::string& id) const;
    void take_item(Clock::time_point now, Showing& s, WallTime w);
    void start_item(Clock::time_point now, const Showing& s, WallTime w);
    void show_alert(Clock::time_point now, const Alert& alert, WallTime at);
    void start_fallback(std::string_view why);
    void wait_for_plan(const Showing& s);
    void show_fallback(); // the fallback slide on screen, in the first language
    void end_item(Clock::time_point now, std::string_view detail = {});
    // Logged, traced, its play row failed; with `leave_out`, left out (left_out).
    void item_failed(Clock::time_point now, const PreparedItem& p, const std::string& why,
                     bool leave_out = true);
    void item_stalled(Clock::time_point now, const std::string& why); // the item on screen
    void left_out(Clock::time_point now, const PreparedItem& p, const std::string& why);
    void exclude_failed_before(const Channel& channel, Clock::time_point now);
    // `captions`: the language of the captions shown, "" for none.
    PlayStart play_start(const std::string& id, const std::string& object, WallTime at,
                         std::string captions = "") const;
    void write_player_status(Clock::time_point now);
    double since_start(Clock::time_point t) const { return seconds_between(m_started, t); }

    const Options& m_options;
    const DeviceConfig& m_config;
    Output& m_output;
    AudioOutput* m_audio;
    VideoPresenter& m_presenter;
    CaptionPresenter& m_captions;
    Trace& m_trace;
    Clock::time_point m_started;
    Clock::time_point m_clock_anchor; // when --clock-start's time is the wall clock's
    Zone m_zone;                      // the device's time zone

    Channel m_channel; // m_current, m_next, m_showing, m_cut_by_alert, m_planner point into it
    std::optional<Planner> m_planner; // what plays when, for m_channel
    Showing m_showing;                // what is on screen, as the plan has it
    bool m_showing_valid = false;     // m_showing is set (not before the first item)
    bool m_first_showing = false;     // the first thing shown since start-up
    bool m_walking = false;           // ahead of the plan after a failure (Planner::walk_on)
    bool m_failed = false;            // the item on screen failed: the next walks on
    // What an alert on screen cut short (an item, or a wait for the plan), its `end`
    // when: remember_alert_cut.
    std::optional<Showing> m_cut_by_alert;
    std::optional<Clock::duration> m_wall_offset; // wall minus monotonic clock, last boundary
    mutable TurnLead m_lead;                      // the clocks read once a turn, for wall_clock()
    Showing m_next_showing;                       // what m_next was prepared for
    // Items that failed here, left out of the plan for an hour (then tried again).
    std::map<std::string, Clock::time_point> m_excluded;
    // Items whose video stalled here (by id and object), and when: stalled again within
    // the hour, left out.
    std::map<std::string, Clock::time_point> m_stalled;
    std::string m_alert_now;                // an alert a channel update brought: shown at once
    std::string m_interrupt_reason;         // the item on screen is cut short: why
    const Alert* m_current_alert = nullptr; // the alert slide on screen, if any
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
    std::unique_ptr<VideoSource> m_ended_video; // the last item's, closed once the next is up
    PreparedItem m_next;                        // prepared while m_current plays
    std::string m_lang;         // the language of what is on screen (banner, fallback)
    bool m_in_fallback = false; // the fallback slide is on screen (its reason was logged)
    Clock::time_point m_item_end;
    Clock::time_point m_prepare_at; // when to prepare m_next
    bool m_dirty = false;
    bool m_channel_switched = false;

    ProofOfPlay m_proof;
};

} // namespace milepost
