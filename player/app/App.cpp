#include "App.hpp"

#include "core/Files.hpp"
#include "core/Hotline.hpp"
#include "core/Log.hpp"
#include "milepost/Version.hpp"
#include "render/HotlineScreen.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace milepost {

namespace {

// The wall clock may differ from the monotonic one by this much at an item's end
// (NTP slewing, a video's last frame): more, and the clock jumped.
constexpr auto kOnTime = std::chrono::seconds(1);
// An item that failed is left out of the plan for this long, then tried again.
constexpr auto kExcludedFor = std::chrono::hours(1);
// A video that makes no picture for this long is abandoned and the next item shown.
constexpr auto kStallLimit = std::chrono::milliseconds(750);
// How often the loop looks again while a video's next frame is still being decoded.
constexpr auto kDecoderPoll = std::chrono::milliseconds(4);
// How long after an item starts the next one is prepared.
constexpr auto kPrepareAfter = std::chrono::milliseconds(250);
// How often DATA_DIR/active is looked at for a new version (one readlink).
constexpr auto kActiveCheck = std::chrono::seconds(2);
// The screenshot sync uploads is this wide; the first is taken this long after start.
constexpr int kScreenshotWidth = 480;
constexpr auto kFirstScreenshot = std::chrono::seconds(5);
// The year this was built: a wall clock before it is not believed.
const int kBuildYear = std::atoi(__DATE__ + 7);
// A version that does not load is tried again after this, doubling up to the max.
constexpr auto kActiveRetryFirst = std::chrono::seconds(30);
constexpr auto kActiveRetryMax = std::chrono::minutes(10);
// How often the loop looks whether a new version has been read.
constexpr auto kLoadingPoll = std::chrono::milliseconds(50);
// How often the sound queue is topped up (it holds a quarter of a second).
constexpr auto kAudioFeed = std::chrono::milliseconds(50);

Clock::duration seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

} // namespace

App::App(Clock::time_point started, Options options, DeviceConfig config, Channel channel,
         Channel builtin, std::unique_ptr<Output> output, std::unique_ptr<AudioOutput> audio,
         Fonts fonts, Trace trace)
    : m_start(started), m_options(std::move(options)), m_config(std::move(config)),
      m_channel(std::move(channel)), m_builtin(std::move(builtin)), m_output(std::move(output)),
      m_audio(std::move(audio)), m_fonts(std::move(fonts)), m_trace(std::move(trace)),
      m_loader(std::filesystem::path(m_options.data_dir) / "failed-objects", kVersion,
               m_options.hwdec, m_audio != nullptr),
      m_hotlines(m_channel, m_builtin, m_config.device.region),
      m_overlays(m_config, *m_output, m_fonts, m_hotlines, m_trace, m_start),
      m_power(m_config, m_trace, m_start) {
    m_clock_anchor = m_start;
    if (auto zone = Zone::locate(m_config.device.timezone))
        m_zone = *zone;
    else
        log::error(zone.error().message + "; scheduling in UTC");
    // The play log lives in the data dir; without one the screen still plays.
    std::error_code ec;
    std::filesystem::create_directories(m_options.data_dir, ec);
    exclude_failed_before(m_channel, m_start);
    m_planner.emplace(make_planner(m_channel, wall_now(m_start)));
    m_recorder = PlayRecorder::open(std::filesystem::path(m_options.data_dir) / "playlog.db");
    if (auto text = read_file(kDataProblemFile, 4096))
        m_data_problem = *text;
    const char* driver = SDL_GetCurrentVideoDriver();
    const std::string d = driver ? driver : "";
    m_can_wait = d == "x11" || d == "wayland";
}

double App::seconds_since_start(Clock::time_point t) const {
    return std::chrono::duration<double>(t - m_start).count();
}

void App::follow_active_channel(std::string target) {
    m_follow_active = true;
    m_active_target = target;
    m_playing_target = std::move(target);
}

