#include "Overlays.hpp"

#include "core/Hotline.hpp"
#include "core/Log.hpp"
#include "render/HotlineScreen.hpp"
#include "render/Painter.hpp"
#include "render/TextLayout.hpp"

#include <algorithm>

namespace milepost {

namespace {
// The settings error is shown this long, this often.
constexpr auto kProblemShown = std::chrono::seconds(30);
constexpr auto kProblemEvery = std::chrono::minutes(10);
constexpr auto kDiagnosticsFor = std::chrono::seconds(30);
constexpr auto kCornerPress = std::chrono::seconds(5);
constexpr auto kCardRefresh = std::chrono::seconds(1);
constexpr auto kHotlineFor = std::chrono::seconds(20); // the hotline screen after a tap
constexpr auto kTapAtMost = std::chrono::milliseconds(1000);
} // namespace

Overlays::Overlays(const DeviceConfig& config, Output& output, Fonts& fonts,
                   HotlineChoice& hotlines, Trace& trace, Clock::time_point started)
    : m_config(config), m_output(output), m_fonts(fonts), m_hotlines(hotlines), m_trace(trace),
      m_started(started),
      m_boot_card_until(started + std::chrono::seconds(config.display.boot_info_seconds)) {}

void Overlays::report_config_problem(std::string problem) {
    m_problem = std::move(problem);
    m_problem_from = m_started;
    m_problem_until = m_started + kProblemShown;
}

void Overlays::pressed(Clock::time_point now, int x, int y) {
    // Touch screens send their taps as mouse presses too (SDL's default).
    const SDL_Point at = to_canvas(x, y);
    const Size canvas = m_output.canvas_size();
    m_press_since = now;
    if (at.x < canvas.width / 10 && at.y < canvas.height / 10)
        m_corner_since = now;
}

void Overlays::released(Clock::time_point now, int x, int y, const std::string& lang_on_screen) {
    if (m_press_since && now - *m_press_since < kTapAtMost)
        on_tap(now, to_canvas(x, y), lang_on_screen);
    m_press_since.reset();
    m_corner_since.reset();
}

void Overlays::diagnostics_key(Clock::time_point now) {
    m_diagnostics_until = now < m_diagnostics_until ? now : now + kDiagnosticsFor;
    m_card_refresh = now;
}

// Event coordinates are the panel's; a turned screen's canvas is turned back.
SDL_Point Overlays::to_canvas(int x, int y) const {
    const Size c = m_output.canvas_size();
    switch (m_config.display.rotation) {
    case 90:
        return {y, c.height - 1 - x};
    case 180:
        return {c.width - 1 - x, c.height - 1 - y};
    case 270:
        return {c.width - 1 - y, x};
    default:
        return {x, y};
    }
}

// A tap anywhere: the hotline full screen for 20 s, in the language on screen. On
// it, the language button switches to the device's next language.
void Overlays::on_tap(Clock::time_point now, SDL_Point at, const std::string& lang_on_screen) {
    const auto& langs = m_config.device.languages;
    if (now < m_hotline_until) {
        const Rect b = language_button(m_output.canvas_size());
        if (langs.size() > 1 && at.x >= b.x && at.x < b.x + b.w && at.y >= b.y &&
            at.y < b.y + b.h) {
            m_hotline_lang = next_language(m_hotline_lang);
            m_chosen = m_hotline_lang;
            m_hotline_texture.reset(); // painted again in that language
            log::info("tap: the hotline in " + language_name(m_hotline_lang));
        }
    } else {
        m_hotline_lang = lang_on_screen.empty() ? langs.front() : lang_on_screen;
        log::info("tap: the hotline full screen for 20 s");
    }
    m_trace.event(seconds_between(m_started, now), "touch", m_hotline_lang);
    m_hotline_until = now + kHotlineFor;
    m_dirty = true;
}

// The device's language after `lang`, round the list.
std::string Overlays::next_language(const std::string& lang) const {
    const auto& langs = m_config.device.languages;
    auto it = std::find(langs.begin(), langs.end(), lang);
    return it == langs.end() || std::next(it) == langs.end() ? langs.front() : *std::next(it);
}

const char* Overlays::covering(Clock::time_point now) const {
    if (now < m_hotline_until)
        return "covered by the hotline screen (a tap)";
    if (!m_problem.empty() && now >= m_problem_from && now < m_problem_until)
        return "covered by the settings error";
    return nullptr;
}

void Overlays::update(Clock::time_point now, const std::function<StatusInputs(bool)>& facts) {
    if (m_hotline_texture && now >= m_hotline_until)
        m_dirty = true; // the hotline screen's 20 s are over: the content again
    if (!m_problem.empty() && now >= m_problem_until) {
        m_problem_from = m_problem_until + (kProblemEvery - kProblemShown);
        m_problem_until = m_problem_from + kProblemShown;
        m_problem_texture.reset();
        m_dirty = true;
    } else if (!m_problem.empty() && !m_problem_texture && now >= m_problem_from) {
        m_dirty = true; // its 30 s began
    }
    if (m_corner_since && now - *m_corner_since >= kCornerPress) {
        m_corner_since.reset();
        m_diagnostics_until = now + kDiagnosticsFor;
        m_card_refresh = now;
    }
    const bool diagnostics = now < m_diagnostics_until;
    if (!diagnostics && now >= m_boot_card_until) {
        if (m_card_on) {
            m_card_on = false;
            m_card_texture.reset();
            m_dirty = true;
        }
        return;
    }
    if (m_card_on && now < m_card_refresh)
        return;
    m_card_refresh = now + kCardRefresh;
    InfoCard card = status_card(facts(diagnostics), diagnostics);
    if (!m_card_on || !(card == m_card)) {
        m_card = std::move(card);
        m_card_texture.reset();
        m_dirty = true;
    }
    m_card_on = true;
}

bool Overlays::draw(const std::string& lang) {
    const auto now = Clock::now();
    bool drawn = false;
    if (!m_problem.empty() && now >= m_problem_from && now < m_problem_until) {
        draw_problem();
        drawn = true;
    }
    if (now < m_hotline_until) {
        draw_hotline_screen_over();
        drawn = true;
    } else if (m_hotline_texture) {
        m_hotline_texture.reset();
        m_dirty = true;
    }
    if (m_card_on)
        draw_card(lang);
    return drawn || m_card_on;
}

// The settings error, as an alert slide in the device's first language, with the
// banner.
void Overlays::draw_problem() {
    const Size canvas = m_output.canvas_size();
    auto drawn = copy_cached_layer(
        m_output.renderer(), m_fonts, m_problem_texture, canvas, [&](Painter& painter) {
            const std::string& lang = m_config.device.languages.front();
            const Hotline& hotline = m_hotlines.hotline_for(lang);
            Frame frame;
            frame.body = SlideBody{"This screen's settings have an error", {m_problem}, true};
            frame.banner = banner_text(hotline, lang);
            frame.qr = m_hotlines.qr_for(hotline);
            frame.position = m_config.display.banner;
            compose(painter, canvas, frame);
            return Result<void>{};
        });
    if (!drawn)
        log::warn("settings error slide: " + drawn.error().message);
}

void Overlays::draw_hotline_screen_over() {
    const Size canvas = m_output.canvas_size();
    auto drawn = copy_cached_layer(
        m_output.renderer(), m_fonts, m_hotline_texture, canvas, [&](Painter& painter) {
            const Hotline& hotline = m_hotlines.hotline_for(m_hotline_lang);
            const auto& langs = m_config.device.languages;
            return draw_hotline_screen(painter, canvas, banner_text(hotline, m_hotline_lang),
                                       m_hotlines.qr_for(hotline),
                                       langs.size() > 1 ? next_language(m_hotline_lang) : "");
        });
    if (!drawn)
        log::warn("hotline screen: " + drawn.error().message);
}

void Overlays::draw_card(const std::string& lang) {
    const Size canvas = m_output.canvas_size();
    auto drawn = copy_cached_layer(
        m_output.renderer(), m_fonts, m_card_texture, canvas, [&](Painter& painter) {
            // Never over the hotline banner.
            const Hotline& hotline = m_hotlines.hotline_for(lang);
            const Rect area =
                content_area(canvas, layout_banner(m_fonts, banner_text(hotline, lang),
                                                   m_hotlines.qr_for(hotline) != nullptr, canvas,
                                                   m_config.display.banner));
            return draw_info_card(painter, canvas, area, m_card);
        });
    if (!drawn)
        log::warn("status card: " + drawn.error().message);
}

bool Overlays::take_dirty() {
    return std::exchange(m_dirty, false);
}

Clock::time_point Overlays::next_deadline(Clock::time_point now) const {
    Clock::time_point deadline = Clock::time_point::max();
    if (m_card_on)
        deadline = std::min(deadline, std::max(now, m_card_refresh));
    if (m_hotline_texture)
        deadline = std::min(deadline, std::max(now, m_hotline_until));
    if (m_corner_since)
        deadline = std::min(deadline, *m_corner_since + kCornerPress);
    if (!m_problem.empty())
        deadline =
            std::min(deadline, std::max(now, m_problem_texture ? m_problem_until : m_problem_from));
    return deadline;
}

} // namespace milepost
