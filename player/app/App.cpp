#include "App.hpp"

#include "core/Files.hpp"
#include "core/Hotline.hpp"
#include "core/Log.hpp"
#include "milepost/Version.hpp"
#include "service/BoardHealth.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace milepost {

namespace {
// The screenshot sync uploads is this wide; the first is taken this long after start.
constexpr int kScreenshotWidth = 480;
constexpr auto kFirstScreenshot = std::chrono::seconds(5);
// The first picture waits this long after start at most for a video's first frame.
constexpr auto kFirstPictureWait = std::chrono::seconds(2);
} // namespace

App::App(Clock::time_point started, Options options, DeviceConfig config, Channel channel,
         Channel builtin, std::unique_ptr<Output> output, std::unique_ptr<AudioOutput> audio,
         Fonts fonts, Trace trace)
    : m_start(started), m_options(std::move(options)), m_config(std::move(config)),
      m_builtin(std::move(builtin)), m_output(std::move(output)), m_audio(std::move(audio)),
      m_fonts(std::move(fonts)), m_trace(std::move(trace)), m_presenter(*m_output, m_audio.get()),
      m_captions(m_config, m_audio != nullptr, m_fonts, m_trace, started),
      m_playback({m_options, m_config, *m_output, m_audio.get(), m_presenter, m_captions, m_trace,
                  m_start},
                 std::move(channel)),
      m_hotlines(m_playback.channel(), m_builtin, m_config.device.region),
      m_overlays(m_config, *m_output, m_fonts, m_hotlines, m_trace, m_start),
      m_power(m_config, m_trace, m_start),
      m_splash(m_options.data_dir, m_config, *m_output, m_fonts, m_hotlines, m_start),
      m_tests(m_options.test, m_start) {
    if (auto text = read_file(kDataProblemFile, 4096))
        m_data_problem = *text;
    if (const char* driver = SDL_GetCurrentVideoDriver())
        m_video_driver = driver;
    m_desktop = m_video_driver == "x11" || m_video_driver == "wayland";
}

int App::run() {
    m_next_screenshot = m_start + kFirstScreenshot;
    m_last_present = m_start; // the watchdog's first ping is due from here
    if (m_options.exit_after)
        m_exit_at = m_start + clock_seconds(*m_options.exit_after);
    log::info("screen: " + m_output->describe());
    m_power.watch_cable(m_options.mode == OutputMode::Fullscreen && m_video_driver == "KMSDRM",
                        m_options.test.drm_sysfs, m_output->panel_size());

    for (bool first_turn = true;; first_turn = false) {
        m_tests.push_events(Clock::now());
        handle_events();
        if (m_quit)
            break;
        const auto now = Clock::now();
        m_playback.hold_recorder(true); // the play log is written after the present
        if (first_turn) // --clock-start's time is the wall clock's as the first item starts
            m_playback.anchor_clock(now);
        if (m_follower)
            if (std::optional<Channel> loaded = m_follower->poll(now))
                m_playback.take_new_version(now, std::move(*loaded));
        if (!watch_cable(now))
            break;
        apply_power_schedule(now);
        if (m_power.on() && m_playback.boundary_due(now))
            m_playback.advance(now);
        m_playback.pump_video(now);
        m_playback.prepare_next(now);
        take_screenshot(now);
        update_overlays(now);
        m_dirty = m_playback.take_dirty() || m_dirty;
        if (m_dirty && !first_picture_held(now))
            present(nullptr);
        take_due_snapshots(now);
        m_playback.hold_recorder(false);
        if (m_exit_at && now >= *m_exit_at)
            break;
        m_tests.hang_when_asked(now);
        // A still screen is presented again now and then (pings come from presenting).
        if (m_watchdog.enabled() && now - m_last_present >= m_watchdog.interval())
            m_dirty = true;
        const Clock::time_point deadline = next_deadline(now);
        m_splash.update(now, deadline, m_playback); // drawn only when nothing is due soon
        wait_until(std::min(deadline, m_splash.next_check()));
    }
    m_playback.hold_recorder(false);
    notify_systemd("STOPPING=1");
    m_playback.stop(Clock::now());
    return m_exit_code;
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
                m_banner.set_on_screen(false);
                m_dirty = true;
            }
            break;
        case SDL_RENDER_TARGETS_RESET:
        case SDL_RENDER_DEVICE_RESET:
            m_banner.reset();
            m_captions.forget_textures();
            m_dirty = true;
            break;
        case SDL_MOUSEBUTTONDOWN:
            m_overlays.pressed(Clock::now(), ev.button.x, ev.button.y);
            break;
        case SDL_MOUSEBUTTONUP:
            m_overlays.released(Clock::now(), ev.button.x, ev.button.y, m_playback.lang());
            if (auto lang = m_overlays.take_language_chosen())
                m_captions.choose_language(*lang);
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

