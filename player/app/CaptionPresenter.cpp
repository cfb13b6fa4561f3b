#include "CaptionPresenter.hpp"

#include "core/Log.hpp"

namespace milepost {

CaptionPresenter::CaptionPresenter(const DeviceConfig& config, bool sound_on, Fonts& fonts,
                                   Trace& trace, Clock::time_point started)
    : m_config(config), m_sound_on(sound_on), m_fonts(fonts), m_trace(trace), m_started(started) {}

std::string CaptionPresenter::start(const Item& item, std::vector<CaptionTrack> tracks, int turn) {
    stop();
    const CaptionMode mode = m_config.display.captions;
    // Muted: the speakers are off, or the video has no sound to hear (as far as
    // its manifest says: a channel source's videos count as silent).
    const bool muted = !m_sound_on || item.media.audio.empty();
    if (tracks.empty() || mode == CaptionMode::Off || (mode == CaptionMode::WhenMuted && !muted))
        return {};
    m_tracks = std::move(tracks);
    m_item_id = item.id;
    // The device's languages take turns, one showing of the item after another:
    // the same on every screen set alike.
    const auto& langs = m_config.device.languages;
    const std::string turn_lang =
        langs.empty() ? std::string() : langs[static_cast<std::size_t>(turn) % langs.size()];
    show_track(caption_language(turn_lang, item.lang,
                                [&](std::string_view lang) { return track_in(lang) != nullptr; }));
    return language();
}

const CaptionTrack* CaptionPresenter::track_in(std::string_view lang) const {
    for (const CaptionTrack& t : m_tracks)
        if (t.lang == lang)
            return &t;
    return nullptr;
}

void CaptionPresenter::show_track(std::string_view lang) {
    if (const CaptionTrack* t = track_in(lang)) {
        m_track = t;
        m_cue.reset();
        m_texture = {};
    }
}

void CaptionPresenter::stop() {
    m_tracks.clear();
    m_track = nullptr;
    m_cue.reset();
    m_texture = {};
}

void CaptionPresenter::choose_language(const std::string& lang) {
    if (m_tracks.empty() || lang == language())
        return;
    show_track(lang);
    log::info("item \"" + m_item_id + "\": " +
              (language() == lang ? "captions in " + lang
                                  : "no captions in " + lang + ": they stay in " + language()));
}

void CaptionPresenter::draw(SDL_Renderer* renderer, Size canvas, Rect picture, double in_file,
                            double pts, Clock::time_point now) {
    if (!m_track)
        return;
    // A frame "reaches" a cue time within half a millisecond: pts and cue times are
    // rounded differently (84 / 30 s is not exactly 2.8 s).
    const auto cue = cue_at(m_track->cues, in_file + 0.0005);
    if (cue != m_cue) {
        m_cue = cue;
        m_texture = {};
        m_trace.event(seconds_between(m_started, now), cue ? "caption" : "caption_end", m_item_id,
                      pts, cue ? m_track->lang + ": " + m_track->cues[*cue].text : m_track->lang);
    }
    if (!m_cue)
        return;
    if (!m_texture.texture || !(canvas == m_canvas) || !(picture == m_picture)) {
        m_canvas = canvas;
        m_picture = picture;
        auto painted =
            render_caption(renderer, m_fonts, m_track->cues[*m_cue].text, canvas, picture);
        if (!painted) {
            log::error("item \"" + m_item_id + "\": " + painted.error().message);
            m_track = nullptr; // not tried again each frame
            return;
        }
        m_texture = std::move(*painted);
    }
    const SDL_Rect box = m_texture.box.sdl();
    SDL_RenderCopy(renderer, m_texture.texture.get(), nullptr, &box);
}

} // namespace milepost
