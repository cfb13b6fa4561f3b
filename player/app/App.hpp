#pragma once
// milepost-player's main loop: schedule -> render -> present, then one timed wait.
#include "Options.hpp"
#include "Trace.hpp"
#include "core/Channel.hpp"
#include "core/DeviceConfig.hpp"
#include "core/Playlist.hpp"
#include "render/Fonts.hpp"
#include "render/Output.hpp"
#include "render/Painter.hpp"
#include "render/QrCode.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace milepost {

using Clock = std::chrono::steady_clock;

class App {
public:
    // `builtin` supplies a hotline when `channel` has none for this region.
    // `started`: when the process started; snapshots, --exit-after and trace times count from it.
    App(Clock::time_point started, Options options, DeviceConfig config, Channel channel,
        Channel builtin, std::unique_ptr<Output> output, Fonts fonts, Trace trace);
    int run();

private:
    // The steps of the loop, in order.
    void handle_events();
    void advance_schedule(Clock::time_point now);
    void compose_and_present();
    void take_due_snapshots(Clock::time_point now);
    void wait_until(Clock::time_point deadline);

    void start_fallback(Clock::time_point now, std::string_view why);
    void end_item(Clock::time_point now, std::string_view detail = {});
    const Hotline& hotline_for(std::string_view lang) const;
    Clock::time_point next_deadline() const;
    double seconds_since_start(Clock::time_point t) const;

    // Everything below is touched by the main thread only.
    Clock::time_point m_start; // process start
    Options m_options;
    DeviceConfig m_config;
    Channel m_channel;
    Channel m_builtin;
    std::unique_ptr<Output> m_output;
    Fonts m_fonts;
    Trace m_trace;
    Playlist m_playlist;

    const Item* m_item = nullptr; // nullptr: the fallback slide is up
    std::string m_item_lang;      // language of the banner for what is on screen
    TexturePtr m_image;           // the current image item's texture
    Clock::time_point m_item_end;
    size_t m_next_snapshot = 0;
    std::optional<Clock::time_point> m_exit_at;

    std::string m_qr_text; // what m_qr encodes
    std::optional<QrCode> m_qr;

    bool m_dirty = true;    // the canvas must be composed again
    bool m_repaint = false; // the canvas is fine, the panel must be shown again
    bool m_quit = false;
    bool m_first_frame = true;
    bool m_can_wait; // the video driver wakes SDL_WaitEventTimeout on events
};

} // namespace milepost
