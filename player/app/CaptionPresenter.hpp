#pragma once
// The captions of the video on screen, one part of the player's loop: which
// language they show in ([display] captions, the screen's language turn, the
// tap screen's language button), the cue due with the frame on screen (by the
// frame's time in its file, so a joined, looping or dropping video keeps them in
// step), laid out and painted once per cue and copied each frame.
#include "ItemLoader.hpp"
#include "LoopClock.hpp"
#include "Trace.hpp"
#include "core/DeviceConfig.hpp"
#include "render/CaptionBox.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace milepost {

class CaptionPresenter {
public:
    // `sound_on`: the speakers play the videos' sound (captions = "when-muted" hides them).
    CaptionPresenter(const DeviceConfig& config, bool sound_on, Fonts& fonts, Trace& trace,
                     Clock::time_point started);

    // `item` goes on screen for the `turn`-th time today (Showing::turn) with the
    // caption `tracks` read for it: returns the language of its captions ("" for
    // none), which its play row records.
    std::string start(const Item& item, std::vector<CaptionTrack> tracks, int turn);
    // What is on screen is not a video (or the video ended).
    void stop();
    // The tap screen's language button chose `lang`: captions follow, when the
    // video has them in it (and captions are shown at all).
    void choose_language(const std::string& lang);
    // The frame on screen is `in_file` seconds into its file (`pts` on the item's
    // clock, for the trace): draws the cue due with it, at the bottom of `picture`
    // (the canvas less the banner).
    void draw(SDL_Renderer* renderer, Size canvas, Rect picture, double in_file, double pts,
              Clock::time_point now);
    // The renderer lost its textures: painted again at the next frame.
    void forget_textures() { m_texture = {}; }

private:
    const CaptionTrack* track_in(std::string_view lang) const;
    void show_track(std::string_view lang); // when there is a track in `lang`
    std::string language() const { return m_track ? m_track->lang : std::string(); }

    const DeviceConfig& m_config;
    bool m_sound_on;
    Fonts& m_fonts;
    Trace& m_trace;
    Clock::time_point m_started;

    std::vector<CaptionTrack> m_tracks; // of the video on screen, while captions show
    std::string m_item_id;
    const CaptionTrack* m_track = nullptr; // the one in the language shown, or none
    std::optional<std::size_t> m_cue;      // the cue on screen
    CaptionTexture m_texture;              // m_cue painted, for m_canvas and m_picture
    Size m_canvas;
    Rect m_picture;
};

} // namespace milepost
