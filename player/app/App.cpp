#include "App.hpp"

#include "core/Hotline.hpp"
#include "core/Log.hpp"

#include <SDL_image.h>

#include <algorithm>
#include <thread>

namespace milepost {

namespace {

// The hotline of last resort, should both the channel and the built-in channel
// lack one: a screen never goes without.
const Hotline kLastResortHotline{
    "*",      "",     "National Human Trafficking Hotline",  "1-888-373-7888",
    "233733", "HELP", "https://humantraffickinghotline.org", "911"};

constexpr auto kFallbackRetry = std::chrono::seconds(30);

} // namespace

App::App(Clock::time_point started, Options options, DeviceConfig config, Channel channel,
         Channel builtin, std::unique_ptr<Output> output, Fonts fonts, Trace trace)
    : m_start(started), m_options(std::move(options)), m_config(std::move(config)),
      m_channel(std::move(channel)), m_builtin(std::move(builtin)), m_output(std::move(output)),
      m_fonts(std::move(fonts)), m_trace(std::move(trace)), m_playlist([&] {
          std::vector<std::string> notes;
          Playlist p(m_channel, m_config.device.languages, notes);
          for (const auto& n : notes)
              log::info(n);
          return p;
      }()) {
    const char* driver = SDL_GetCurrentVideoDriver();
    const std::string d = driver ? driver : "";
    m_can_wait = d == "x11" || d == "wayland";
}

double App::seconds_since_start(Clock::time_point t) const {
    return std::chrono::duration<double>(t - m_start).count();
}

const Hotline& App::hotline_for(std::string_view lang) const {
    const std::string& region = m_config.device.region;
    if (const Hotline* h = find_hotline(m_channel.hotlines, region, lang))
        return *h;
    if (const Hotline* h = find_hotline(m_builtin.hotlines, region, lang))
        return *h;
    return kLastResortHotline;
}

int App::run() {
    if (m_options.exit_after)
        m_exit_at = m_start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(*m_options.exit_after));
    m_item_end = m_start; // start the first item at once
    log::info("screen: " + m_output->describe());

    while (true) {
        handle_events();
        if (m_quit)
            break;
        const auto now = Clock::now();
        if (now >= m_item_end)
            advance_schedule(now);
        if (m_dirty || m_repaint)
            compose_and_present();
        take_due_snapshots(now);
        if (m_exit_at && now >= *m_exit_at)
            break;
        wait_until(next_deadline());
    }
    end_item(Clock::now(), "stopped");
    return 0;
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
                m_dirty = true;
            } else if (ev.window.event == SDL_WINDOWEVENT_EXPOSED) {
                m_repaint = true;
            }
            break;
        case SDL_RENDER_TARGETS_RESET:
        case SDL_RENDER_DEVICE_RESET:
            m_dirty = true;
            break;
        case SDL_KEYDOWN:
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

void App::end_item(Clock::time_point now, std::string_view detail) {
    if (m_item)
        m_trace.event(seconds_since_start(now), "item_end", m_item->id, std::nullopt, detail);
    m_item = nullptr;
    m_image.reset();
}

void App::start_fallback(Clock::time_point now, std::string_view why) {
    log::warn(std::string("showing the fallback slide: ") + std::string(why));
    m_item_lang = m_config.device.languages.front();
    m_item_end = now + kFallbackRetry;
    m_dirty = true;
}

void App::advance_schedule(Clock::time_point now) {
    end_item(now);
    if (m_playlist.empty()) {
        start_fallback(now, "nothing in the channel plays in this device's languages");
        return;
    }
    // Try each item once; one that cannot be shown is skipped at once, not shown black.
    for (size_t tries = 0; tries < m_playlist.size(); ++tries) {
        const Item* item = m_playlist.next();
        if (item->type == ItemType::Image) {
            m_image.reset(IMG_LoadTexture(m_output->renderer(), item->file.c_str()));
            if (!m_image) {
                std::string why =
                    item->file.string() + ": cannot load the image: " + IMG_GetError();
                log::error("item \"" + item->id + "\": " + why);
                m_trace.event(seconds_since_start(now), "error", item->id, std::nullopt, why);
                continue;
            }
        }
        m_item = item;
        m_item_lang = item->lang.empty() ? m_config.device.languages.front() : item->lang;
        m_item_end = now + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(still_duration(*item)));
        m_trace.event(seconds_since_start(now), "item_start", item->id);
        m_dirty = true;
        return;
    }
    start_fallback(now, "no item of the channel could be shown");
}

void App::compose_and_present() {
    if (m_dirty) {
        auto canvas = m_output->begin_canvas();
        if (!canvas) {
            log::error(canvas.error().message);
            m_quit = true;
            return;
        }
        const Hotline& hotline = hotline_for(m_item_lang);
        if (hotline.url != m_qr_text) {
            m_qr_text = hotline.url;
            m_qr.reset();
            if (!hotline.url.empty()) {
                auto qr = make_qr_code(hotline.url);
                if (qr)
                    m_qr = std::move(*qr);
                else
                    log::warn(qr.error().message);
            }
        }
        Frame frame;
        frame.banner = banner_text(hotline, m_item_lang);
        frame.qr = m_qr ? &*m_qr : nullptr;
        frame.position = m_config.display.banner;
        if (!m_item) {
            FallbackText f = fallback_text(hotline, m_item_lang);
            frame.body = SlideBody{f.title, f.bullets};
        } else if (m_item->type == ItemType::Image) {
            frame.body = ImageBody{m_image.get()};
        } else {
            frame.body = SlideBody{m_item->title, m_item->bullets};
        }
        Painter painter(m_output->renderer(), m_fonts);
        ComposeReport report = compose(painter, m_output->canvas_size(), frame);
        if (report.cut && m_item)
            log::warn(
                "item \"" + m_item->id +
                "\": the slide does not fit the screen even at the smallest size; the end is cut");
        m_dirty = false;
    }
    m_repaint = false;
    if (auto r = m_output->present(); !r)
        log::error(r.error().message);
    if (m_first_frame) {
        m_first_frame = false;
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start);
        log::info("first frame on screen " + std::to_string(ms.count()) + " ms after start");
    }
}

void App::take_due_snapshots(Clock::time_point now) {
    while (m_next_snapshot < m_options.snapshots.size()) {
        const SnapshotRequest& s = m_options.snapshots[m_next_snapshot];
        if (seconds_since_start(now) < s.at)
            break;
        if (auto r = m_output->present(&s.path); !r)
            log::error(r.error().message);
        else
            log::info("snapshot written: " + s.path);
        ++m_next_snapshot;
    }
}

Clock::time_point App::next_deadline() const {
    Clock::time_point deadline = m_item_end;
    if (m_next_snapshot < m_options.snapshots.size())
        deadline = std::min(deadline, m_start + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(
                                                        m_options.snapshots[m_next_snapshot].at)));
    if (m_exit_at)
        deadline = std::min(deadline, *m_exit_at);
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
            std::this_thread::sleep_for(std::min<Clock::duration>(left, kSlice));
        }
    }
}

} // namespace milepost