int App::run() {
    m_next_screenshot = m_start + kFirstScreenshot;
    if (m_options.exit_after)
        m_exit_at = m_start + seconds(*m_options.exit_after);
    m_item_end = m_start; // start the first item at once
    // --clock-start's time is the wall clock's as the first item starts.
    m_clock_anchor = Clock::now();
    log::info("screen: " + m_output->describe());
    // Test hook: MILEPOST_TEST_HANG_AFTER=S makes the loop hang S seconds after
    // start, as a stuck GPU driver would: the watchdog's pings stop.
    if (const char* hang = std::getenv("MILEPOST_TEST_HANG_AFTER"))
        m_stall_at = m_start + seconds(std::atof(hang));
    const char* video_driver = SDL_GetCurrentVideoDriver();
    m_power.watch_cable(m_options.mode == OutputMode::Fullscreen && video_driver &&
                            std::string(video_driver) == "KMSDRM",
                        m_output->panel_size());
    read_test_events();

    while (true) {
        push_test_events(Clock::now());
        handle_events();
        if (m_quit)
            break;
        const auto now = Clock::now();
        watch_active_channel(now);
        if (const auto cable = m_power.poll_cable(now, m_output->panel_size());
            cable == ScreenPower::Cable::Restart) {
            m_exit_code = kExitForNewMode;
            break;
        } else if (cable == ScreenPower::Cable::Redraw) {
            m_dirty = true;
        }
        apply_power_schedule(now);
        if (m_power.on() && now >= m_item_end)
            advance_schedule(now);
        pump_video(now);
        prepare_next(now);
        take_screenshot(now);
        m_overlays.update(now, [&](bool diagnostics) { return status_facts(now, diagnostics); });
        if (const std::string why = m_overlays.covering(now);
            !why.empty() && (m_current.item || m_current_alert) && m_interrupt_reason.empty())
            m_interrupt_reason = why; // its play row says it was not seen
        m_dirty = m_overlays.take_dirty() || m_dirty;
        if (m_dirty)
            present(nullptr);
        take_due_snapshots(now);
        if (m_exit_at && now >= *m_exit_at)
            break;
        if (m_stall_at && now >= *m_stall_at) {
            log::warn("MILEPOST_TEST_HANG_AFTER: the loop hangs now");
            while (true)
                std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        // A still screen is presented again now and then: the pings come only
        // from presenting.
        if (m_watchdog.enabled() && now - m_last_present >= m_watchdog.interval())
            m_dirty = true;
        wait_until(next_deadline(now));
    }
    notify_systemd("STOPPING=1");
    end_item(Clock::now(), "stopped");
    m_loader.stopped_cleanly();
    return m_exit_code;
}

// Test hook: MILEPOST_TEST_EVENTS="2:key:F1 3:down:20,20 9:up:20,20" pushes those
// SDL events (a key, a press and release at canvas pixels) at those seconds.
void App::read_test_events() {
    const char* events = std::getenv("MILEPOST_TEST_EVENTS");
    if (!events)
        return;
    std::istringstream in(events);
    std::string one;
    while (in >> one) {
        double at = 0;
        char kind[16] = {};
        int x = 0, y = 0;
        SDL_Event ev{};
        if (std::sscanf(one.c_str(), "%lf:%15[a-z]:%d,%d", &at, kind, &x, &y) >= 2) {
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
            m_test_events.emplace_back(m_start + seconds(at), ev);
        }
    }
}

void App::handle_events() {
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            m_quit = true;
            break;
        case SDL_WINDOWEVENT:
            if (ev.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
                m_output->refresh_panel_size();
                m_banner.reset();
                m_dirty = true;
            } else if (ev.window.event == SDL_WINDOWEVENT_EXPOSED) {
                m_dirty = true;
            }
            break;
        case SDL_RENDER_TARGETS_RESET:
        case SDL_RENDER_DEVICE_RESET:
            m_banner.reset();
            m_dirty = true;
            break;
        case SDL_MOUSEBUTTONDOWN:
            m_overlays.pressed(Clock::now(), ev.button.x, ev.button.y);
            break;
        case SDL_MOUSEBUTTONUP:
            m_overlays.released(Clock::now(), ev.button.x, ev.button.y, m_lang);
            m_dirty = m_overlays.take_dirty() || m_dirty;
            break;
        case SDL_KEYDOWN:
            if (ev.key.keysym.sym == SDLK_F1)
                m_overlays.diagnostics_key(Clock::now());
            // Only a desktop window may be closed from the keyboard; a kiosk never.
            if (m_options.mode == OutputMode::Windowed &&
                (ev.key.keysym.sym == SDLK_ESCAPE || ev.key.keysym.sym == SDLK_q))
                m_quit = true;
            break;
        default:
            break;
        }
    }
}

