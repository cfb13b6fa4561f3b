#pragma once
// What is drawn over the content, one part of the player's loop:
//  - the settings error (a settings file set aside): an alert-style slide over
//    the content for 30 s at start and every 10 min;
//  - the hotline full screen for 20 s after a tap, its button cycling the device's
//    languages;
//  - the boot card (boot_info_seconds from start) and the diagnostics card (F1, or
//    a 5-second press in the top-left corner; 30 s), never over the banner.
// Each layer is painted once per change and copied per frame.
#include "HotlineChoice.hpp"
#include "LoopClock.hpp"
#include "StatusCard.hpp"
#include "Trace.hpp"
#include "core/DeviceConfig.hpp"
#include "render/Fonts.hpp"
#include "render/InfoCard.hpp"
#include "render/Output.hpp"

#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace milepost {

class Overlays {
public:
    Overlays(const DeviceConfig& config, Output& output, Fonts& fonts, HotlineChoice& hotlines,
             Trace& trace, Clock::time_point started);

    // `problem` names the file, the key and what is wrong.
    void report_config_problem(std::string problem);
    const std::string& config_problem() const { return m_problem; }

    // Input, at panel pixels: a press, its release (a short one is a tap), F1.
    void pressed(Clock::time_point now, int x, int y);
    void released(Clock::time_point now, int x, int y, const std::string& lang_on_screen);
    void diagnostics_key(Clock::time_point now);
    // The language the tap screen's button switched to, once after each switch or
    // tap (captions follow it).
    std::optional<std::string> take_language_chosen() { return std::exchange(m_chosen, {}); }

    // Which layers show at `now`; the card's facts come from `facts` (diagnostics:
    // with the extras), read again each second while it shows.
    void update(Clock::time_point now, const std::function<StatusInputs(bool)>& facts);
    // Why the content under a layer is not seen (nullptr when it is): its play row
    // says so. Asked each turn of the loop, so it builds no string.
    const char* covering(Clock::time_point now) const;
    // Draws the layers that show, over the content in `lang`; true when one did.
    bool draw(const std::string& lang);
    // Whether a layer came or went since the last call: the screen is drawn again.
    bool take_dirty();
    Clock::time_point next_deadline(Clock::time_point now) const;

private:
    SDL_Point to_canvas(int x, int y) const;
    void on_tap(Clock::time_point now, SDL_Point at, const std::string& lang_on_screen);
    std::string next_language(const std::string& lang) const;
    void draw_problem();
    void draw_hotline_screen_over();
    void draw_card(const std::string& lang);

    const DeviceConfig& m_config;
    Output& m_output;
    Fonts& m_fonts;
    HotlineChoice& m_hotlines;
    Trace& m_trace;
    Clock::time_point m_started;
    bool m_dirty = false;

    std::string m_problem;             // the settings error, "" = none
    Clock::time_point m_problem_from;  // shown from then ...
    Clock::time_point m_problem_until; // ... until then
    TexturePtr m_problem_texture;

    Clock::time_point m_hotline_until;
    std::string m_hotline_lang;
    std::optional<std::string> m_chosen;            // for take_language_chosen()
    TexturePtr m_hotline_texture;                   // painted once per showing and language
    std::optional<Clock::time_point> m_press_since; // a press began (a tap is a short one)

    Clock::time_point m_boot_card_until;
    Clock::time_point m_diagnostics_until;
    std::optional<Clock::time_point> m_corner_since; // a press in the corner began
    bool m_card_on = false;                          // a card is on screen
    InfoCard m_card;                                 // what it says
    TexturePtr m_card_texture;
    Clock::time_point m_card_refresh; // when its facts are read again
};

} // namespace milepost