// Returns false when the player must start again, in the mode of a screen plugged
// back in (exit status kExitForNewMode).
bool App::watch_cable(Clock::time_point now) {
    const auto cable = m_power.poll_cable(now, m_output->panel_size());
    if (cable == ScreenPower::Cable::Restart) {
        m_exit_code = kExitForNewMode;
        return false;
    }
    if (cable == ScreenPower::Cable::Redraw)
        m_dirty = true;
    return true;
}

// [display] power_on / power_off: at power_off the item on screen ends
// (interrupted), the TV is sent to standby over HDMI-CEC and the screen is black;
// nothing plays, so nothing is decoded or logged. At power_on the TV is woken and
// the plan joined where it is. An untrusted clock keeps the screen on.
void App::apply_power_schedule(Clock::time_point now) {
    if (!m_power.check_due(now))
        return;
    const WallTime w = m_playback.wall_now(now);
    const auto on = m_power.change_due(now, w, m_playback.schedule_trusted(w), m_playback.zone());
    if (!on)
        return;
    if (!*on)
        m_playback.screen_off(now);
    m_power.switch_to(now, *on);
    if (*on)
        m_playback.screen_on(now); // the plan is joined where it is now
    m_dirty = true;
}

// The screenshot milepost-sync uploads with the status: what the screen shows,
// 480 pixels wide, every [logs] screenshot_minutes (the first 5 s after start).
void App::take_screenshot(Clock::time_point now) {
    if (m_config.logs.screenshot_minutes <= 0 || now < m_next_screenshot)
        return;
    m_next_screenshot = now + std::chrono::minutes(m_config.logs.screenshot_minutes);
    // Taken with the next frame presented (at once for a still picture); scaled,
    // encoded and written by the recorder's thread.
    m_screenshot_due = m_playback.recorder() != nullptr;
    m_dirty = m_dirty || (m_screenshot_due && !m_playback.current().video);
}

void App::update_overlays(Clock::time_point now) {
    m_overlays.update(now, [&](bool diagnostics) { return status_facts(now, diagnostics); });
    if (const char* why = m_overlays.covering(now))
        m_playback.covered(why); // its play row says it was not seen
    m_dirty = m_overlays.take_dirty() || m_dirty;
}

// What the boot card and the diagnostics card say.
StatusInputs App::status_facts(Clock::time_point now, bool diagnostics) {
    StatusInputs in;
    in.config = &m_config;
    in.version = kVersion;
    if ((m_follower && m_follower->playing_from_data_dir()) || m_options.content) {
        in.channel = m_playback.channel().name;
        in.sequence = m_playback.channel().sequence;
    }
    if (auto text = read_file(std::filesystem::path(m_options.data_dir) / "sync.json", 65536))
        in.sync_json = *text;
    in.data_problem = m_data_problem;
    in.clock_trusted = m_playback.schedule_trusted(m_playback.wall_now(now));
    in.config_problem = m_overlays.config_problem();
    if (!diagnostics)
        return in;
    in.frames_dropped_last_hour = m_playback.frames_dropped_last_hour(now);
    const BoardHealth health = read_board_health();
    in.cpu_temp_c = health.cpu_temp_c;
    in.throttled = health.throttled;
    std::error_code ec;
    auto space = std::filesystem::space(m_options.data_dir, ec);
    if (!ec)
        in.disk_free_mb = space.available / (1024 * 1024);
    if (m_playback.current().video)
        in.decoder = m_presenter.info().decoder;
    in.output = m_output->mode_text();
    return in;
}

void App::compose_still() {
    const std::string& lang = m_playback.lang();
    const Hotline& hotline = m_hotlines.hotline_for(lang);
    const PreparedItem& current = m_playback.current();
    const Alert* alert = m_playback.current_alert();
    Frame frame;
    frame.banner = banner_text(hotline, lang);
    frame.qr = m_hotlines.qr_for(hotline);
    frame.position = m_config.display.banner;
    if (alert) {
        frame.body = SlideBody{alert->title, {alert->body}, true};
    } else if (!current.item) {
        FallbackText f = fallback_text(hotline, lang);
        frame.body = SlideBody{f.title, f.bullets};
    } else if (current.item->type == ItemType::Image) {
        frame.body = ImageBody{current.image.get()};
    } else {
        frame.body = SlideBody{current.item->title, current.item->bullets};
    }
    Painter painter(m_output->renderer(), m_fonts);
    ComposeReport report = compose(painter, m_output->canvas_size(), frame);
    if (report.cut && current.item)
        log::warn("item \"" + current.item->id +
                  "\": the slide does not fit on screen at the smallest size; the end is cut");
}