void App::watch_active_channel(Clock::time_point now) {
    if (!m_follow_active)
        return;
    if (m_loading.valid()) {
        if (m_loading.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
            return;
        auto loaded = m_loading.get();
        if (!loaded) {
            // The screen keeps what it plays. The same version is tried again later
            // (sync may repair it in place), less and less often.
            m_failed_wait =
                std::clamp<Clock::duration>(m_failed_wait * 2, kActiveRetryFirst, kActiveRetryMax);
            m_failed_target = m_active_target;
            m_active_target = m_playing_target;
            m_failed_retry_at = now + m_failed_wait;
            log::error("active channel: " + loaded.error().message +
                       "; keeping the channel on screen");
            return;
        }
        m_playing_target = m_active_target;
        m_failed_target.clear();
        m_failed_wait = {};
        if (!loaded->note.empty())
            log::warn(loaded->note);
        // What was prepared to come next is from an older version: prepare again.
        if (m_next.item) {
            m_loader.dispose(std::move(m_next.video));
            m_next = {};
            m_prepare_at = now;
        }
        m_pending_channel = std::make_unique<Channel>(std::move(loaded->channel));
        m_pending_planner.emplace(make_planner(*m_pending_channel, wall_now(now)));
        log::info("channel \"" + m_pending_channel->name + "\" sequence " +
                  std::to_string(m_pending_channel->sequence) + " is ready (" +
                  std::to_string(m_pending_channel->items.size()) +
                  " items); it starts at the next item");
        if (!m_current.item && !m_current_alert)
            m_item_end = now; // the fallback slide gives way at once
        // An alert the update brought is shown at once, cutting short what plays.
        for (const Alert* a : m_pending_planner->alerts_in_force(wall_now(now))) {
            const bool known = std::any_of(m_channel.alerts.begin(), m_channel.alerts.end(),
                                           [&](const Alert& old) { return old.id == a->id; });
            if (known)
                continue;
            log::info("alert \"" + a->id + "\" arrived: shown at once");
            m_alert_now = a->id;
            if (m_current.item)
                m_interrupt_reason = "cut short by alert \"" + a->id + "\"";
            m_item_end = now;
            break;
        }
        return;
    }
    if (now < m_next_active_check)
        return;
    m_next_active_check = now + kActiveCheck;
    const std::filesystem::path data = m_options.data_dir;
    std::string target = active_target(data);
    if (target.empty() || target == m_active_target)
        return;
    if (target == m_failed_target && now < m_failed_retry_at)
        return;
    m_active_target = target;
    m_loading = std::async(std::launch::async, [data, target, key = m_config.content.public_key] {
        return read_stored_channel(data / target, data / "objects", key);
    });
}

// Takes a newer channel version at an item boundary.
void App::switch_channel() {
    if (!m_pending_channel)
        return;
    m_channel = std::move(*m_pending_channel);
    m_pending_channel.reset();
    m_pending_planner.reset();
    m_excluded.clear();
    exclude_failed_before(m_channel, Clock::now());
    // Made again: the planner points at the Channel object, which has moved.
    m_planner.emplace(make_planner(m_channel, wall_now(Clock::now())));
    m_banner.reset(); // its hotline may have changed
    log::info("now playing channel \"" + m_channel.name + "\" sequence " +
              std::to_string(m_channel.sequence));
}

// The plan's next item is opened while this one plays, from the version that will
// be playing by then.
void App::prepare_next(Clock::time_point now) {
    if (m_next.item || !m_showing_valid || now < m_prepare_at)
        return;
    m_prepare_at = Clock::time_point::max(); // once per item
    Planner& planner = m_pending_planner ? *m_pending_planner : *m_planner;
    Showing next = planner.showing_at(m_showing.end);
    if (!next.item)
        return;
    m_next_showing = next;
    m_next = m_loader.prepare(*next.item,
                              m_pending_channel ? m_pending_channel->sequence : m_channel.sequence,
                              next.offset);
}

Planner App::make_planner(const Channel& channel, WallTime at) const {
    Planner planner(channel, plan_settings(m_config, m_zone, schedule_trusted(at)));
    for (const auto& [id, since] : m_excluded)
        planner.exclude(id);
    return planner;
}

// Time and date conditions are believed only from a clock that is synchronised
// (or set by --clock-start) and not before the year this was built.
bool App::schedule_trusted(WallTime at) const {
    return schedule_clock_trusted(m_options.clock_start.has_value(), at);
}

PlanSettings plan_settings(const DeviceConfig& config, const Zone& zone, bool clock_trusted) {
    PlanSettings settings;
    settings.region = config.device.region;
    settings.languages = config.device.languages;
    settings.zone = zone;
    settings.clock_trusted = clock_trusted;
    return settings;
}

bool schedule_clock_trusted(bool clock_start_given, WallTime at) {
    return clock_is_trusted(clock_start_given || system_clock_synchronised(), at, kBuildYear);
}

void print_plan(Planner& planner, WallTime from, std::chrono::milliseconds length, std::FILE* out,
                const std::optional<PowerWindow>& power) {
    const Zone& zone = planner.settings().zone;
    const WallTime end = from + length;
    auto display = [&](WallTime at, bool on) {
        nlohmann::ordered_json j;
        j["at"] = zone.format(at);
        j["display"] = on ? "on" : "off";
        std::fputs((j.dump() + "\n").c_str(), out);
    };
    WallTime t = from;
    if (power && !screen_on_at(*power, zone, t)) {
        display(t, false);
        t = next_power_change(*power, zone, t);
        if (t < end)
            display(t, true);
    }
    while (t < end) {
        const WallTime off = power ? next_power_change(*power, zone, t) : WallTime::max();
        for (Showing s = planner.showing_at(t); s.start < std::min(end, off);
             s = planner.following(s)) {
            nlohmann::ordered_json j;
            j["at"] = zone.format(s.start);
            if (s.alert)
                j["item"] = s.alert->id;
            else if (s.item)
                j["item"] = s.item->id;
            else
                j["item"] = nullptr;
            j["lang"] = s.lang;
            j["duration"] = std::chrono::duration<double>(s.end - s.start).count();
            if (s.offset.count() > 0)
                j["offset"] = std::chrono::duration<double>(s.offset).count();
            if (s.alert)
                j["alert"] = true;
            if (s.cut || s.end > off) // an alert, or the screen going off, cuts it short
                j["interrupted"] = true;
            if (!s.alert && !s.item)
                j["fallback"] = true;
            std::fputs((j.dump() + "\n").c_str(), out);
        }
        if (off >= end)
            break;
        display(off, false);
        t = next_power_change(*power, zone, off);
        if (t < end)
            display(t, true);
    }
    std::fflush(out);
}

// Items whose object failed before the player started (or stopped it while it
// was loaded): left out for an hour, as if they had failed now.
void App::exclude_failed_before(const Channel& channel, Clock::time_point now) {
    for (const auto& [id, why] : m_loader.failed_before(channel)) {
        if (m_excluded.count(id))
            continue;
        log::warn("item \"" + id + "\": its file failed before (" + why + ", in " +
                  (std::filesystem::path(m_options.data_dir) / "failed-objects").string() +
                  "); left out of the plan for an hour");
        m_excluded[id] = now;
    }
}

void App::item_failed(Clock::time_point now, const PreparedItem& p, const std::string& why) {
    const Item& item = *p.item;
    log::error("item \"" + item.id + "\": " + why +
               "; skipped, and left out of the plan for an hour");
    m_loader.failed(p, why);
    m_excluded[item.id] = now;
    m_planner->exclude(item.id);
    if (m_pending_planner)
        m_pending_planner->exclude(item.id);
    m_trace.event(seconds_since_start(now), "error", item.id, std::nullopt, why);
    if (p.item == m_current.item) {
        // On screen: its row ends as failed when the item ends, at once.
        m_outcome = "failed";
        m_outcome_detail = why;
    } else if (m_recorder) {
        // Never on screen: a row of its own, failed, lasting nothing.
        const WallTime at = wall_now(now);
        PlayStart start = play_start(item.id, item.media.object, at);
        if (!item.lang.empty())
            start.lang = item.lang; // not the language of what is on screen
        const auto token = m_recorder->started(start);
        m_recorder->ended(token, PlayEnd{at, 0, "failed", why});
    }
}

WallTime App::wall_now(Clock::time_point now) const {
    if (m_options.clock_start)
        return *m_options.clock_start +
               std::chrono::duration_cast<std::chrono::milliseconds>(now - m_clock_anchor);
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

PlayStart App::play_start(const std::string& id, const std::string& object, WallTime at) const {
    // A clock set by --clock-start is a test's, never trusted.
    const bool synchronised = !m_options.clock_start && system_clock_synchronised();
    return PlayStart{id,
                     object,
                     m_channel.name,
                     m_channel.sequence,
                     at,
                     clock_is_trusted(synchronised, at, kBuildYear),
                     m_lang};
}

void App::end_item(Clock::time_point now, std::string_view detail) {
    const Item* item = m_current.item;
    const std::string* id = item ? &item->id : m_current_alert ? &m_current_alert->id : nullptr;
    if (id) {
        std::string d(detail);
        if (item && item->type == ItemType::Video) {
            d = "frames=" + std::to_string(m_frames_presented) +
                " dropped=" + std::to_string(m_frames_dropped) + (d.empty() ? "" : " " + d);
            log::info("item \"" + item->id + "\": " + d);
            m_drops.emplace_back(now, m_frames_dropped);
        }
        m_trace.event(seconds_since_start(now), "item_end", *id, std::nullopt, d);
        if (m_recorder && m_play_token) {
            // Cut short by a stop or an alert: interrupted; else as it went.
            std::string outcome = m_outcome, why = m_outcome_detail;
            if (detail == "stopped") {
                outcome = "interrupted";
                why = "the player stopped";
            } else if (!m_interrupt_reason.empty() && outcome == "completed") {
                outcome = "interrupted";
                why = m_interrupt_reason;
            }
            m_recorder->ended(
                m_play_token,
                PlayEnd{wall_now(now),
                        std::chrono::duration_cast<std::chrono::milliseconds>(now - m_play_started)
                            .count(),
                        outcome, why});
        }
    }
    m_play_token = 0;
    m_interrupt_reason.clear();
    m_current_alert = nullptr;
    if (m_audio)
        m_audio->clear();
    m_loader.dispose(std::move(m_current.video));
    m_current = {};
}

void App::start_fallback(Clock::time_point now, std::string_view why) {
    if (!m_in_fallback)
        log::warn(std::string("showing the fallback slide: ") + std::string(why));
    m_in_fallback = true;
    m_lang = m_config.device.languages.front();
    m_item_start = now;
    m_dirty = true;
}

void App::show_alert(Clock::time_point now, const Alert& alert, WallTime at) {
    m_current_alert = &alert;
    m_lang = m_config.device.languages.front();
    m_item_start = now;
    log::info("alert \"" + alert.id + "\" on screen");
    m_trace.event(seconds_since_start(now), "item_start", alert.id);
    m_outcome = "completed";
    m_outcome_detail.clear();
    m_play_started = now;
    if (m_recorder)
        m_play_token = m_recorder->started(play_start(alert.id, "", at));
    m_dirty = true;
}

// At an item boundary: what the plan shows now goes on screen. On time (the wall
// clock agrees with the monotonic one within kOnTime), the next thing starts where
// the last ended; after a clock jump, the plan is joined at the new time. Either
// way the item's end comes from the plan, on the monotonic clock until the next
// boundary: a clock that jumps mid-item does not touch the pacing.
void App::advance_schedule(Clock::time_point now) {
    if (m_showing_valid && m_showing.cut && m_interrupt_reason.empty() &&
        !(m_current.video && m_current.video->state() == VideoSource::State::Ended))
        m_interrupt_reason = "cut short by an alert";
    end_item(now);
    switch_channel();
    const WallTime w = wall_now(now);
    renew_planner(now, w);
    const WallTime t =
        m_showing_valid && std::chrono::abs(w - m_showing.end) < kOnTime ? m_showing.end : w;

    Showing s = showing_due(t);
    take_item(now, s, t);
    m_loader.dispose(std::move(m_next.video));
    m_next = {};
    m_showing = s;
    m_showing_valid = true;
    m_item_start = now;
    m_item_end = now + std::max<Clock::duration>(Clock::duration::zero(), s.end - w);
    // A video from its start plays whole: lateness under kOnTime (a slow open) is
    // not cut from it but absorbed by the next still, which ends on the plan's time.
    if (m_current.item && m_current.item->type == ItemType::Video && s.offset.count() == 0 &&
        !s.cut)
        m_item_end = now + (s.end - s.start);

    if (s.alert) {
        m_in_fallback = false;
        show_alert(now, *s.alert, w);
    } else if (!m_current.item) {
        start_fallback(now,
                       m_planner->empty()
                           ? "nothing in the channel plays in this device's languages and region"
                           : "no item's schedule lets one play now");
    } else {
        start_item(now, s, w);
    }
    write_player_status(now);
    // The next item is prepared a moment after this one is on screen: opening a
    // file costs a burst of CPU that must not delay this item's first frame.
    m_prepare_at = now + std::min<Clock::duration>(kPrepareAfter, (m_item_end - now) / 2);
}

// Items left out for over kExcludedFor are tried again, and a wall clock that
// became trusted (or stopped being) changes the plan: the planner is made again.
void App::renew_planner(Clock::time_point now, WallTime w) {
    bool forgiven = false;
    for (auto it = m_excluded.begin(); it != m_excluded.end();) {
        if (now - it->second > kExcludedFor) {
            it = m_excluded.erase(it);
            forgiven = true;
        } else {
            ++it;
        }
    }
    if (const bool trusted = schedule_trusted(w);
        forgiven || trusted != m_planner->settings().clock_trusted) {
        if (trusted != m_planner->settings().clock_trusted)
            log::info(trusted ? "the wall clock is trusted now: the full schedule applies"
                              : "the wall clock is not trusted: only items without time or "
                                "date conditions play");
        m_planner.emplace(make_planner(m_channel, w));
    }
}

// What goes on screen at `t`: an alert a channel update brought, else what the
// plan shows.
Showing App::showing_due(WallTime t) {
    Showing s;
    auto urgent = std::find_if(m_channel.alerts.begin(), m_channel.alerts.end(),
                               [&](const Alert& a) { return a.id == m_alert_now; });
    if (!m_alert_now.empty() && urgent != m_channel.alerts.end()) {
        s = m_planner->alert_now(*urgent, t);
    } else {
        s = m_planner->showing_at(t);
    }
    m_alert_now.clear();
    return s;
}

// The item `s` shows becomes m_current, prepared ahead or now. Each item gets one
// try; one that cannot be shown is left out of the plan and the plan is joined
// again at `t` (`s` changes).
void App::take_item(Clock::time_point now, Showing& s, WallTime t) {
    for (size_t tries = 0; s.item && !m_current.item && tries <= m_channel.items.size(); ++tries) {
        PreparedItem candidate;
        if (m_next.item && m_next_showing.same_as(s) && m_next_showing.offset == s.offset) {
            candidate = std::move(m_next);
        } else {
            m_loader.dispose(std::move(m_next.video));
            candidate = m_loader.prepare(*s.item, m_channel.sequence, s.offset);
        }
        m_next = {};
        if (candidate.error.empty() && candidate.picture.valid())
            m_loader.finish_picture(candidate, m_output->renderer());
        if (candidate.error.empty() && candidate.video &&
            candidate.video->state() == VideoSource::State::Failed)
            candidate.error = candidate.video->error();
        if (!candidate.error.empty()) {
            item_failed(now, candidate, candidate.error);
            m_loader.dispose(std::move(candidate.video));
            s = m_planner->showing_at(t);
            continue;
        }
        m_current = std::move(candidate);
    }
}

// The item in m_current goes on screen, as `s` shows it.
void App::start_item(Clock::time_point now, const Showing& s, WallTime w) {
    m_in_fallback = false;
    const Item& item = *m_current.item;
    m_lang = s.lang;
    m_trace.event(seconds_since_start(now), "item_start", item.id, std::nullopt,
                  s.offset.count() ? "joined at " + std::to_string(s.offset.count()) + " ms"
                                   : std::string());
    m_outcome = "completed";
    m_outcome_detail.clear();
    m_play_started = now;
    if (m_recorder)
        m_play_token = m_recorder->started(play_start(item.id, item.media.object, w));
    if (item.type == ItemType::Video) {
        // Ends at the plan's time, or when its last frame has had its time.
        m_current.video->set_on_screen(true);
        m_video_offset = m_current.start_at;
        m_late_allowance = kOnTime - std::chrono::milliseconds(100);
        m_sound_moved_end = Clock::duration::zero();
        m_has_frame = false;
        m_video_wait_since = now;
        m_frames_presented = m_frames_dropped = 0;
        // The screen keeps the last picture until this video's first frame is due.
    } else {
        m_dirty = true;
    }
}

void App::pump_video(Clock::time_point now) {
    if (!m_current.video)
        return;
    VideoSource& source = *m_current.video;
    const Item& item = *m_current.item;
    if (std::string notes = source.take_notes();
        !notes.empty() && m_logged_notes.insert(notes).second)
        log::warn("item \"" + item.id + "\": " + notes);
    follow_sound(now, source);
    if (take_due_frame(now, source))
        return;
    watch_video_wait(now, source);
}

// While sound plays, the video follows the sound's clock: the item's start moves
// so that a frame's pts is due when the sound at that pts is heard. When the sound
// runs late (the device's buffer, a loaded CPU), the item's end moves with it, within
// the same allowance as a slow open, so that its last frames are still shown.
void App::follow_sound(Clock::time_point now, VideoSource& source) {
    if (!m_audio)
        return;
    BoundedQueue<AudioChunk>* sound = source.audio();
    if (!sound)
        return;
    m_audio->feed(*sound);
    auto heard = m_audio->clock();
    if (!heard)
        return;
    const auto follow = now - seconds(*heard);
    if (std::chrono::abs(follow - m_item_start) <= std::chrono::milliseconds(10))
        return;
    // Net of the sound's jitter: what it moved later and then earlier is given back.
    const auto shift = std::clamp<Clock::duration>(follow - m_item_start, -m_sound_moved_end,
                                                   std::max(m_late_allowance, Clock::duration{}));
    m_item_start = follow;
    m_item_end += shift;
    m_late_allowance -= shift;
    m_sound_moved_end += shift;
}

// Take every frame that is due; all but the last are late and dropped, so lag
// never builds up: times are absolute, from the item's start.
// Returns whether one was taken (or its upload failed the item).
bool App::take_due_frame(Clock::time_point now, VideoSource& source) {
    const Item& item = *m_current.item;
    std::optional<VideoFrame> chosen;
    while (source.frames().with_front(
        [&](VideoFrame* f) { return f && m_item_start + seconds(f->pts) <= now; })) {
        if (chosen)
            ++m_frames_dropped;
        chosen = source.frames().try_pop();
    }
    if (!chosen)
        return false;
    const AVFrame* f = chosen->frame.get();
    const Size canvas = m_output->canvas_size();
    if (!m_has_frame)
        m_video_info = source.info(); // complete once a frame exists
    const VideoInfo& shape = m_video_info;
    // The software renderer's shortcut for a frame that fills the screen 1:1.
    const bool direct = m_output->direct_surface() && f->width == canvas.width &&
                        f->height == canvas.height && shape.rotation == 0 &&
                        shape.sample_aspect.num == shape.sample_aspect.den &&
                        m_video_texture.keep_for_direct(f);
    if (auto r = direct ? Result<void>{} : m_video_texture.upload(m_output->renderer(), f); !r) {
        item_failed(now, m_current, r.error().message);
        m_item_end = now;
        return true;
    }
    if (!m_has_frame) {
        const VideoInfo& info = m_video_info;
        log::info("item \"" + item.id + "\": " + info.decoder + ", " + std::to_string(info.width) +
                  "x" + std::to_string(info.height) + ", " + m_video_texture.path() +
                  (info.rotation ? ", turned " + std::to_string(info.rotation) : "") +
                  (info.audio.empty() ? "" : ", sound " + info.audio));
        m_loader.shown(item);
    }
    m_has_frame = true;
    m_frame_pts = chosen->pts;
    m_last_frame_end = m_item_start + seconds(chosen->pts + chosen->duration);
    m_frame_pending = true;
    m_dirty = true;
    return true;
}

// No frame is due: the clock waits for a slow open, and the item ends with its
// video, or when it fails or stalls.
void App::watch_video_wait(Clock::time_point now, VideoSource& source) {
    const Item& item = *m_current.item;
    if (source.frames().size() > 0)
        return; // the next frame is not due yet
    if (!m_has_frame) {
        // The clock of a video starts with its first frame, so a slow open drops
        // nothing; until then the last picture stays on screen.
        // Joined part way, its first frame's pts is about the offset.
        const auto before = m_item_start;
        m_item_start = now - seconds(m_video_offset);
        // Its end moves with it, by under kOnTime in all, so that a video opened
        // late is not cut: the next item starts that much later and is joined
        // back onto the plan's time at the boundary.
        const auto waited = m_item_start - before;
        if (waited > Clock::duration::zero() && m_late_allowance > Clock::duration::zero()) {
            const auto add = std::min<Clock::duration>(waited, m_late_allowance);
            m_item_end += add;
            m_late_allowance -= add;
        }
    }
    switch (source.state()) {
    case VideoSource::State::Ended:
        if (!m_has_frame) {
            item_failed(now, m_current, item.file.string() + ": no picture in the file");
            m_item_end = now;
        } else {
            // Gapless: the next item starts as the last frame's time runs out.
            m_item_end = std::min(m_item_end, m_last_frame_end);
        }
        break;
    case VideoSource::State::Failed:
        item_failed(now, m_current, source.error());
        m_item_end = now;
        break;
    default:
        if (now - std::max(m_video_wait_since, source.last_progress()) > kStallLimit) {
            item_failed(now, m_current,
                        item.file.string() +
                            ": no picture for 0.75 s: the file or its decoder stalled");
            m_item_end = now;
        }
        break;
    }
}

void App::compose_still(const Hotline& hotline) {
    Frame frame;
    frame.banner = banner_text(hotline, m_lang);
    frame.qr = m_hotlines.qr_for(hotline);
    frame.position = m_config.display.banner;
    if (m_current_alert) {
        frame.body = SlideBody{m_current_alert->title, {m_current_alert->body}, true};
    } else if (!m_current.item) {
        FallbackText f = fallback_text(hotline, m_lang);
        frame.body = SlideBody{f.title, f.bullets};
    } else if (m_current.item->type == ItemType::Image) {
        frame.body = ImageBody{m_current.image.get()};
    } else {
        frame.body = SlideBody{m_current.item->title, m_current.item->bullets};
    }
    Painter painter(m_output->renderer(), m_fonts);
    ComposeReport report = compose(painter, m_output->canvas_size(), frame);
    if (report.cut && m_current.item)
        log::warn(
            "item \"" + m_current.item->id +
            "\": the slide does not fit the screen even at the smallest size; the end is cut");
}

void App::compose_video() {
    SDL_Renderer* r = m_output->renderer();
    const Size canvas = m_output->canvas_size();
    const Rect whole{0, 0, canvas.width, canvas.height};
    Painter painter(r, m_fonts);
    if (m_has_frame && m_video_texture.direct()) {
        // Everything queued so far reaches the pixels before the frame goes on them.
        SDL_RenderFlush(r);
        if (auto drawn = m_video_texture.draw_direct(m_output->direct_surface()); !drawn)
            log::error(drawn.error().message);
    } else if (m_has_frame) {
        const VideoInfo& info = m_video_info;
        Size display{m_video_texture.width() * info.sample_aspect.num / info.sample_aspect.den,
                     m_video_texture.height()};
        // The video fills the screen, black bars where its shape differs; the
        // hotline banner stays on top of it.
        Rect landed = painter.picture_fit(m_video_texture.texture(), display, info.rotation, whole);
        painter.fill_around(whole, landed, palette::kLetterbox);
    } else {
        painter.fill(whole, palette::kLetterbox);
    }
    if (!m_banner || m_banner_lang != m_lang) {
        m_banner_lang = m_lang;
        const Hotline& hotline = m_hotlines.hotline_for(m_lang);
        auto banner = render_banner(r, m_fonts, banner_text(hotline, m_lang),
                                    m_hotlines.qr_for(hotline), canvas, m_config.display.banner);
        if (!banner) {
            log::error(banner.error().message);
            return;
        }
        m_banner = std::move(*banner);
    }
    SDL_Rect box = m_banner->box.sdl();
    SDL_RenderCopy(r, m_banner->texture.get(), nullptr, &box);
}

void App::present(const std::string* snapshot) {
    if (auto begun = m_output->begin_frame(); !begun) {
        log::error(begun.error().message);
        m_quit = true;
        return;
    }
    if (!m_power.on()) {
        // Off by the power schedule: black, whether or not the TV took the standby.
        SDL_SetRenderDrawColor(m_output->renderer(), 0, 0, 0, 255);
        SDL_RenderClear(m_output->renderer());
    } else if (m_current.video) {
        compose_video();
    } else {
        compose_still(m_hotlines.hotline_for(m_lang));
    }
    m_overlays.draw(m_lang);
    SurfacePtr screenshot;
    const bool capture = m_screenshot_due && !snapshot;
    if (auto r = m_output->end_frame(snapshot, capture ? &screenshot : nullptr); !r) {
        log::error(r.error().message);
    } else {
        if (snapshot)
            log::info("snapshot written: " + *snapshot);
        m_last_present = Clock::now();
        if (m_first_frame)
            notify_systemd("READY=1"); // a picture is up: the service has started
        m_watchdog.ping();
    }
    if (capture) {
        m_screenshot_due = false;
        if (screenshot && m_recorder)
            m_recorder->save_screenshot(std::move(screenshot), kScreenshotWidth,
                                        std::filesystem::path(m_options.data_dir) /
                                            "screenshot.png");
    }
    m_dirty = false;
    if (m_frame_pending) {
        m_frame_pending = false;
        ++m_frames_presented;
        m_trace.event(seconds_since_start(Clock::now()), "frame", m_current.item->id, m_frame_pts);
    }
    if (m_first_frame) {
        m_first_frame = false;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start);
        log::info("first frame on screen " + std::to_string(ms.count()) + " ms after start");
    }
}

// The screenshot milepost-sync uploads with the status: what the screen shows,
// 480 pixels wide, every [logs] screenshot_minutes (the first 5 s after start).
void App::take_screenshot(Clock::time_point now) {
    if (m_config.logs.screenshot_minutes <= 0 || now < m_next_screenshot)
        return;
    m_next_screenshot = now + std::chrono::minutes(m_config.logs.screenshot_minutes);
    // Taken with the next frame presented (at once for a still picture); scaled,
    // encoded and written by the recorder's thread.
    m_screenshot_due = m_recorder != nullptr;
    m_dirty = m_dirty || (m_screenshot_due && !m_current.video);
}

// What the player tells milepost-sync for the status: the item on screen and the
// frames dropped in the last hour. Written at each item start, by the recorder's
// thread, through a rename, not synced: it is news, not a record.
void App::write_player_status(Clock::time_point now) {
    while (!m_drops.empty() && now - m_drops.front().first > std::chrono::hours(1))
        m_drops.pop_front();
    long dropped = 0;
    for (const auto& [at, count] : m_drops)
        dropped += count;
    nlohmann::ordered_json j;
    j["current_item"] = m_current.item    ? m_current.item->id
                        : m_current_alert ? m_current_alert->id
                                          : std::string();
    j["channel"] = m_channel.name;
    j["sequence"] = m_channel.sequence;
    j["since"] = format_rfc3339_utc(wall_now(now));
    j["frames_dropped_last_hour"] = dropped;
    if (m_recorder)
        m_recorder->publish(std::filesystem::path(m_options.data_dir) / "player.json",
                            j.dump() + "\n");
}

// [display] power_on / power_off: at power_off the item on screen ends
// (interrupted), the TV is sent to standby over HDMI-CEC and the screen is black;
// nothing plays, so nothing is decoded or logged. At power_on the TV is woken and
// the plan joined where it is. An untrusted clock keeps the screen on.
void App::apply_power_schedule(Clock::time_point now) {
    if (!m_power.check_due(now))
        return;
    const WallTime w = wall_now(now);
    const auto on = m_power.change_due(now, w, schedule_trusted(w), m_zone);
    if (!on)
        return;
    if (!*on) {
        if (m_current.item || m_current_alert)
            m_interrupt_reason = "the screen's power schedule turned it off";
        end_item(now, "screen off");
        m_loader.dispose(std::move(m_next.video));
        m_next = {};
        m_showing_valid = false;
        m_in_fallback = false;
        m_item_end = Clock::time_point::max();
    }
    m_power.switch_to(now, *on);
    if (*on)
        m_item_end = now; // the plan is joined where it is now
    m_dirty = true;
}

void App::push_test_events(Clock::time_point now) {
    while (!m_test_events.empty() && now >= m_test_events.front().first) {
        SDL_PushEvent(&m_test_events.front().second);
        m_test_events.pop_front();
    }
}

// What the boot card and the diagnostics card say.
StatusInputs App::status_facts(Clock::time_point now, bool diagnostics) {
    StatusInputs in;
    in.config = &m_config;
    in.version = kVersion;
    if (!m_playing_target.empty() || m_options.content) {
        in.channel = m_channel.name;
        in.sequence = m_channel.sequence;
    }
    if (auto text = read_file(std::filesystem::path(m_options.data_dir) / "sync.json", 65536))
        in.sync_json = *text;
    in.data_problem = m_data_problem;
    in.clock_trusted = schedule_trusted(wall_now(now));
    in.config_problem = m_overlays.config_problem();
    if (!diagnostics)
        return in;
    while (!m_drops.empty() && now - m_drops.front().first > std::chrono::hours(1))
        m_drops.pop_front();
    for (const auto& [at, count] : m_drops)
        in.frames_dropped_last_hour += count;
    in.frames_dropped_last_hour += m_frames_dropped;
    const BoardHealth health = read_board_health();
    in.cpu_temp_c = health.cpu_temp_c;
    in.throttled = health.throttled;
    std::error_code ec;
    auto space = std::filesystem::space(m_options.data_dir, ec);
    if (!ec)
        in.disk_free_mb = space.available / (1024 * 1024);
    if (m_current.video)
        in.decoder = m_video_info.decoder;
    in.output = m_output->mode_text();
    return in;
}

void App::take_due_snapshots(Clock::time_point now) {
    while (m_next_snapshot < m_options.snapshots.size()) {
        const SnapshotRequest& s = m_options.snapshots[m_next_snapshot];
        if (seconds_since_start(now) < s.at)
            break;
        present(&s.path);
        ++m_next_snapshot;
    }
}

Clock::time_point App::next_deadline(Clock::time_point now) const {
    Clock::time_point deadline = m_item_end;
    if (m_current.video) {
        auto due = m_current.video->frames().with_front(
            [&](VideoFrame* f) { return f ? m_item_start + seconds(f->pts) : now + kDecoderPoll; });
        deadline = std::min(deadline, due);
    }
    if (m_next_snapshot < m_options.snapshots.size())
        deadline = std::min(deadline, m_start + seconds(m_options.snapshots[m_next_snapshot].at));
    deadline = std::min(deadline, m_overlays.next_deadline(now));
    deadline = std::min(deadline, m_power.next_deadline(now));
    if (!m_test_events.empty())
        deadline = std::min(deadline, std::max(now, m_test_events.front().first));
    if (m_config.logs.screenshot_minutes > 0)
        deadline = std::min(deadline, std::max(now, m_next_screenshot));
    if (m_exit_at)
        deadline = std::min(deadline, *m_exit_at);
    if (m_stall_at)
        deadline = std::min(deadline, std::max(now, *m_stall_at));
    if (m_watchdog.enabled())
        deadline = std::min(deadline, std::max(now, m_last_present + m_watchdog.interval()));
    if (!m_next.item)
        deadline = std::min(deadline, m_prepare_at);
    if (m_loading.valid())
        deadline = std::min(deadline, now + kLoadingPoll);
    else if (m_follow_active)
        deadline = std::min(deadline, std::max(now, m_next_active_check));
    return deadline;
}

void App::wait_until(Clock::time_point deadline) {
    // Events wake the wait where the driver supports it (X11, Wayland); elsewhere
    // (KMSDRM, headless) the loop looks for events every 50 ms, which costs next to
    // nothing and keeps SIGTERM and touch responsive.
    constexpr auto kSlice = std::chrono::milliseconds(50);
    while (!m_quit) {
        const auto now = Clock::now();
        if (now >= deadline)
            return;
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
        if (m_can_wait) {
            if (SDL_WaitEventTimeout(nullptr,
                                     static_cast<int>(std::min<long long>(left.count(), 1000))))
                return;
        } else {
            SDL_PumpEvents();
            if (SDL_HasEvents(SDL_FIRSTEVENT, SDL_LASTEVENT))
                return;
            std::this_thread::sleep_for(std::min<Clock::duration>(deadline - now, kSlice));
        }
    }
}

} // namespace milepost