// A video frame, the hotline banner over it, and the frame's captions. The rows
// that changed when only the video's did (the banner still on screen).
std::optional<Rect> App::compose_video() {
    SDL_Renderer* r = m_output->renderer();
    const Size canvas = m_output->canvas_size();
    if (m_playback.take_channel_switched())
        m_banner.reset(); // its hotline may have changed
    const BannerTexture* banner = video_banner();
    const Rect video = banner ? content_area(canvas, banner->box) : Rect{0, 0, 0, 0};
    const bool kept = banner && m_banner.on_screen() && m_presenter.direct_in_rows();
    Painter painter(r, m_fonts);
    m_presenter.draw(painter, r, canvas, kept ? std::optional<Rect>(video) : std::nullopt);
    if (!banner)
        return std::nullopt;
    SDL_Rect box = banner->box.sdl();
    if (!kept)
        SDL_RenderCopy(r, banner->texture.get(), nullptr, &box);
    if (m_presenter.has_frame())
        m_captions.draw(r, canvas, video, m_presenter.frame_in_file(), m_presenter.frame_pts(),
                        Clock::now());
    return kept ? std::optional<Rect>(video) : std::nullopt;
}

void App::present(const std::string* snapshot) {
    if (!snapshot && m_first_frame)
        snapshot = m_tests.first_picture(); // a test's copy of the first picture
    if (auto begun = m_output->begin_frame(); !begun) {
        log::error(begun.error().message);
        m_quit = true;
        return;
    }
    std::optional<Rect> changed; // all of the screen unless said
    const bool video = m_power.on() && m_playback.current().video;
    if (!m_power.on()) {
        // Off by the power schedule: black, whether or not the TV took the standby.
        SDL_SetRenderDrawColor(m_output->renderer(), 0, 0, 0, 255);
        SDL_RenderClear(m_output->renderer());
    } else if (video) {
        changed = compose_video();
    } else {
        compose_still();
    }
    const bool overlaid = m_overlays.draw(m_playback.lang());
    SurfacePtr screenshot;
    const bool capture = m_screenshot_due && !snapshot;
    auto r = m_output->finish_frame(snapshot, capture ? &screenshot : nullptr, kScreenshotWidth);
    if (video)
        m_presenter.show_on_time(Clock::now()); // composed ahead, shown when due
    m_output->show_frame(overlaid || !changed ? nullptr : &*changed);
    const Clock::time_point shown = Clock::now(); // presented, whatever else failed
    m_banner.set_on_screen(r && video && m_presenter.direct_in_rows() && !overlaid);
    if (!r) {
        log::error(r.error().message);
    } else {
        if (snapshot)
            log::info("snapshot written: " + *snapshot);
        m_last_present = shown;
        if (m_first_frame)
            notify_systemd("READY=1"); // a picture is up: the service has started
        m_watchdog.ping();
    }
    if (capture) {
        m_screenshot_due = false;
        if (PlayRecorder* recorder = m_playback.recorder(); screenshot && recorder)
            recorder->save_screenshot(std::move(screenshot), kScreenshotWidth,
                                      std::filesystem::path(m_options.data_dir) / "screenshot.png");
    }
    m_dirty = false;
    // The frame's time is when it went on screen: what follows is not in it.
    if (const auto pts = m_playback.current().video ? m_presenter.presented() : std::nullopt)
        m_trace.event(seconds_since_start(shown), "frame", m_playback.current().item->id, *pts);
    m_playback.presented(shown);
    if (m_first_frame) {
        m_first_frame = false;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start);
        log::info("first frame on screen " + std::to_string(ms.count()) + " ms after start");
    }
}

const BannerTexture* App::video_banner() {
    return m_banner.get(m_output->renderer(), m_fonts, m_hotlines, m_playback.lang(),
                        m_output->canvas_size(), m_config.display.banner);
}

// At start-up a video's first frame is the first picture, not the empty screen
// with the banner that would come before it: the screen (on a Pi, the splash)
// stays as it is until then, within kFirstPictureWait of start. Meanwhile the
// banner is drawn, so that the first frame does not wait for it. Not in a desktop's
// window: it is shown empty from the start, and its first present is slow (100 ms
// under Xvfb), better spent before the first frame than after it.
bool App::first_picture_held(Clock::time_point now) {
    if (m_desktop || !m_first_frame || !m_power.on() || !m_playback.current().video ||
        m_presenter.has_frame() || now - m_start >= kFirstPictureWait)
        return false;
    video_banner();
    return true;
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

Clock::time_point App::next_deadline(Clock::time_point now) {
    Clock::time_point deadline = m_playback.next_deadline(now);
    if (m_next_snapshot < m_options.snapshots.size())
        deadline =
            std::min(deadline, m_start + clock_seconds(m_options.snapshots[m_next_snapshot].at));
    deadline = std::min(deadline, m_overlays.next_deadline(now));
    deadline = std::min(deadline, m_power.next_deadline(now));
    if (m_follower)
        deadline = std::min(deadline, m_follower->next_deadline(now));
    deadline = std::min(deadline, m_tests.next_deadline(now));
    if (m_config.logs.screenshot_minutes > 0)
        deadline = std::min(deadline, std::max(now, m_next_screenshot));
    if (m_exit_at)
        deadline = std::min(deadline, *m_exit_at);
    if (m_watchdog.enabled())
        deadline = std::min(deadline, std::max(now, m_last_present + m_watchdog.interval()));
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
        if (m_desktop) {
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
